/**
 * GitOps (the `gitops` opt-in) as plain data: the AppProject that bounds what Argo CD may sync, one
 * Application per configured folder, the repository Secret's shape, and the synced apps' namespace
 * with its guard rails. ./gitops-resources.ts wires them.
 *
 * Ownership (docs/gitops.md): Pulumi owns Argo CD's release, `argocd-secret`, `argocd-redis`, the
 * repository Secret, the AppProject, the Applications and the synced apps' namespace with its
 * LimitRange and NetworkPolicies `default-deny` and `allow-dns`; Argo CD owns every object it syncs
 * into that namespace, and may sync nowhere else: the AppProject's one destination is that namespace,
 * the platform's and the apps stage's namespaces are denied by name, no cluster-scoped kind is
 * allowed (Namespace, CRD, ClusterRole...), and the namespace's LimitRange and ResourceQuota kinds are
 * refused, so a synced manifest cannot loosen the guard rails Pulumi put there.
 */
import type { GitopsSettings } from "../config/opt-ins/gitops";
import type { NetworkPolicyDoc } from "./network-policies";
import { NAMESPACES, NamespaceSpec } from "./namespaces";

export const GITOPS_PROJECT = "gitops";
export const ARGOCD_API_VERSION = "argoproj.io/v1alpha1";
/** The in-cluster destination (Argo CD's name for the cluster it runs in). */
export const IN_CLUSTER = "https://kubernetes.default.svc";
export const GITOPS_REPOSITORY_SECRET = "gitops-repository";
/** The apps stage's namespace (apps/render.ts APPS_NAMESPACE; platform/ imports nothing of apps/). */
const APPS_STAGE_NAMESPACE = "apps";

export interface AppProjectSpec {
  description: string;
  sourceRepos: string[];
  destinations: { server: string; namespace: string }[];
  clusterResourceWhitelist: { group: string; kind: string }[];
  clusterResourceBlacklist: { group: string; kind: string }[];
  namespaceResourceBlacklist: { group: string; kind: string }[];
}

export interface ApplicationDoc {
  name: string;
  spec: {
    project: string;
    source: { repoURL: string; targetRevision: string; path: string };
    destination: { server: string; namespace: string };
    syncPolicy: { automated: { prune: boolean; selfHeal: boolean }; syncOptions: string[] };
  };
}

/** Argo CD's built-in project, which every Application without `spec.project` belongs to. */
export const DEFAULT_PROJECT = "default";

/** The `default` project's spec as the program pins it: ./gitops-resources.ts applies it. */
export interface LockedProjectSpec {
  description: string;
  sourceRepos: string[];
  sourceNamespaces: string[];
  destinations: { server: string; namespace: string }[];
  clusterResourceWhitelist: { group: string; kind: string }[];
  clusterResourceBlacklist: { group: string; kind: string }[];
  namespaceResourceBlacklist: { group: string; kind: string }[];
}

/**
 * The `default` project with every permission removed. argocd-server creates it at start-up when it
 * is missing (v3.4.4 server/server.go initializeDefaultProject: any source, any destination, every
 * cluster-scoped kind) and never changes an existing one; Argo CD refuses to delete it. Left as
 * created, an Application made by hand in the UI or CLI under `default` could sync anything anywhere,
 * outside the `gitops` project's bounds. Emptied (Argo CD's documented lock-down, docs/user-guide/
 * projects.md "The Default Project"): no repository matches (empty `sourceRepos`), no destination
 * matches (empty `destinations`), no Application outside argocd's namespace (`sourceNamespaces`), no
 * cluster-scoped kind (empty whitelist; `*` denied) and no namespaced kind (`*` denied): an
 * Application under it is refused until it is moved to a project that allows it.
 */
export function lockedDefaultProjectSpec(): LockedProjectSpec {
  return {
    description: "Locked by FlatcarMicroCloud: nothing may be synced under the default project; use the gitops project",
    sourceRepos: [],
    sourceNamespaces: [],
    destinations: [],
    clusterResourceWhitelist: [],
    clusterResourceBlacklist: [{ group: "*", kind: "*" }],
    namespaceResourceBlacklist: [{ group: "*", kind: "*" }],
  };
}

/** The namespaces Argo CD may never sync into: the platform's, the apps stage's and Kubernetes' own. */
export function deniedNamespaces(): string[] {
  return [...Object.values(NAMESPACES).map((n) => n.name), APPS_STAGE_NAMESPACE, "kube-system", "kube-public", "kube-node-lease", "default"].sort();
}

export function appProjectSpec(g: GitopsSettings): AppProjectSpec {
  return {
    description: "The user's apps from git (FlatcarMicroCloud gitops): one namespace, no cluster-scoped objects",
    sourceRepos: [g.repository.url],
    // Deny entries (`!name`) first: a match denies whatever allows it too.
    destinations: [...deniedNamespaces().map((ns) => ({ server: IN_CLUSTER, namespace: `!${ns}` })), { server: IN_CLUSTER, namespace: g.namespace }],
    // Empty allow list: no cluster-scoped kind at all (Argo CD's rule); the deny-all entry says it twice.
    clusterResourceWhitelist: [],
    clusterResourceBlacklist: [{ group: "*", kind: "*" }],
    namespaceResourceBlacklist: [
      { group: "", kind: "LimitRange" },
      { group: "", kind: "ResourceQuota" },
    ],
  };
}

/**
 * Each folder as an Application following the revision, synced automatically: `prune` deletes what
 * left git, `selfHeal` reverts changes made by hand. No `CreateNamespace` (the namespace is Pulumi's)
 * and no resources finalizer: deleting an Application leaves its objects, and only the namespace's
 * deletion (gitops removed) takes them away.
 */
export function applications(g: GitopsSettings): ApplicationDoc[] {
  return g.applications.map((a) => ({
    name: a.name,
    spec: {
      project: GITOPS_PROJECT,
      source: { repoURL: g.repository.url, targetRevision: g.repository.revision, path: a.path },
      destination: { server: IN_CLUSTER, namespace: g.namespace },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["ServerSideApply=true"] },
    },
  }));
}

/** Labels of the repository Secret: Argo CD reads repositories from Secrets labelled so. */
export const REPOSITORY_SECRET_LABELS = { "argocd.argoproj.io/secret-type": "repository" } as const;

/**
 * The repository Secret's data, the credential's value passed in by the wiring (never part of the
 * settings): `sshPrivateKey` for ssh, `username` and `password` (the token) for https, neither for a
 * public repository. Scoped to the project, so no other project could use it.
 */
export function repositorySecretData(g: GitopsSettings, credential?: string): Record<string, string> {
  const base = { type: "git", url: g.repository.url, project: GITOPS_PROJECT, name: GITOPS_PROJECT };
  if (!g.credential || credential === undefined) return base;
  if (g.credential.kind === "sshPrivateKey") return { ...base, sshPrivateKey: credential.replace(/\r\n/g, "\n").trim() + "\n" };
  return { ...base, username: g.credential.username, password: credential.trim() };
}

/** The synced apps' namespace: Pod Security `restricted`, like the apps stage's. */
export function gitopsNamespace(g: GitopsSettings): NamespaceSpec {
  return { name: g.namespace, enforce: "restricted", reason: "the synced apps run non-root, read-only, without capabilities, like the apps stage's" };
}

/**
 * The namespace's own NetworkPolicies: deny everything, allow DNS. Every other path (Traefik to a
 * route, an app to Kafka) is the synced apps' own NetworkPolicy, in git, which Argo CD applies.
 */
export function gitopsNamespacePolicies(g: GitopsSettings): NetworkPolicyDoc[] {
  return [
    { name: "default-deny", namespace: g.namespace, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
    {
      name: "allow-dns",
      namespace: g.namespace,
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
            ports: [
              { port: 53, protocol: "UDP" },
              { port: 53, protocol: "TCP" },
            ],
          },
        ],
      },
    },
  ];
}
