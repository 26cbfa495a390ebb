/**
 * The platform's namespaces and their Pod Security Admission level. Each namespace enforces the
 * strictest level its chart's pods meet and warns/audits at `restricted`, so anything that could be
 * tightened shows up in `kubectl` warnings and the audit log.
 */
import type { LogsStack } from "../config/opt-ins/logs";
import { SIZING } from "./sizing";

export type PsaLevel = "privileged" | "baseline" | "restricted";

export interface NamespaceSpec {
  name: string;
  enforce: PsaLevel;
  /** Why the namespace cannot be stricter. */
  reason: string;
}

export const NAMESPACES = {
  traefik: {
    name: "traefik",
    enforce: "restricted",
    reason: "the chart runs Traefik as non-root with a read-only root filesystem and no capabilities",
  },
  rookCeph: {
    name: "rook-ceph",
    enforce: "privileged",
    reason: "Ceph OSDs and the CSI node plugin need privileged containers, host paths and the host network",
  },
  kafka: {
    name: "kafka",
    enforce: "restricted",
    reason: "the Strimzi operator runs with its `restricted` pod security provider (STRIMZI_POD_SECURITY_PROVIDER_CLASS)",
  },
  redis: {
    name: "redis",
    enforce: "baseline",
    reason: "redis-ha's init and exporter containers take no security context of their own",
  },
  mosquitto: {
    name: "mosquitto",
    enforce: "baseline",
    reason: "the chart's init container (it writes the password file) takes no security context of its own",
  },
  certManager: {
    name: "cert-manager",
    enforce: "restricted",
    reason: "the chart runs every cert-manager pod non-root, read-only, with RuntimeDefault seccomp and no capabilities",
  },
  kured: {
    name: "kured",
    enforce: "privileged",
    reason: "kured shares the host's PID namespace and runs privileged, to enter PID 1's mount namespace for the reboot sentinel and `systemctl reboot`",
  },
  monitoring: {
    name: "monitoring",
    enforce: "privileged",
    reason: "node-exporter reads the host through hostNetwork, hostPID and hostPath mounts",
  },
  velero: {
    name: "velero",
    enforce: "privileged",
    reason:
      "Velero's node agent mounts the kubelet's pod and plugin directories (hostPath) and runs as root, and its data mover pods run as root to read every file of a volume whatever its owner (velero#7198); only while the stack has a backup target",
  },
  tektonOperator: {
    name: "tekton-operator",
    enforce: "restricted",
    reason: "the program's values run the operator and its webhook non-root, read-only, with RuntimeDefault seccomp and no capabilities (ko images, uid 65532); only with builds",
  },
  tektonPipelines: {
    name: "tekton-pipelines",
    enforce: "baseline",
    reason:
      "the operator's proxy webhook sets runAsUser 65532 but not runAsNonRoot (kodata/webhook/webhook.yaml at v0.81.1), which restricted requires; the operator adopts the namespace as its target (owner reference to TektonConfig); only with builds",
  },
  builds: {
    name: "builds",
    enforce: "privileged",
    reason:
      "rootless BuildKit's step runs with seccomp and AppArmor Unconfined (it creates user namespaces and mounts), which baseline forbids; no pod here is privileged or uses the host, and NetworkPolicies fence it; only with builds",
  },
  registry: {
    name: "registry",
    enforce: "restricted",
    reason: "zot runs non-root with a read-only root filesystem, no capabilities and RuntimeDefault seccomp (values/zot.ts); only with the registry opt-in",
  },
  // Logs (opt-in `logs`): only while the stack sets it.
  elasticSystem: {
    name: "elastic-system",
    enforce: "restricted",
    reason: "the ECK operator runs non-root, read-only, without capabilities, with RuntimeDefault seccomp (values/logs-elk.ts); only with logs.stack elk",
  },
  logging: {
    name: "logging",
    enforce: "privileged",
    reason:
      "Fluent Bit reads every node's logs through hostPath volumes (/var/log: the pods' logs and the journal) and runs as root to read files of any owner; hostPath is refused from baseline up. The store (Elasticsearch and Kibana, or Loki) shares the namespace because the collector reads its CA and credentials from Secrets, which pods can mount only in their own namespace; only with logs",
  },
  argocd: {
    name: "argocd",
    enforce: "restricted",
    reason: "the chart runs every Argo CD container non-root, read-only, with RuntimeDefault seccomp and no capabilities (redis too, through its pod security context); only with the gitops opt-in",
  },
  vpa: {
    name: "vpa",
    enforce: "restricted",
    reason: "the VPA recommender runs non-root, read-only, with RuntimeDefault seccomp and no capabilities (platform/values/vpa.ts); only with the `vpa` opt-in",
  },
} as const satisfies Record<string, NamespaceSpec>;

export type NamespaceKey = keyof typeof NAMESPACES;

/** Namespaces that exist only with a feature: the volume backups' (no backup target, no namespace). */
export const OPTIONAL_NAMESPACES: readonly NamespaceKey[] = ["velero"];
/** The opt-in `builds`' namespaces (no `builds` key, none of them). */
export const BUILDS_NAMESPACES: readonly NamespaceKey[] = ["tektonOperator", "tektonPipelines", "builds"];
/** The registry opt-in's namespace (no `registry` key, no namespace). */
export const REGISTRY_NAMESPACES: readonly NamespaceKey[] = ["registry"];

/** The opt-in `logs`' namespaces: `logging` with either stack, `elastic-system` (the ECK operator) with elk only. */
export const LOGS_NAMESPACES: readonly NamespaceKey[] = ["elasticSystem", "logging"];
/** The opt-in `gitops`' namespace (Argo CD's; the synced apps' own is platform/gitops.ts'). */
export const GITOPS_NAMESPACES: readonly NamespaceKey[] = ["argocd"];
/** The opt-in `vpa`'s namespace (the recommender's). */
export const VPA_NAMESPACES: readonly NamespaceKey[] = ["vpa"];

/**
 * The namespaces a platform has: every one, the backup tool's only with volume backups, the builds'
 * only with builds, the registry's only with the registry, the logs' per `logs.stack`, Argo CD's only
 * with gitops, the VPA recommender's only with vpa.
 */
export function platformNamespaces(volumeBackups: boolean, builds = false, registry = false, logs?: LogsStack, gitops = false, vpa = false): NamespaceKey[] {
  const logsOn: Partial<Record<NamespaceKey, boolean>> = { logging: logs !== undefined, elasticSystem: logs === "elk" };
  return (Object.keys(NAMESPACES) as NamespaceKey[]).filter(
    (k) =>
      (volumeBackups || !OPTIONAL_NAMESPACES.includes(k)) &&
      (builds || !BUILDS_NAMESPACES.includes(k)) &&
      (registry || !REGISTRY_NAMESPACES.includes(k)) &&
      (!LOGS_NAMESPACES.includes(k) || logsOn[k] === true) &&
      (gitops || !GITOPS_NAMESPACES.includes(k)) &&
      (vpa || !VPA_NAMESPACES.includes(k)),
  );
}

/** The namespaces of a plan's platform (./plan.ts): its volume backups and opt-ins. */
export function planNamespaces(plan: { volumeBackups?: unknown; settings: { builds?: unknown; registry?: unknown; logs?: { stack: LogsStack }; gitops?: unknown; vpa?: unknown } }): NamespaceKey[] {
  return platformNamespaces(
    plan.volumeBackups !== undefined,
    plan.settings.builds !== undefined,
    plan.settings.registry !== undefined,
    plan.settings.logs?.stack,
    plan.settings.gitops !== undefined,
    plan.settings.vpa !== undefined,
  );
}

/** PSA labels of a namespace. */
export function psaLabels(ns: NamespaceSpec): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": ns.enforce,
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/audit-version": "latest",
  };
}

/** LimitRange spec giving containers without their own resources a request and a limit. */
export function limitRangeSpec(): { limits: { type: "Container"; defaultRequest: Record<string, string>; default: Record<string, string> }[] } {
  const d = SIZING.namespaceDefault;
  return {
    limits: [
      {
        type: "Container",
        defaultRequest: { cpu: d.requests.cpu, memory: d.requests.memory },
        default: { cpu: d.limits.cpu, memory: d.limits.memory },
      },
    ],
  };
}
