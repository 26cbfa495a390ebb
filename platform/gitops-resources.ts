/**
 * The `gitops` opt-in's resources (the data comes from ./gitops.ts and ./values/argocd.ts): Argo CD's
 * Secrets, its release, the AppProject, the `default` project's lock-down, the Applications and the
 * synced apps' namespace.
 *
 * Order: the Secrets (argocd-secret with the admin's bcrypt hash, argocd-redis, the repository) ->
 * the release (its CRDs are chart templates) -> the AppProject -> the Applications, which also wait
 * for the synced apps' namespace and its guard rails, so nothing syncs into an unguarded namespace.
 * On removal Pulumi deletes them the other way round: the Applications (no resources finalizer: their
 * objects stay) -> the AppProject -> the release (the CRDs stay, `helm.sh/resource-policy: keep`) ->
 * the synced apps' namespace, and with it every object Argo CD synced there.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { GitopsSettings } from "../config/opt-ins/gitops";
import { applications, appProjectSpec, ARGOCD_API_VERSION, DEFAULT_PROJECT, GITOPS_PROJECT, GITOPS_REPOSITORY_SECRET, gitopsNamespace, gitopsNamespacePolicies, lockedDefaultProjectSpec, repositorySecretData, REPOSITORY_SECRET_LABELS } from "./gitops";
import { limitRangeSpec, psaLabels } from "./namespaces";
import { ARGOCD_PART_OF, ARGOCD_REDIS_SECRET, ARGOCD_REDIS_SECRET_KEY, ARGOCD_SECRET } from "./values/argocd";

export interface GitopsArgs {
  settings: GitopsSettings & { credentialValue?: pulumi.Output<string> };
  /** Argo CD's namespace (the platform's `argocd`) and its guard rails. */
  namespace: k8s.core.v1.Namespace;
  guardRails: pulumi.Resource[];
  /** The platform's release helper: Argo CD's release after `dependsOn`. */
  release: (dependsOn: pulumi.Resource[]) => k8s.helm.v3.Release;
  opts: pulumi.CustomResourceOptions;
  parent: pulumi.Resource;
}

export interface GitopsResources {
  release: k8s.helm.v3.Release;
  /** The `admin` user's password (secret). */
  adminPassword: pulumi.Output<string>;
}

export function registerGitops(name: string, args: GitopsArgs): GitopsResources {
  const g = args.settings;
  const opts = args.opts;
  const ns = args.namespace.metadata.name;
  const password = (id: string) => new random.RandomPassword(`${name}-${id}`, { length: 32, special: false }, { parent: args.parent });
  const admin = password("argocd-admin-password");
  const signingKey = password("argocd-signing-key");
  const redis = password("argocd-redis-password");
  const secret = (secretName: string, labels: Record<string, string>, stringData: pulumi.Input<Record<string, pulumi.Input<string>>>) =>
    new k8s.core.v1.Secret(
      `${name}-${secretName}`,
      { metadata: { name: secretName, namespace: ns, labels }, type: "Opaque", stringData: pulumi.secret(stringData) },
      { ...opts, additionalSecretOutputs: ["data", "stringData"] },
    );
  // Argo CD reads the admin's bcrypt hash (never the password) and signs its session tokens with
  // server.secretkey; it would generate that key into this Secret itself if it were missing, which
  // Pulumi would then undo on every update.
  const argocdSecret = secret(ARGOCD_SECRET, { ...ARGOCD_PART_OF }, { "admin.password": admin.bcryptHash, "server.secretkey": signingKey.result });
  const redisSecret = secret(ARGOCD_REDIS_SECRET, { ...ARGOCD_PART_OF }, { [ARGOCD_REDIS_SECRET_KEY]: redis.result });
  const credential = g.credentialValue ?? pulumi.output<string | undefined>(undefined);
  const repositorySecret = secret(GITOPS_REPOSITORY_SECRET, { ...ARGOCD_PART_OF, ...REPOSITORY_SECRET_LABELS }, credential.apply((value) => repositorySecretData(g, value)));
  const release = args.release([argocdSecret, redisSecret, repositorySecret]);

  // The synced apps' namespace and its guard rails: Pulumi's, never Argo CD's (the project refuses
  // Namespace, LimitRange and ResourceQuota objects).
  const spec = gitopsNamespace(g);
  const appsNamespace = new k8s.core.v1.Namespace(`${name}-ns-${spec.name}`, { metadata: { name: spec.name, labels: psaLabels(spec) } }, opts);
  const appsGuardRails: pulumi.Resource[] = [
    new k8s.core.v1.LimitRange(`${name}-${spec.name}-container-defaults`, { metadata: { name: "container-defaults", namespace: appsNamespace.metadata.name }, spec: limitRangeSpec() }, opts),
    ...gitopsNamespacePolicies(g).map(
      (np) => new k8s.networking.v1.NetworkPolicy(`${name}-${np.namespace}-${np.name}`, { metadata: { name: np.name, namespace: appsNamespace.metadata.name }, spec: np.spec }, opts),
    ),
  ];

  const project = new k8s.apiextensions.CustomResource(
    `${name}-appproject-${GITOPS_PROJECT}`,
    { apiVersion: ARGOCD_API_VERSION, kind: "AppProject", metadata: { name: GITOPS_PROJECT, namespace: ns }, spec: appProjectSpec(g) },
    { ...opts, dependsOn: [release, ...args.guardRails] },
  );
  // Argo CD's built-in `default` project, emptied (./gitops.ts lockedDefaultProjectSpec). argocd-server
  // creates it at start-up when missing and leaves an existing one alone, so either may come first: a
  // Patch resource is a server-side apply (the provider creates the object when absent, updates it when
  // present; a plain resource's create fails with AlreadyExists since pulumi-kubernetes 4.29), and
  // `patchForce` takes the three lists over from argocd-server's create (without it: 3 conflicts with
  // manager argocd-server). `retainOnDelete`: deleting a Patch relinquishes its fields, which leaves
  // no `spec` and the apiserver refuses (`spec in body must be of type object`, docs/gitops.md);
  // turning gitops off deletes argocd's namespace, and the project with it.
  new k8s.apiextensions.CustomResourcePatch(
    `${name}-appproject-${DEFAULT_PROJECT}`,
    {
      apiVersion: ARGOCD_API_VERSION,
      kind: "AppProject",
      metadata: { name: DEFAULT_PROJECT, namespace: ns, annotations: { "pulumi.com/patchForce": "true" } },
      spec: lockedDefaultProjectSpec(),
    },
    { ...opts, dependsOn: [release, ...args.guardRails], retainOnDelete: true },
  );
  for (const app of applications(g)) {
    new k8s.apiextensions.CustomResource(
      `${name}-application-${app.name}`,
      { apiVersion: ARGOCD_API_VERSION, kind: "Application", metadata: { name: app.name, namespace: ns }, spec: app.spec },
      { ...opts, dependsOn: [project, repositorySecret, ...appsGuardRails] },
    );
  }
  return { release, adminPassword: admin.result };
}
