/**
 * Everything the apps stage sends to the cluster, rendered as plain data from the typed apps and
 * what the platform and the guest roles offer: per app a ServiceAccount, Deployment, Service,
 * PodDisruptionBudget, HorizontalPodAutoscaler, NetworkPolicy, its credentials' Secret layout and
 * (with a host) an IngressRoute; per host a Certificate; per topic a KafkaTopic. The Apps component
 * only wires these into resources and fills the Secrets with the platform's passwords.
 */
import type * as k8s from "@pulumi/kubernetes";
import { AppSpec } from "../config/apps";
import { Workload } from "../platform/capacity";
import { acmeSolverPolicy, CertificateDoc, certificateFor, tlsSecretName } from "../platform/certificates";
import { NetworkPolicyDoc } from "../platform/network-policies";
import { HOSTNAME_LABEL } from "../platform/plan";
import { PlatformServices } from "../platform/services";
import { preferredSpread } from "../platform/spread";

export const APPS_NAMESPACE = "apps";
export const STRIMZI_TOPIC_API_VERSION = "kafka.strimzi.io/v1";
/** Partitions of each app topic: consumers of one group share the work up to this many pods. */
export const TOPIC_PARTITIONS = 3;

/** The PostgreSQL VM as the guest roles set it up, for `postgres: true` apps. */
export interface AppDatabase {
  /** Address pods connect to (the VM's leg on the cluster network): env and the egress rule. */
  address: string;
  port: number;
  database: string;
  user: string;
}

export interface AppContext {
  namespace: string;
  services: PlatformServices;
  /** Undefined when the topology has no PostgreSQL VM (config validation rejects `postgres: true` then). */
  database?: AppDatabase;
  /**
   * The dockerconfigjson Secret the pods pull with: only on an existing cluster whose apps pull from
   * the in-cluster registry (its nodes have no registries.yaml of the program's, ./credentials.ts).
   */
  imagePullSecret?: string;
}

/** Which platform password fills a key of an app's credentials Secret. */
export type CredentialSource = "postgresPassword" | "redisPassword" | "redisSentinelPassword" | "mqttUser" | "mqttPassword";

export interface CredentialKey {
  /** Key in the app's Secret, also the env name the app reads. */
  key: string;
  source: CredentialSource;
}

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Doc<S> = { name: string; namespace: string; labels: Record<string, string>; spec: S };

export interface RenderedApp {
  app: AppSpec;
  labels: Record<string, string>;
  /** Name of the app's credentials Secret; undefined when it uses no credential. */
  secretName?: string;
  credentials: CredentialKey[];
  serviceAccount: { name: string; namespace: string; labels: Record<string, string>; automountServiceAccountToken: boolean };
  deployment: Doc<k8s.types.input.apps.v1.DeploymentSpec>;
  service: Doc<k8s.types.input.core.v1.ServiceSpec>;
  podDisruptionBudget: Doc<k8s.types.input.policy.v1.PodDisruptionBudgetSpec>;
  autoscaler: Doc<k8s.types.input.autoscaling.v2.HorizontalPodAutoscalerSpec>;
  networkPolicy: NetworkPolicyDoc;
  ingressRoute?: Doc<IngressRouteSpec>;
}

export interface IngressRouteSpec {
  entryPoints: string[];
  routes: { kind: "Rule"; match: string; services: { name: string; port: number }[] }[];
  /**
   * The host's TLS Secret, or without an issuer the default TLS store (Traefik's default
   * certificate, as an empty `tls` would be): never empty, because server-side apply turns an
   * object emptied on update into null, which the CRD refuses (`spec.tls in body must be of type
   * object: "null"`, kubernetes/kubernetes#104694): going back to `tlsIssuer: none` failed that way
   * (found by lab:kube). Traefik reads no certificate from `store` (only `default` is allowed).
   */
  tls: { secretName: string } | { store: { name: "default" } };
}

export interface KafkaTopicDoc {
  /** Resource name (a DNS label derived from the topic); `spec.topicName` is the topic itself. */
  name: string;
  namespace: string;
  labels: Record<string, string>;
  spec: { topicName: string; partitions: number; replicas: number; config: Record<string, number | string> };
  /** Apps that declared it. */
  usedBy: string[];
}

export interface RenderedApps {
  namespace: string;
  apps: RenderedApp[];
  topics: KafkaTopicDoc[];
  certificates: CertificateDoc[];
  /** Namespace-wide policies: default deny, and the ACME solver's way in when a route exists. */
  namespacePolicies: NetworkPolicyDoc[];
  workloads: Workload[];
}

export function appLabels(app: Pick<AppSpec, "name">): Record<string, string> {
  return { "app.kubernetes.io/name": app.name, "app.kubernetes.io/part-of": "flatcarmicrocloud-apps" };
}

const selectorOf = (app: Pick<AppSpec, "name">) => ({ "app.kubernetes.io/name": app.name });

export function credentialKeys(app: AppSpec): CredentialKey[] {
  const keys: CredentialKey[] = [];
  if (app.uses.postgres) keys.push({ key: "POSTGRES_PASSWORD", source: "postgresPassword" });
  if (app.uses.redis) {
    keys.push({ key: "REDIS_PASSWORD", source: "redisPassword" }, { key: "REDIS_SENTINEL_PASSWORD", source: "redisSentinelPassword" });
  }
  if (app.uses.mqtt) keys.push({ key: "MQTT_USERNAME", source: "mqttUser" }, { key: "MQTT_PASSWORD", source: "mqttPassword" });
  return keys;
}

/**
 * The env contract (docs/apps.md): plain values for addresses and names, `secretKeyRef` for every
 * credential, then the app's own non-secret entries.
 */
export function renderEnv(app: AppSpec, ctx: AppContext, secretName: string | undefined): EnvVar[] {
  const plain = (name: string, value: string | number): EnvVar => ({ name, value: String(value) });
  const env: EnvVar[] = [plain("APP_NAME", app.name)];
  const s = ctx.services;
  if (app.uses.postgres) {
    if (!ctx.database) throw new Error(`app ${app.name} uses postgres, but the topology has no PostgreSQL VM`);
    env.push(plain("POSTGRES_HOST", ctx.database.address), plain("POSTGRES_PORT", ctx.database.port), plain("POSTGRES_DB", ctx.database.database), plain("POSTGRES_USER", ctx.database.user));
  }
  if (app.uses.kafkaTopics.length > 0) env.push(plain("KAFKA_BOOTSTRAP_SERVERS", s.kafka.bootstrap), plain("KAFKA_TOPICS", app.uses.kafkaTopics.join(",")));
  if (app.uses.redis) env.push(plain("REDIS_HOST", s.redis.sentinelHost), plain("REDIS_PORT", s.redis.sentinelPort), plain("REDIS_SENTINEL_MASTER", s.redis.masterSet));
  if (app.uses.mqtt) env.push(plain("MQTT_HOST", s.mqtt.host), plain("MQTT_PORT", s.mqtt.port));
  for (const c of credentialKeys(app)) {
    env.push({ name: c.key, valueFrom: { secretKeyRef: { name: secretName as string, key: c.key } } });
  }
  for (const [name, value] of Object.entries(app.env).sort(([a], [b]) => a.localeCompare(b))) env.push(plain(name, value));
  return env;
}

function volumeName(path: string): string {
  const slug = path.replace(/^\/+/, "").replace(/[^a-z0-9]+/gi, "-").toLowerCase().replace(/^-+|-+$/g, "");
  return `writable-${slug}`.slice(0, 63).replace(/-+$/, "");
}

export function renderDeployment(app: AppSpec, ctx: AppContext, secretName: string | undefined, serviceAccount: string): RenderedApp["deployment"] {
  const labels = appLabels(app);
  const probe = (extra: Record<string, number>) => ({ httpGet: { path: app.healthPath, port: "http" }, ...extra });
  return {
    name: app.name,
    namespace: ctx.namespace,
    labels,
    spec: {
      // No `replicas`: the HorizontalPodAutoscaler owns the count (min..max); a value here would be
      // set back on every update of the Deployment and fight the autoscaler.
      selector: { matchLabels: selectorOf(app) },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: serviceAccount,
          automountServiceAccountToken: app.serviceAccountToken,
          ...(ctx.imagePullSecret ? { imagePullSecrets: [{ name: ctx.imagePullSecret }] } : {}),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: app.runAsUser,
            runAsGroup: app.runAsUser,
            fsGroup: app.runAsUser,
            seccompProfile: { type: "RuntimeDefault" },
          },
          // Spread over the workers (with zones: over the hosts first): one node (host) down costs
          // one replica, not all of them.
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: preferredSpread(ctx.services.spreadTopologyKey ?? HOSTNAME_LABEL, selectorOf(app)),
            },
          },
          containers: [
            {
              name: app.name,
              image: app.image,
              imagePullPolicy: "IfNotPresent",
              ports: [{ name: "http", containerPort: app.port, protocol: "TCP" }],
              env: renderEnv(app, ctx, secretName),
              resources: { requests: { ...app.resources.requests }, limits: { ...app.resources.limits } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ["ALL"] },
              },
              startupProbe: probe({ periodSeconds: 2, failureThreshold: 60 }),
              readinessProbe: probe({ periodSeconds: 10, failureThreshold: 3 }),
              livenessProbe: probe({ periodSeconds: 20, failureThreshold: 3, timeoutSeconds: 2 }),
              volumeMounts: app.writablePaths.map((p) => ({ name: volumeName(p), mountPath: p })),
            },
          ],
          volumes: app.writablePaths.map((p) => ({ name: volumeName(p), emptyDir: { sizeLimit: "64Mi" } })),
        },
      },
    },
  };
}

/** Egress and ingress of one app: DNS, the services it declared, Traefik in only with a route. */
export function renderAppNetworkPolicy(app: AppSpec, ctx: AppContext): NetworkPolicyDoc {
  const s = ctx.services;
  const inNamespace = (namespace: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } });
  const tcp = (...ports: number[]) => ports.map((port) => ({ port, protocol: "TCP" }));
  const egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [
    {
      to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
      ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }],
    },
  ];
  if (app.uses.kafkaTopics.length > 0) egress.push({ to: [inNamespace(s.kafka.namespace)], ports: tcp(...s.kafka.podPorts) });
  if (app.uses.redis) egress.push({ to: [inNamespace(s.redis.namespace)], ports: tcp(...s.redis.podPorts) });
  if (app.uses.mqtt) egress.push({ to: [inNamespace(s.mqtt.namespace)], ports: tcp(...s.mqtt.podPorts) });
  // PostgreSQL is a VM outside the cluster: an ipBlock of its address, and only its port.
  if (app.uses.postgres && ctx.database) egress.push({ to: [{ ipBlock: { cidr: `${ctx.database.address}/32` } }], ports: tcp(ctx.database.port) });
  const ingress: k8s.types.input.networking.v1.NetworkPolicyIngressRule[] = app.ingress ? [{ from: [inNamespace(s.traefikNamespace)], ports: tcp(app.port) }] : [];
  return {
    name: `${app.name}`,
    namespace: ctx.namespace,
    // Both types, so an internal app with no ingress rule admits nothing (kubelet probes pass: the
    // policy controller lets a node reach its own pods).
    spec: { podSelector: { matchLabels: selectorOf(app) }, policyTypes: ["Ingress", "Egress"], ingress, egress },
  };
}

function routeMatch(host: string, path: string): string {
  return path === "/" ? `Host(\`${host}\`)` : `Host(\`${host}\`) && PathPrefix(\`${path}\`)`;
}

export function renderApp(app: AppSpec, ctx: AppContext): RenderedApp {
  const labels = appLabels(app);
  const credentials = credentialKeys(app);
  const secretName = credentials.length > 0 ? `${app.name}-platform-credentials` : undefined;
  const meta = { name: app.name, namespace: ctx.namespace, labels };
  return {
    app,
    labels,
    secretName,
    credentials,
    serviceAccount: { ...meta, automountServiceAccountToken: app.serviceAccountToken },
    deployment: renderDeployment(app, ctx, secretName, app.name),
    service: { ...meta, spec: { type: "ClusterIP", selector: selectorOf(app), ports: [{ name: "http", port: app.port, targetPort: "http", protocol: "TCP" }] } },
    // One pod at a time may go during a drain, whatever the count: never blocks a node's maintenance.
    podDisruptionBudget: { ...meta, spec: { maxUnavailable: 1, selector: { matchLabels: selectorOf(app) } } },
    autoscaler: {
      ...meta,
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: app.name },
        minReplicas: app.replicas.min,
        maxReplicas: app.replicas.max,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: app.targetCpuPercent } } }],
      },
    },
    networkPolicy: renderAppNetworkPolicy(app, ctx),
    ingressRoute: app.ingress && {
      ...meta,
      spec: {
        entryPoints: ["websecure"],
        routes: app.ingress.paths.map((p) => ({ kind: "Rule" as const, match: routeMatch(app.ingress!.host, p), services: [{ name: app.name, port: app.port }] })),
        tls: ctx.services.certificateIssuer ? { secretName: tlsSecretName(app.ingress.host) } : { store: { name: "default" } },
      },
    },
  };
}

/** A DNS label for a topic's KafkaTopic resource; the topic keeps its own name in `topicName`. */
export function topicResourceName(topic: string): string {
  const slug = topic.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") || "topic";
  return slug === topic ? topic : `${slug.slice(0, 54)}-${shortHash(topic)}`;
}

function shortHash(text: string): string {
  let h = 2166136261;
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h.toString(16).padStart(8, "0");
}

export function renderTopics(apps: AppSpec[], ctx: AppContext): KafkaTopicDoc[] {
  const users = new Map<string, string[]>();
  for (const app of apps) for (const t of app.uses.kafkaTopics) users.set(t, [...(users.get(t) ?? []), app.name]);
  const k = ctx.services.kafka;
  return [...users.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([topic, usedBy]) => ({
      name: topicResourceName(topic),
      namespace: k.namespace,
      labels: { "strimzi.io/cluster": k.cluster },
      spec: { topicName: topic, partitions: TOPIC_PARTITIONS, replicas: k.replicationFactor, config: { "min.insync.replicas": k.minInsyncReplicas } },
      usedBy,
    }));
}

/** Steady-state pods for the capacity check, at the autoscaler's maximum: the room it may need. */
export function appWorkloads(apps: AppSpec[]): Workload[] {
  return apps.map((app) => ({ release: `app:${app.name}`, name: app.name, kind: "Deployment", replicas: app.replicas.max, containers: [{ name: app.name, resources: app.resources }] }));
}

export function renderApps(apps: AppSpec[], ctx: AppContext): RenderedApps {
  const hosts = [...new Set(apps.flatMap((a) => (a.ingress ? [a.ingress.host] : [])))].sort();
  const namespacePolicies: NetworkPolicyDoc[] = [{ name: "default-deny", namespace: ctx.namespace, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } }];
  const issuer = ctx.services.certificateIssuer;
  const certificates = issuer ? hosts.map((h) => certificateFor(h, ctx.namespace, issuer)) : [];
  if (certificates.length > 0 && ctx.services.http01Solver) namespacePolicies.push(acmeSolverPolicy(ctx.namespace, ctx.services.traefikNamespace));
  return {
    namespace: ctx.namespace,
    apps: apps.map((a) => renderApp(a, ctx)),
    topics: renderTopics(apps, ctx),
    certificates,
    namespacePolicies,
    workloads: appWorkloads(apps),
  };
}
