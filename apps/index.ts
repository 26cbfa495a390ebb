/**
 * Stage 4: the user's apps on the platform. One namespace (`apps`, Pod Security `restricted`,
 * default deny, container defaults), then per app its ServiceAccount, credentials Secret (copied from
 * the platform's and the guest roles' generated passwords: a pod can only read Secrets of its own
 * namespace), Deployment, Service, PodDisruptionBudget, HorizontalPodAutoscaler, NetworkPolicy and
 * IngressRoute; per route host a Certificate from FreeIPA's ACME issuer; per topic a Strimzi
 * KafkaTopic in Kafka's namespace.
 *
 * Everything is rendered in ./render.ts from the validated apps; this component only wires
 * resources. Everything in it waits for the Platform (`after`), whose CRDs (Strimzi, cert-manager,
 * Traefik) and services the apps need.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppsSettings } from "../config/apps";
import { CERT_MANAGER_API_VERSION } from "../platform/certificates";
import { limitRangeSpec, psaLabels } from "../platform/namespaces";
import { PlatformServices } from "../platform/services";
import { dockerConfigJson } from "../platform/values/zot";
import { VPA_API_VERSION, vpaFor } from "../platform/vpa-objects";
import type { AppsImagePull } from "./credentials";
import { APPS_NAMESPACE, AppDatabase, CredentialSource, renderApps, STRIMZI_TOPIC_API_VERSION } from "./render";

export { APPS_NAMESPACE } from "./render";

/** The apps' imagePullSecret with the in-cluster registry on an existing cluster (./credentials.ts). */
export const IMAGE_PULL_SECRET = "registry-pull";

/** The generated passwords the apps' Secrets are filled from (all secret outputs). */
export interface AppCredentials {
  postgresPassword?: string;
  redisPassword: string;
  redisSentinelPassword: string;
  mqttUser: string;
  mqttPassword: string;
}

export interface AppsArgs {
  provider: k8s.Provider;
  settings: AppsSettings;
  services: PlatformServices;
  database?: AppDatabase;
  credentials: pulumi.Input<AppCredentials>;
  /** With the in-cluster registry on an existing cluster: the pods pull with these credentials (./credentials.ts). */
  imagePull?: AppsImagePull;
  /**
   * What every app resource waits for: the Platform (its CRDs, services and issuer). Passed to each
   * child, since a component's own `dependsOn` does not hold back its children.
   */
  after: pulumi.Resource[];
  /**
   * Stage 2's `lifetime`, like the platform's: every app object is `deletedWith` it, so destroying
   * the stack deletes no app object through an API that goes away with the cluster; removing an app
   * from the config still deletes its objects.
   */
  clusterLifetime?: pulumi.Resource;
}

export interface AppEndpoint {
  /** `https://<host><path>` per route, or the in-cluster address of an internal app. */
  urls: string[];
  internal: string;
}

export class Apps extends pulumi.ComponentResource {
  /** Per app: its routes and its Service address inside the cluster. */
  declare readonly endpoints: Record<string, AppEndpoint>;

  constructor(name: string, args: AppsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flatcarmicrocloud:apps:Apps", name, {}, opts);
    const imagePullSecret = args.imagePull ? IMAGE_PULL_SECRET : undefined;
    const rendered = renderApps(args.settings.apps, { namespace: APPS_NAMESPACE, services: args.services, database: args.database, imagePullSecret });

    const k8sOpts = { parent: this, provider: args.provider, dependsOn: args.after, deletedWith: args.clusterLifetime };
    this.endpoints = {};
    if (args.settings.apps.length === 0) {
      this.registerOutputs({ endpoints: this.endpoints });
      return;
    }

    const namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      { metadata: { name: APPS_NAMESPACE, labels: psaLabels({ name: APPS_NAMESPACE, enforce: "restricted", reason: "apps run non-root, read-only, without capabilities" }) } },
      k8sOpts,
    );
    const ns = namespace.metadata.name;
    const guardRails: pulumi.Resource[] = [
      new k8s.core.v1.LimitRange(`${name}-container-defaults`, { metadata: { name: "container-defaults", namespace: ns }, spec: limitRangeSpec() }, k8sOpts),
      ...rendered.namespacePolicies.map(
        (np) => new k8s.networking.v1.NetworkPolicy(`${name}-${np.name}`, { metadata: { name: np.name, namespace: ns }, spec: np.spec }, k8sOpts),
      ),
    ];
    const afterGuardRails = { ...k8sOpts, dependsOn: [...args.after, ...guardRails] };
    const pull = args.imagePull;
    const pullSecret =
      pull &&
      new k8s.core.v1.Secret(
        `${name}-${IMAGE_PULL_SECRET}`,
        {
          metadata: { name: IMAGE_PULL_SECRET, namespace: ns },
          type: "kubernetes.io/dockerconfigjson",
          stringData: pulumi.secret(pull.password.apply((p) => ({ ".dockerconfigjson": dockerConfigJson(pull.host, pull.username, p) }))),
        },
        { ...afterGuardRails, additionalSecretOutputs: ["data", "stringData"] },
      );

    const certificates = new Map<string, k8s.apiextensions.CustomResource>();
    for (const cert of rendered.certificates) {
      certificates.set(
        cert.spec.secretName,
        new k8s.apiextensions.CustomResource(
          `${name}-certificate-${cert.name}`,
          { apiVersion: CERT_MANAGER_API_VERSION, kind: "Certificate", metadata: { name: cert.name, namespace: ns, annotations: cert.annotations }, spec: cert.spec },
          afterGuardRails,
        ),
      );
    }

    const topics = new Map<string, k8s.apiextensions.CustomResource>();
    for (const topic of rendered.topics) {
      topics.set(
        topic.spec.topicName,
        new k8s.apiextensions.CustomResource(
          `${name}-topic-${topic.name}`,
          { apiVersion: STRIMZI_TOPIC_API_VERSION, kind: "KafkaTopic", metadata: { name: topic.name, namespace: topic.namespace, labels: topic.labels }, spec: topic.spec },
          k8sOpts,
        ),
      );
    }

    const credentials = pulumi.output(args.credentials);
    const port = args.services.httpsPort === 443 ? "" : `:${args.services.httpsPort}`;
    for (const r of rendered.apps) {
      const app = r.app;
      const meta = (doc: { name: string; labels: Record<string, string> }) => ({ name: doc.name, namespace: ns, labels: doc.labels });
      const id = `${name}-${app.name}`;
      const deps: pulumi.Resource[] = [...args.after, ...guardRails, ...(pullSecret ? [pullSecret] : []), ...app.uses.kafkaTopics.map((t) => topics.get(t) as pulumi.Resource)];
      const sa = new k8s.core.v1.ServiceAccount(
        id,
        { metadata: meta(r.serviceAccount), automountServiceAccountToken: r.serviceAccount.automountServiceAccountToken },
        afterGuardRails,
      );
      deps.push(sa);
      if (r.secretName) {
        const keys = r.credentials;
        const stringData = credentials.apply((c) => {
          const value = (source: CredentialSource): string => {
            const v = c[source];
            if (v === undefined) throw new Error(`apps: ${app.name} needs ${source}, which the stack does not generate`);
            return v;
          };
          return Object.fromEntries(keys.map((k) => [k.key, value(k.source)]));
        });
        deps.push(
          new k8s.core.v1.Secret(
            `${id}-credentials`,
            { metadata: { name: r.secretName, namespace: ns, labels: r.labels }, type: "Opaque", stringData: pulumi.secret(stringData) },
            afterGuardRails,
          ),
        );
      }
      const service = new k8s.core.v1.Service(id, { metadata: meta(r.service), spec: r.service.spec }, afterGuardRails);
      new k8s.networking.v1.NetworkPolicy(id, { metadata: { name: r.networkPolicy.name, namespace: ns, labels: r.labels }, spec: r.networkPolicy.spec }, afterGuardRails);
      const deployment = new k8s.apps.v1.Deployment(id, { metadata: meta(r.deployment), spec: r.deployment.spec }, { ...k8sOpts, dependsOn: deps });
      new k8s.policy.v1.PodDisruptionBudget(id, { metadata: meta(r.podDisruptionBudget), spec: r.podDisruptionBudget.spec }, afterGuardRails);
      new k8s.autoscaling.v2.HorizontalPodAutoscaler(id, { metadata: meta(r.autoscaler), spec: r.autoscaler.spec }, { ...k8sOpts, dependsOn: [...args.after, deployment] });
      // The `vpa` opt-in: recommendations only (updateMode Off), so it never fights the HPA above.
      if (args.services.verticalPodAutoscaler) {
        const v = vpaFor({ namespace: APPS_NAMESPACE, kind: "Deployment", name: app.name });
        new k8s.apiextensions.CustomResource(
          `${id}-vpa`,
          { apiVersion: VPA_API_VERSION, kind: "VerticalPodAutoscaler", metadata: { name: v.name, namespace: ns, labels: r.labels }, spec: v.spec },
          { ...k8sOpts, dependsOn: [...args.after, deployment] },
        );
      }
      if (r.ingressRoute) {
        const tls = r.ingressRoute.spec.tls;
        const secretName = "secretName" in tls ? tls.secretName : undefined;
        const cert = secretName ? certificates.get(secretName) : undefined;
        new k8s.apiextensions.CustomResource(
          `${id}-route`,
          { apiVersion: "traefik.io/v1alpha1", kind: "IngressRoute", metadata: meta(r.ingressRoute), spec: r.ingressRoute.spec },
          { ...k8sOpts, dependsOn: [...args.after, service, ...(cert ? [cert] : [])] },
        );
      }
      this.endpoints[app.name] = {
        urls: app.ingress ? app.ingress.paths.map((p) => `https://${app.ingress!.host}${port}${p}`) : [],
        internal: `http://${app.name}.${APPS_NAMESPACE}.svc.cluster.local:${app.port}`,
      };
    }
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
