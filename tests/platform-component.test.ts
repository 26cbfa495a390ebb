/**
 * The Platform component on the prod facts, under the SDK's mock engine: what it registers, in which
 * order (the dependency graph), and what it outputs.
 */
import { createHash } from "crypto";
import { parsePlatformSettings } from "../config/platform";
import type { Platform as PlatformClass } from "../platform";
import { CHARTS_WITH_CRDS, loadCrdManifest } from "../platform/chart-crds";
import { mosquittoPasswordFile } from "../platform/mqtt-users";
import { flannelNodeAddresses } from "../platform/node-sources";
import { NAMESPACES } from "../platform/namespaces";
import { RELEASES } from "../platform/releases";
import { CHARTS } from "../versions";
import { FREEIPA_CA_PEM } from "./helpers/machine-outputs";
import { platformOnProd, RELEASE, SECRET } from "./helpers/platform-component";
import { Harness, isSecretAt, Recorded, resolveOutput } from "./helpers/pulumi-harness";
import { testVolumeBackups } from "./helpers/volume-backups";
import * as pulumi from "@pulumi/pulumi";
import { BUILDS_EXAMPLE } from "../config/opt-ins/builds";
import { BUILDS_CONTEXT, withRoomForBuilds } from "./helpers/builds";

const NAMESPACE = "kubernetes:core/v1:Namespace";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

let h: Harness;
let platform: PlatformClass;

beforeAll(async () => {
  ({ h, platform } = await platformOnProd((topology, facts) => {
    const builds = parsePlatformSettings({ builds: BUILDS_EXAMPLE, vpa: { platform: true } }, topology, { builds: BUILDS_CONTEXT });
    return {
      // More room than the seed's workers have: builds does not fit next to the platform there.
      ...withRoomForBuilds(facts),
      // With the opt-ins builds and vpa, so their releases and objects are wired here too (without: tests/platform-builds.test.ts, tests/platform-vpa.test.ts).
      settings: { ...builds, builds: builds.builds && { ...builds.builds, pushPassword: pulumi.secret("push-password") } },
      appHosts: ["app.cefaslocalserver.com"],
      // With a backup target, so every pinned release is there (tests/platform-volume-backups.test.ts: without one).
      volumeBackups: { plan: testVolumeBackups(), credentials: pulumi.secret({ accessKeyId: "AKIAFMCTEST", secretAccessKey: "test-secret-key", passphrase: "a long test passphrase 0123" }) },
    };
  }));
});

function release(name: string): Recorded {
  const found = h.byType(RELEASE).filter((r) => r.inputs.name === name);
  if (found.length !== 1) throw new Error(`expected one release ${name}, found ${found.length}`);
  return found[0];
}

/** Helm releases `r` waits for, directly or through other resources. */
function releaseDeps(r: Recorded): string[] {
  return h
    .byType(RELEASE)
    .filter((other) => other !== r && h.dependsOn(r, other))
    .map((other) => other.inputs.name as string)
    .sort();
}

describe("releases", () => {
  it("one per pinned chart, atomic, exact version, its own timeout, no namespace creation", () => {
    const releases = h.byType(RELEASE);
    // All but the opt-ins' (the registry: tests/registry-component.test.ts; Argo CD: tests/platform-gitops.test.ts; logs: tests/platform-logs.test.ts).
    const here = (Object.entries(RELEASES) as [keyof typeof CHARTS, (typeof RELEASES)[keyof typeof CHARTS]][]).filter(([key]) => !["zot", "argoCd", "eckOperator", "eckStack", "fluentBit", "loki"].includes(key));
    expect(releases.map((r) => r.inputs.name).sort()).toEqual(here.map(([, s]) => s.name).sort());
    for (const [key, spec] of here) {
      const r = release(spec.name);
      const chart: { chart: string; version: string; repo?: string } = CHARTS[key];
      expect(r.inputs).toMatchObject({ chart: chart.chart, version: chart.version, atomic: true, timeout: spec.timeoutSeconds, createNamespace: false });
      expect(r.inputs.namespace).toBe(NAMESPACES[spec.namespace].name);
      expect(chart.version).toMatch(/^v?\d+\.\d+\.\d+$/);
      if (chart.repo) expect(r.inputs.repositoryOpts).toEqual({ repo: chart.repo });
      else expect(r.inputs.repositoryOpts).toBeUndefined();
      expect(r.provider).toContain("::k::");
    }
    expect(release("strimzi").inputs.chart).toBe("oci://quay.io/strimzi-helm/strimzi-kafka-operator");
  });

  it("install only after their real dependencies; independent ones in parallel", () => {
    const rook = ["ceph-csi-drivers", "rook-ceph", "rook-ceph-cluster"];
    const deps = Object.fromEntries(h.byType(RELEASE).map((r) => [r.inputs.name, releaseDeps(r)]));
    expect(deps).toEqual({
      "rook-ceph": [],
      "ceph-csi-drivers": ["rook-ceph"],
      "rook-ceph-cluster": ["ceph-csi-drivers", "rook-ceph"],
      strimzi: [],
      "cert-manager": [],
      // Volumes on ceph-block:
      mosquitto: rook,
      "kube-prometheus-stack": rook,
      // No release waits for monitoring: the ServiceMonitors are the platform's own.
      traefik: [],
      "redis-ha": rook,
      // kured waits for the Ceph health rules its reboot gate reads (after monitoring and Ceph).
      kured: ["kube-prometheus-stack", ...rook].sort(),
      // Volume backups: Velero after the snapshot controller (the classes it snapshots with), nothing else.
      "snapshot-controller": [],
      velero: ["snapshot-controller"],
      // Builds: the operator needs nothing but its CRDs.
      "tekton-operator": [],
      vpa: [],
    });
  });

  it("volume users wait for the storage gate, a claim on ceph-block that must bind", () => {
    const gate = h.byName("platform-ceph-block-ready");
    expect(gate.inputs.metadata).toMatchObject({ annotations: { "pulumi.com/waitFor": "jsonpath={.status.phase}=Bound" } });
    expect(gate.inputs.spec).toMatchObject({ storageClassName: "ceph-block" });
    expect(h.dependsOn(gate, release("rook-ceph-cluster"))).toBe(true);
    for (const user of ["kube-prometheus-stack", "redis-ha", "mosquitto"]) expect(h.dependsOn(release(user), gate)).toBe(true);
    expect(h.dependsOn(h.byName("platform-kafka-node-pool"), gate)).toBe(true);
  });

  it("Kafka custom resources (kafka.strimzi.io/v1) come after the Strimzi CRDs and storage", () => {
    const kafka = h.byName("platform-kafka");
    const pool = h.byName("platform-kafka-node-pool");
    expect(kafka.inputs).toMatchObject({ apiVersion: "kafka.strimzi.io/v1", kind: "Kafka", metadata: { name: "kafka", namespace: "kafka" } });
    expect(pool.inputs).toMatchObject({ apiVersion: "kafka.strimzi.io/v1", kind: "KafkaNodePool", metadata: { labels: { "strimzi.io/cluster": "kafka" } } });
    for (const cr of [kafka, pool]) {
      expect(h.dependsOn(cr, release("strimzi"))).toBe(true);
      expect(h.dependsOn(cr, release("kube-prometheus-stack"))).toBe(false);
    }
  });

  it("Kafka is awaited until Strimzi reports it Ready (three reconciliations), after its node pool", () => {
    const kafka = h.byName("platform-kafka");
    const pool = h.byName("platform-kafka-node-pool");
    // 3 × (operationTimeoutMs 300 s + fullReconciliationIntervalMs 120 s), the chart's defaults.
    expect((kafka.inputs.metadata as { annotations: unknown }).annotations).toEqual({ "pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "1260" });
    expect(h.dependsOn(kafka, pool)).toBe(true);
    // The pool has no Ready condition and its status is written while Kafka reconciles: awaiting it
    // before Kafka exists would never end.
    expect((pool.inputs.metadata as { annotations?: Record<string, string> }).annotations?.["pulumi.com/waitFor"]).toBeUndefined();
  });

  it("the platform's ServiceMonitors come after the monitoring CRDs and what they watch", () => {
    const monitors = h.all().filter((r) => r.inputs.kind === "ServiceMonitor");
    expect(monitors.map((m) => (m.inputs.metadata as { name: string }).name).sort()).toEqual(["redis-ha", "rook-ceph-exporter", "rook-ceph-mgr", "tekton-pipelines-controller", "traefik", "velero"]);
    expect(h.dependsOn(h.byName("platform-redis-ha-monitor"), release("redis-ha"))).toBe(true);
    for (const m of monitors) expect(h.dependsOn(m, release("kube-prometheus-stack"))).toBe(true);
    const traefik = h.byName("platform-traefik-monitor");
    expect(traefik.inputs.metadata).toMatchObject({ name: "traefik", namespace: "traefik" });
    expect(h.dependsOn(traefik, release("traefik"))).toBe(true);
    // The chart's metrics Service: its selector labels and port (traefik-helm-chart _service-metrics.tpl).
    expect(traefik.inputs.spec).toMatchObject({
      selector: { matchLabels: { "app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": "traefik-traefik", "app.kubernetes.io/component": "metrics" } },
      endpoints: [{ port: "metrics", path: "/metrics" }],
    });
    for (const ceph of ["platform-rook-ceph-mgr-monitor", "platform-rook-ceph-exporter-monitor"]) {
      expect(h.dependsOn(h.byName(ceph), release("rook-ceph-cluster"))).toBe(true);
    }
  });

  it("releases read their Secrets, which exist first", () => {
    const secretOf = (name: string) => h.byType(SECRET).find((s) => (s.inputs.metadata as { name: string }).name === name) as Recorded;
    expect(h.dependsOn(release("kube-prometheus-stack"), secretOf("grafana-admin"))).toBe(true);
    expect(h.dependsOn(release("redis-ha"), secretOf("redis-auth"))).toBe(true);
    expect(h.dependsOn(release("mosquitto"), secretOf("mosquitto-auth"))).toBe(true);
    expect(h.dependsOn(release("traefik"), secretOf("traefik-dashboard-auth"))).toBe(true);
  });
});

describe("chart CRDs (crds/, which Helm never upgrades)", () => {
  const CRD_PATCH = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinitionPatch";

  it("each chart with crds/ gets them applied by the program at its pinned version, forced, never deleted, before its release", () => {
    let count = 0;
    for (const key of CHARTS_WITH_CRDS) {
      const manifest = loadCrdManifest(key);
      expect({ key, version: manifest.version }).toEqual({ key, version: CHARTS[key].version });
      const r = release(RELEASES[key].name);
      for (const crd of manifest.crds) {
        const patch = h.byName(`platform-crd-${crd.metadata.name}`);
        expect(patch.type).toBe(CRD_PATCH);
        expect(patch.inputs.spec).toEqual(crd.spec);
        expect(patch.inputs.metadata).toEqual({ ...crd.metadata, annotations: { ...(crd.metadata.annotations ?? {}), "pulumi.com/patchForce": "true" } });
        expect(patch.retainOnDelete).toBe(true);
        expect(patch.provider).toContain("::k::");
        expect(h.dependencyNames(r)).toContain(patch.name);
        count++;
      }
    }
    expect(h.byType(CRD_PATCH)).toHaveLength(count);
    // traefik 25, strimzi 10, kube-prometheus-stack 10, velero 13, snapshot-controller 6, tekton-operator 13, vpa 2.
    expect(count).toBe(79);
  });

  it("those releases skip crds/ (Helm and the program never both write them); the others install their templated CRDs", () => {
    const skipping = h.byType(RELEASE).filter((r) => r.inputs.skipCrds === true).map((r) => r.inputs.name).sort();
    expect(skipping).toEqual(["kube-prometheus-stack", "snapshot-controller", "strimzi", "tekton-operator", "traefik", "velero", "vpa"]);
    for (const r of h.byType(RELEASE).filter((r) => !skipping.includes(r.inputs.name as string))) expect(r.inputs.skipCrds).toBe(false);
  });

  it("custom resources of those CRDs come after them (Kafka, ServiceMonitors)", () => {
    expect(h.dependsOn(h.byName("platform-kafka"), h.byName("platform-crd-kafkas.kafka.strimzi.io"))).toBe(true);
    expect(h.dependsOn(h.byName("platform-traefik-monitor"), h.byName("platform-crd-servicemonitors.monitoring.coreos.com"))).toBe(true);
  });
});

describe("reboots (kured)", () => {
  const policy = (ns: string, name: string) =>
    h.byType(NETWORK_POLICY).find((p) => p.name === `platform-${ns}-${name}`)?.inputs.spec as Record<string, { to?: unknown[]; from?: unknown[]; ports?: unknown[] }[]>;

  it("Ceph's health rules exist as a PrometheusRule, after monitoring's CRDs, and kured only after them", () => {
    const rule = h.byName("platform-ceph-health-rules");
    expect(rule.inputs).toMatchObject({ apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: "ceph-health", namespace: "rook-ceph" } });
    expect(h.dependsOn(rule, release("kube-prometheus-stack"))).toBe(true);
    expect(h.dependsOn(release("kured"), rule)).toBe(true);
  });

  it("runs in its own privileged namespace, the values reaching the release as rendered", () => {
    const r = release("kured");
    expect(r.inputs.namespace).toBe("kured");
    expect(r.inputs.values).toMatchObject({ configuration: { concurrency: 1, forceReboot: false, useRebootSentinelHostPath: false } });
  });

  it("reaches only DNS, the API server and Prometheus's port; Prometheus admits it on that port", () => {
    const kured = h.byType(NETWORK_POLICY).filter((p) => (p.inputs.metadata as { namespace: string }).namespace === "kured");
    expect(kured.map((p) => (p.inputs.metadata as { name: string }).name).sort()).toEqual(["allow-api-server", "allow-dns", "allow-to-prometheus", "default-deny"]);
    expect(policy("kured", "allow-to-prometheus").egress[0]).toEqual({
      to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
      ports: [{ port: 9090, protocol: "TCP" }],
    });
    expect(policy("monitoring", "allow-from-kured").ingress[0]).toEqual({
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kured" } } }],
      ports: [{ port: 9090, protocol: "TCP" }],
    });
    expect(policy("kured", "allow-api-server").egress[0].ports).toEqual([{ port: 6443, protocol: "TCP" }]);
  });
});

describe("guard rails", () => {
  it("namespaces carry Pod Security Admission labels; privileged only for Rook, node-exporter, kured and Velero", () => {
    const levels = Object.fromEntries(
      h.byType(NAMESPACE).map((n) => {
        const md = n.inputs.metadata as { name: string; labels: Record<string, string> };
        expect(md.labels["pod-security.kubernetes.io/warn"]).toBe("restricted");
        return [md.name, md.labels["pod-security.kubernetes.io/enforce"]];
      }),
    );
    expect(levels).toEqual({ traefik: "restricted", "rook-ceph": "privileged", kafka: "restricted", redis: "baseline", mosquitto: "baseline", monitoring: "privileged", "cert-manager": "restricted", kured: "privileged", velero: "privileged", "tekton-operator": "restricted", "tekton-pipelines": "baseline", builds: "privileged", vpa: "restricted" });
  });

  it("every namespace has a default-deny policy and container defaults, in place before its releases", () => {
    // The registry's and Argo CD's namespaces: tests/registry-component.test.ts, tests/platform-gitops.test.ts; the logs': tests/platform-logs.test.ts.
    for (const ns of Object.values(NAMESPACES).map((n) => n.name).filter((n) => !([NAMESPACES.registry.name, NAMESPACES.argocd.name, NAMESPACES.logging.name, NAMESPACES.elasticSystem.name] as string[]).includes(n))) {
      const deny = h.byType(NETWORK_POLICY).find((p) => p.name === `platform-${ns}-default-deny`) as Recorded;
      expect(deny.inputs.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
      const limits = h.byName(`platform-${ns}-container-defaults`);
      for (const r of h.byType(RELEASE).filter((r) => r.inputs.namespace === ns)) {
        expect(h.dependsOn(r, deny)).toBe(true);
        expect(h.dependsOn(r, limits)).toBe(true);
      }
    }
  });

  it("allows only what each service needs: e.g. Mosquitto takes MQTT and resolves names, nothing else", () => {
    const mosquitto = h.byType(NETWORK_POLICY).filter((p) => (p.inputs.metadata as { namespace: string }).namespace === "mosquitto");
    expect(mosquitto.map((p) => (p.inputs.metadata as { name: string }).name).sort()).toEqual(["allow-dns", "allow-mqtt", "default-deny"]);
    const mqtt = mosquitto.find((p) => (p.inputs.metadata as { name: string }).name === "allow-mqtt") as Recorded;
    expect((mqtt.inputs.spec as { ingress: { ports: unknown[] }[] }).ingress[0].ports).toEqual([{ port: 1883, protocol: "TCP" }]);
  });

  it("node peers: the nodes' flannel addresses as sources (never the pod range), their own addresses as destinations, the API server the servers' on 6443", () => {
    const policy = (ns: string, name: string) =>
      h.byType(NETWORK_POLICY).find((p) => p.name === `platform-${ns}-${name}`)?.inputs.spec as Record<string, { to?: unknown[]; from?: unknown[]; ports?: unknown[] }[]>;
    expect(policy("kafka", "allow-api-server").egress[0]).toEqual({
      to: [{ ipBlock: { cidr: "10.17.4.14/32" } }, { ipBlock: { cidr: "10.17.4.21/32" } }],
      ports: [{ port: 6443, protocol: "TCP" }],
    });
    const fromNodes = policy("rook-ceph", "allow-from-nodes").ingress[0].from as { ipBlock: { cidr: string } }[];
    expect(fromNodes.map((p) => p.ipBlock.cidr)).toEqual(flannelNodeAddresses());
    // The API server on a (tainted) server reaches the operator's webhook on a worker through flannel.
    const webhook = policy("monitoring", "allow-webhook").ingress[0].from as { ipBlock: { cidr: string } }[];
    expect(webhook.map((p) => p.ipBlock.cidr)).toEqual(flannelNodeAddresses());
    const toNodes = policy("rook-ceph", "allow-to-nodes").egress[0].to as { ipBlock: { cidr: string } }[];
    expect(toNodes.map((p) => p.ipBlock.cidr)).toEqual(["10.17.4.14/32", "10.17.4.21/32", "10.17.4.24/32", "10.17.4.25/32", "10.17.4.26/32"]);
    // Namespaces without controllers get no API access.
    expect(policy("redis", "allow-api-server")).toBeUndefined();
    expect(policy("mosquitto", "allow-api-server")).toBeUndefined();
  });

  it("generated passwords reach the cluster only as secret Secret data", () => {
    for (const s of h.byType(SECRET)) expect(isSecretAt(s.rawInputs, ["stringData"])).toBe(true);
    const traefik = h.byType(SECRET).find((s) => (s.inputs.metadata as { name: string }).name === "traefik-dashboard-auth") as Recorded;
    expect(traefik.inputs.stringData).toEqual({ users: "admin:$2a$10$hash-of-platform-traefik-dashboard" });
  });
});

describe("outputs", () => {
  it("URLs on the domain, the Kafka bootstrap, MQTT and Redis endpoints", () => {
    expect(platform.urls).toEqual({
      grafana: "https://grafana.cefaslocalserver.com/",
      traefikDashboard: "https://traefik.cefaslocalserver.com/dashboard/",
      cephDashboard: "https://ceph.cefaslocalserver.com/",
    });
    expect(platform.endpoints).toEqual({
      kafkaBootstrap: "kafka-kafka-bootstrap.kafka.svc.cluster.local:9092",
      mqttInternal: "mqtt://mosquitto.mosquitto.svc.cluster.local:1883",
      // MQTT is plain text: outside clients reach it on the load balancer's VM-network leg, not its LAN address.
      mqttExternal: "mqtt://10.17.3.12:1883",
      mqttUser: "mqtt",
      mqttExternalUser: "external",
      redisSentinel: "redis-ha.redis.svc.cluster.local:26379",
      redisMasterSet: "mymaster",
    });
  });

  it("the apps' passwords are their own secret output, from the three generators they use (an opt-in's password never reaches the apps' Secrets)", async () => {
    const { value, secret } = await resolveOutput(platform.appPasswords);
    expect(secret).toBe(true);
    expect(value).toEqual({ mqtt: "pw-platform-mqtt", redis: "pw-platform-redis", redisSentinel: "pw-platform-redis-sentinel" });
  });

  it("every password is a secret output", async () => {
    const { value, secret } = await resolveOutput(platform.passwords);
    expect(secret).toBe(true);
    expect(value).toEqual({
      grafanaAdmin: "pw-platform-grafana-admin",
      traefikDashboard: "pw-platform-traefik-dashboard",
      mqtt: "pw-platform-mqtt",
      mqttExternal: "pw-platform-mqtt-external",
      redis: "pw-platform-redis",
      redisSentinel: "pw-platform-redis-sentinel",
    });
  });

  it("MQTT: both users' hashed password file in a secret Secret, mounted by the broker, which restarts when it changes", () => {
    const users = h.byType(SECRET).find((s) => (s.inputs.metadata as { name: string }).name === "mosquitto-users") as Recorded;
    expect(isSecretAt(users.rawInputs, ["stringData"])).toBe(true);
    const file = (users.inputs.stringData as { passwordfile: string }).passwordfile;
    const salt = (name: string) => Buffer.alloc(12, name.length).toString("base64");
    expect(file).toBe(
      mosquittoPasswordFile([
        { name: "mqtt", password: "pw-platform-mqtt", saltBase64: salt("platform-mqtt-salt-mqtt") },
        { name: "external", password: "pw-platform-mqtt-external", saltBase64: salt("platform-mqtt-salt-external") },
      ]),
    );
    expect(file).not.toContain("pw-platform");
    const mosquitto = release("mosquitto");
    expect(h.dependsOn(mosquitto, users)).toBe(true);
    const values = mosquitto.inputs.values as { podAnnotations: Record<string, string>; extraVolumes: { secret: { secretName: string } }[] };
    expect(values.podAnnotations["checksum/users"]).toBe(createHash("sha256").update(file).digest("hex"));
    expect(values.extraVolumes[0].secret.secretName).toBe("mosquitto-users");
  });

  it("reports the capacity it checked", () => {
    expect(platform.capacity.fits).toBe(true);
    expect(platform.capacity.nodes).toEqual(["worker1", "worker2", "worker3"]);
  });
});

describe("TLS from FreeIPA", () => {
  const issuer = () => h.byName("platform-cluster-issuer");
  it("a ClusterIssuer on FreeIPA's ACME directory, trusting the FreeIPA CA, after cert-manager and the ACME service", () => {
    expect(issuer().inputs).toMatchObject({
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: { name: "freeipa-acme" },
      spec: {
        acme: {
          server: "https://freeipa1.cefaslocalserver.com/acme/directory",
          caBundle: Buffer.from(FREEIPA_CA_PEM).toString("base64"),
          privateKeySecretRef: { name: "freeipa-acme-account" },
          solvers: [{ http01: { ingress: { ingressClassName: "traefik", ingressTemplate: { metadata: { annotations: { "traefik.ingress.kubernetes.io/router.entrypoints": "web" } } } } } }],
        },
      },
    });
    expect(h.dependsOn(issuer(), release("cert-manager"))).toBe(true);
    expect(h.dependsOn(issuer(), h.byName("acme-ready"))).toBe(true);
  });

  it("the ClusterIssuer is awaited until Ready (10 min: seven account registrations under cert-manager's backoff), after FreeIPA's DNS records", () => {
    expect((issuer().inputs.metadata as { annotations: unknown }).annotations).toEqual({ "pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "600" });
    expect(h.dependencyNames(issuer())).toContain("dns-records");
  });

  it("every Certificate asks for an RSA 2048 key (FreeIPA's ACME profile signs RSA only), is awaited until issued, after the DNS records and Traefik", () => {
    const certs = h.all().filter((r) => r.inputs.kind === "Certificate");
    expect(certs).toHaveLength(3);
    for (const c of certs) {
      expect((c.inputs.spec as { privateKey: unknown }).privateKey).toEqual({ algorithm: "RSA", size: 2048, rotationPolicy: "Always" });
      expect((c.inputs.metadata as { annotations: unknown }).annotations).toEqual({ "pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "900" });
      // Directly, not only through the issuer: a Certificate must never race the records.
      expect(h.dependencyNames(c)).toContain("dns-records");
      // The HTTP-01 challenge is answered through Traefik (the solver's Ingress).
      expect(h.dependsOn(c, release("traefik"))).toBe(true);
    }
  });

  it("a Certificate for Grafana, the Traefik dashboard and the Ceph dashboard, in their routes' namespaces", () => {
    const certs = h.all().filter((r) => r.inputs.kind === "Certificate");
    expect(certs.map((c) => [(c.inputs.metadata as { namespace: string }).namespace, (c.inputs.spec as { dnsNames: string[] }).dnsNames[0]]).sort()).toEqual([
      ["monitoring", "grafana.cefaslocalserver.com"],
      ["rook-ceph", "ceph.cefaslocalserver.com"],
      ["traefik", "traefik.cefaslocalserver.com"],
    ]);
    for (const c of certs) expect(h.dependsOn(c, issuer())).toBe(true);
    const grafana = release("kube-prometheus-stack").inputs.values as { grafana: { ingress: { tls: unknown } } };
    expect(grafana.grafana.ingress.tls).toEqual([{ secretName: "grafana.cefaslocalserver.com-tls", hosts: ["grafana.cefaslocalserver.com"] }]);
    const ceph = release("rook-ceph-cluster").inputs.values as { ingress: { dashboard: { tls: unknown } } };
    expect(ceph.ingress.dashboard.tls).toEqual([{ hosts: ["ceph.cefaslocalserver.com"], secretName: "ceph.cefaslocalserver.com-tls" }]);
  });

  it("cert-manager reaches FreeIPA and the ingress hosts by hostAliases, and only those through its policies", () => {
    const values = release("cert-manager").inputs.values as { hostAliases: unknown; crds: unknown };
    expect(values.crds).toEqual({ enabled: true, keep: true });
    expect(values.hostAliases).toEqual([
      { ip: "10.17.4.11", hostnames: ["freeipa1.cefaslocalserver.com"] },
      // argocd, kibana, registry: the opt-ins' hosts, reserved on every stack (ports.ts OPT_IN_HOSTS), routed only with their opt-in.
      {
        ip: "10.17.4.12",
        hostnames: [
          "app.cefaslocalserver.com",
          "argocd.cefaslocalserver.com",
          "ceph.cefaslocalserver.com",
          "grafana.cefaslocalserver.com",
          "kibana.cefaslocalserver.com",
          "registry.cefaslocalserver.com",
          "traefik.cefaslocalserver.com",
        ],
      },
    ]);
    const policy = (name: string) => (h.byType(NETWORK_POLICY).find((p) => p.name === `platform-cert-manager-${name}`) as Recorded).inputs.spec;
    expect(policy("allow-acme-directory")).toMatchObject({ egress: [{ to: [{ ipBlock: { cidr: "10.17.4.11/32" } }], ports: [{ port: 443, protocol: "TCP" }] }] });
    expect(policy("allow-http01-self-check")).toMatchObject({ egress: [{ to: [{ ipBlock: { cidr: "10.17.4.12/32" } }], ports: [{ port: 80, protocol: "TCP" }] }] });
    for (const ns of ["monitoring", "traefik", "rook-ceph"]) {
      expect(h.byType(NETWORK_POLICY).find((p) => p.name === `platform-${ns}-allow-acme-http01-solver`)?.inputs.spec).toMatchObject({
        podSelector: { matchLabels: { "acme.cert-manager.io/http01-solver": "true" } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "traefik" } } }], ports: [{ port: 8089, protocol: "TCP" }] }],
      });
    }
  });
});

describe("builds (opt-in)", () => {
  const CUSTOM = "kubernetes:operator.tekton.dev/v1alpha1:TektonConfig";
  it("the TektonConfig comes after the operator and the tekton-pipelines guard rails, awaited until Ready", () => {
    const config = h.byType(CUSTOM);
    expect(config).toHaveLength(1);
    expect((config[0].inputs.metadata as { name: string; annotations: Record<string, string> })).toEqual({
      name: "config",
      annotations: { "pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "900" },
    });
    expect((config[0].inputs.spec as { profile: string }).profile).toBe("lite");
    expect(h.dependsOn(config[0], release("tekton-operator"))).toBe(true);
    expect(h.dependsOn(config[0], h.byName("platform-tekton-pipelines-default-deny"))).toBe(true);
  });

  it("the Task and Pipeline wait for the TektonConfig (Pipelines' CRDs and webhook) in the builds namespace", () => {
    const config = h.byType(CUSTOM)[0];
    for (const type of ["kubernetes:tekton.dev/v1:Task", "kubernetes:tekton.dev/v1:Pipeline"]) {
      const [doc] = h.byType(type);
      expect((doc.inputs.metadata as { namespace: string }).namespace).toBe("builds");
      expect(h.dependsOn(doc, config)).toBe(true);
    }
  });

  it("the push credentials are a dockerconfigjson Secret for appsRegistry's host, secret, never in plain text", () => {
    const secret = h.byType(SECRET).find((s) => (s.inputs.metadata as { name: string }).name === "builds-push") as Recorded;
    expect(secret.inputs.type).toBe("kubernetes.io/dockerconfigjson");
    expect(isSecretAt(secret.rawInputs, ["stringData"])).toBe(true);
    const data = secret.inputs.stringData as Record<string, string>;
    expect(JSON.parse(data[".dockerconfigjson"])).toEqual({ auths: { "registry.example.com": { auth: Buffer.from("builder:push-password").toString("base64") } } });
  });
});
