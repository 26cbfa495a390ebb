/**
 * The apps stage's pure renderers on the prod stack's reference app: the env contract, the pod's
 * hardening, the policy that admits only what each app uses, routes, certificates and topics.
 */
import { appDatabase } from "../apps/facts";
import { APPS_NAMESPACE, AppContext, renderApps, topicResourceName } from "../apps/render";
import { parseApps } from "../config/apps";
import { parseRoleSettings } from "../config/roles";
import { parseTopology } from "../config/validate";
import { parsePlatformSettings } from "../config/platform";
import { k3sClusterFacts } from "../cluster/facts";
import { planPlatform } from "../platform/plan";
import { platformServices } from "../platform/services";
import { rawStack, stackConfig } from "./helpers/stacks";

const topology = parseTopology(rawStack("prod"), "prod");
const plan = planPlatform({ ...k3sClusterFacts(topology), settings: parsePlatformSettings({}, topology) });
const roles = parseRoleSettings(stackConfig("prod"), topology);
const ctx: AppContext = { namespace: APPS_NAMESPACE, services: platformServices(plan), database: appDatabase(topology, roles.postgres) };
const { apps } = parseApps({ appsRegistry: "registry.example.com/fmc", apps: stackConfig("prod").apps }, topology);
const rendered = renderApps(apps, ctx);
const app = (name: string) => rendered.apps.find((a) => a.app.name === name)!;
/** The rendered pod spec as plain data (the renderers' types allow Pulumi inputs; these are plain). */
type PlainPod = Record<string, unknown> & { containers: (Record<string, unknown> & { env: { name: string; value?: string; valueFrom?: unknown }[] })[] };
const podSpec = (name: string) => (app(name).deployment.spec.template as unknown as { spec: PlainPod }).spec;
const container = (name: string) => podSpec(name).containers[0];
const envOf = (name: string) => Object.fromEntries(container(name).env.map((e) => [e.name, e.value ?? e.valueFrom]));
const secretRef = (secret: string, key: string) => ({ secretKeyRef: { name: secret, key } });

describe("env contract", () => {
  it("api: PostgreSQL (password from a Secret), Kafka topics, Redis, MQTT, its own plain env", () => {
    expect(envOf("api")).toEqual({
      APP_NAME: "api",
      POSTGRES_HOST: "10.17.4.13",
      POSTGRES_PORT: "5432",
      POSTGRES_DB: "microservices",
      POSTGRES_USER: "microservices",
      POSTGRES_PASSWORD: secretRef("api-platform-credentials", "POSTGRES_PASSWORD"),
      KAFKA_BOOTSTRAP_SERVERS: "kafka-kafka-bootstrap.kafka.svc.cluster.local:9092",
      KAFKA_TOPICS: "events",
      REDIS_HOST: "redis-ha.redis.svc.cluster.local",
      REDIS_PORT: "26379",
      REDIS_SENTINEL_MASTER: "mymaster",
      MQTT_HOST: "mosquitto.mosquitto.svc.cluster.local",
      MQTT_PORT: "1883",
      REDIS_PASSWORD: secretRef("api-platform-credentials", "REDIS_PASSWORD"),
      REDIS_SENTINEL_PASSWORD: secretRef("api-platform-credentials", "REDIS_SENTINEL_PASSWORD"),
      MQTT_USERNAME: secretRef("api-platform-credentials", "MQTT_USERNAME"),
      MQTT_PASSWORD: secretRef("api-platform-credentials", "MQTT_PASSWORD"),
      LOG_LEVEL: "info",
    });
    expect(app("api").credentials.map((c) => c.source)).toEqual(["postgresPassword", "redisPassword", "redisSentinelPassword", "mqttUser", "mqttPassword"]);
  });

  it("worker: Redis through Sentinel (redis-ha runs no HAProxy), both passwords from the Secret", () => {
    const env = envOf("worker");
    expect(env).toMatchObject({
      REDIS_HOST: "redis-ha.redis.svc.cluster.local",
      REDIS_PORT: "26379",
      REDIS_SENTINEL_MASTER: "mymaster",
      REDIS_PASSWORD: secretRef("worker-platform-credentials", "REDIS_PASSWORD"),
      REDIS_SENTINEL_PASSWORD: secretRef("worker-platform-credentials", "REDIS_SENTINEL_PASSWORD"),
      KAFKA_TOPICS: "events",
    });
    expect(Object.keys(env).filter((k) => k.startsWith("POSTGRES"))).toEqual([]);
  });

  it("frontend: only APP_NAME and no credentials Secret", () => {
    expect(envOf("frontend")).toEqual({ APP_NAME: "frontend" });
    expect(app("frontend").secretName).toBeUndefined();
  });

  it("no credential is ever a plain value", () => {
    for (const r of rendered.apps) {
      for (const e of container(r.app.name).env) {
        if (/PASSWORD|USERNAME/.test(e.name)) expect({ name: e.name, value: e.value }).toEqual({ name: e.name, value: undefined });
      }
    }
  });
});

describe("pods", () => {
  it.each(["api", "worker", "frontend"])("%s: non-root, read-only root, no capabilities, RuntimeDefault seccomp, no API token", (name) => {
    const pod = podSpec(name);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe(name);
    expect(container(name).securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
    expect(app(name).serviceAccount.automountServiceAccountToken).toBe(false);
  });

  it("writable paths are emptyDirs; the user is the images' own (10001) unless the config says otherwise", () => {
    const pod = podSpec("frontend");
    expect(pod.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 });
    expect(container("frontend").volumeMounts).toEqual([{ name: "writable-tmp", mountPath: "/tmp" }]);
    expect(pod.volumes).toEqual([{ name: "writable-tmp", emptyDir: { sizeLimit: "64Mi" } }]);
    const nginx = renderApps([{ ...apps[2], runAsUser: 101, writablePaths: ["/tmp", "/var/cache/nginx"] }], ctx).apps[0];
    const spec = (nginx.deployment.spec.template as unknown as { spec: PlainPod }).spec;
    expect(spec.securityContext).toMatchObject({ runAsUser: 101 });
    expect(spec.containers[0].volumeMounts).toEqual([
      { name: "writable-tmp", mountPath: "/tmp" },
      { name: "writable-var-cache-nginx", mountPath: "/var/cache/nginx" },
    ]);
  });

  it("probes call /healthz on the app's port; requests and limits from the config", () => {
    const c = container("api");
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) expect(c[probe]).toMatchObject({ httpGet: { path: "/healthz", port: "http" } });
    expect(c.ports).toEqual([{ name: "http", containerPort: 8000, protocol: "TCP" }]);
    expect(c.resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
    expect(c.image).toBe("registry.example.com/fmc/reference-api:0.1.0");
  });

  it("spread across workers; the autoscaler owns the replica count", () => {
    const d = app("api").deployment;
    expect(d.spec.replicas).toBeUndefined();
    expect(podSpec("api").affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { "app.kubernetes.io/name": "api" } }, topologyKey: "kubernetes.io/hostname" } },
        ],
      },
    });
    expect(app("api").autoscaler.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "api" },
      minReplicas: 2,
      maxReplicas: 4,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
    });
    expect(app("worker").podDisruptionBudget.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "worker" } } });
  });
});

describe("network policies admit only what each app uses", () => {
  const policy = (name: string) => app(name).networkPolicy.spec;
  const ns = (n: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } } });
  const dns = {
    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
    ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }],
  };

  it("api: Traefik in on 8000; out to DNS, Kafka, Redis, MQTT and the PostgreSQL VM's address only", () => {
    expect(policy("api")).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/name": "api" } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [ns("traefik")], ports: [{ port: 8000, protocol: "TCP" }] }],
      egress: [
        dns,
        { to: [ns("kafka")], ports: [{ port: 9092, protocol: "TCP" }] },
        { to: [ns("redis")], ports: [{ port: 6379, protocol: "TCP" }, { port: 26379, protocol: "TCP" }] },
        { to: [ns("mosquitto")], ports: [{ port: 1883, protocol: "TCP" }] },
        { to: [{ ipBlock: { cidr: "10.17.4.13/32" } }], ports: [{ port: 5432, protocol: "TCP" }] },
      ],
    });
  });

  it("worker (internal only): nothing in; out to DNS, Kafka, Redis and Sentinel, MQTT", () => {
    expect(policy("worker").ingress).toEqual([]);
    expect(policy("worker").policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy("worker").egress).toEqual([
      dns,
      { to: [ns("kafka")], ports: [{ port: 9092, protocol: "TCP" }] },
      { to: [ns("redis")], ports: [{ port: 6379, protocol: "TCP" }, { port: 26379, protocol: "TCP" }] },
      { to: [ns("mosquitto")], ports: [{ port: 1883, protocol: "TCP" }] },
    ]);
  });

  it("frontend: Traefik in on 8080; out to DNS only", () => {
    expect(policy("frontend").ingress).toEqual([{ from: [ns("traefik")], ports: [{ port: 8080, protocol: "TCP" }] }]);
    expect(policy("frontend").egress).toEqual([dns]);
  });

  it("the namespace denies by default and lets Traefik reach the ACME solver pods", () => {
    expect(rendered.namespacePolicies.map((p) => p.name)).toEqual(["default-deny", "allow-acme-http01-solver"]);
    expect(rendered.namespacePolicies[1].spec).toMatchObject({
      podSelector: { matchLabels: { "acme.cert-manager.io/http01-solver": "true" } },
      ingress: [{ from: [ns("traefik")], ports: [{ port: 8089, protocol: "TCP" }] }],
    });
    expect(renderApps([apps[1]], ctx).namespacePolicies.map((p) => p.name)).toEqual(["default-deny"]);
  });
});

describe("routes, certificates, topics, capacity", () => {
  it("path routing per app on the shared host, HTTPS only, TLS from the host's Certificate", () => {
    expect(app("api").ingressRoute!.spec).toEqual({
      entryPoints: ["websecure"],
      routes: [{ kind: "Rule", match: "Host(`app.cefaslocalserver.com`) && PathPrefix(`/api`)", services: [{ name: "api", port: 8000 }] }],
      tls: { secretName: "app.cefaslocalserver.com-tls" },
    });
    expect(app("frontend").ingressRoute!.spec.routes[0].match).toBe("Host(`app.cefaslocalserver.com`)");
    // Without an issuer: Traefik's default certificate through the default store, never an empty
    // tls (server-side apply nulls an object emptied on update and the CRD refuses it; lab:kube).
    const bare = renderApps(apps, { ...ctx, services: { ...ctx.services, certificateIssuer: undefined } });
    expect(bare.apps.find((a) => a.app.name === "api")!.ingressRoute!.spec.tls).toEqual({ store: { name: "default" } });
    expect(bare.certificates).toEqual([]);
    expect(app("worker").ingressRoute).toBeUndefined();
    expect(rendered.certificates).toEqual([
      {
        name: "app.cefaslocalserver.com",
        namespace: "apps",
        // Awaited until issued; an RSA key, the only kind FreeIPA's ACME profile signs.
        annotations: { "pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "900" },
        spec: {
          secretName: "app.cefaslocalserver.com-tls",
          dnsNames: ["app.cefaslocalserver.com"],
          issuerRef: { kind: "ClusterIssuer", name: "freeipa-acme", group: "cert-manager.io" },
          privateKey: { algorithm: "RSA", size: 2048, rotationPolicy: "Always" },
        },
      },
    ]);
  });

  it("one KafkaTopic per topic, in Kafka's namespace, replicated like the platform's topics", () => {
    expect(rendered.topics).toEqual([
      {
        name: "events",
        namespace: "kafka",
        labels: { "strimzi.io/cluster": "kafka" },
        spec: { topicName: "events", partitions: 3, replicas: 3, config: { "min.insync.replicas": 2 } },
        usedBy: ["api", "worker"],
      },
    ]);
    expect(topicResourceName("Orders_v2")).toMatch(/^orders-v2-[0-9a-f]{8}$/);
    expect(topicResourceName("orders_v2")).not.toBe(topicResourceName("orders-v2"));
  });

  it("the capacity check counts each app at its maximum replicas", () => {
    expect(rendered.workloads.map((w) => [w.release, w.replicas])).toEqual([
      ["app:api", 4],
      ["app:worker", 3],
      ["app:frontend", 3],
    ]);
  });
});
