/**
 * The values the platform gives each chart, checked against that chart version without a cluster:
 * every key exists in the chart's defaults (tests/fixtures/chart-keys, derived from the chart's
 * values.yaml by scripts/derive-chart-keys.js), Traefik's and Mosquitto's values pass the charts'
 * own values.schema.json, and the values say what the platform promises.
 */
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import Ajv from "ajv";
import Ajv2020 from "ajv/dist/2020";
import { parsePlatformSettings } from "../config/platform";
import { BUILDS_EXAMPLE } from "../config/opt-ins/builds";
import { GITOPS_EXAMPLE } from "../config/opt-ins/gitops";
import { parseTopology } from "../config/validate";
import { k3sClusterFacts } from "../cluster/facts";
import { planPlatform, PlatformPlan } from "../platform/plan";
import { ChartKey, RELEASES } from "../platform/releases";
import { renderPlatform, RenderedPlatform } from "../platform/render";
import { isComplete } from "../platform/resources";
import { INGRESS } from "../ports";
import { CHARTS, KAFKA_VERSION } from "../versions";
import { rawStack } from "./helpers/stacks";
import { BUILDS_CONTEXT } from "./helpers/builds";
import { testVolumeBackups } from "./helpers/volume-backups";

interface KeyFixture {
  chart: string;
  version: string;
  open: Record<string, string>;
  keys: string[];
}

const FIXTURES = join(__dirname, "fixtures");

/** prod's platform, with a backup target and the gitops and vpa opt-ins so the volume backups', Argo CD's and the VPA's charts render too. */
function prodPlan(raw: Record<string, unknown> = {}): PlatformPlan {
  const topology = parseTopology(rawStack("prod"), "prod");
  // With the opt-ins builds, gitops and vpa too, so the Tekton operator's, Argo CD's and the VPA's values are checked against their charts.
  const settings = parsePlatformSettings({ builds: BUILDS_EXAMPLE, gitops: GITOPS_EXAMPLE, vpa: { platform: true }, ...raw }, topology, { builds: BUILDS_CONTEXT });
  return planPlatform({ ...k3sClusterFacts(topology), settings, volumeBackups: testVolumeBackups() });
}

/** Fixture name of a chart version: the chart's last path segment (OCI references included). */
function fixtureName(key: ChartKey): string {
  const { chart, version } = CHARTS[key];
  return `${chart.split("/").pop()}-${version}`;
}

function keyFixture(key: ChartKey): KeyFixture {
  return JSON.parse(readFileSync(join(FIXTURES, "chart-keys", `${fixtureName(key)}.json`), "utf8")) as KeyFixture;
}

// Same path syntax as scripts/derive-chart-keys.js.
function segment(key: string): string {
  return /[.[\]"]/.test(key) ? `[${JSON.stringify(key)}]` : key;
}
function join2(parent: string, key: string): string {
  const seg = segment(key);
  if (parent === "") return seg;
  return seg.startsWith("[") ? `${parent}${seg}` : `${parent}.${seg}`;
}
function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Key paths of `values` that the chart's defaults do not have (and no open ancestor allows). */
function unknownKeys(values: unknown, fixture: KeyFixture): string[] {
  const keys = new Set(fixture.keys);
  const open = new Set(Object.keys(fixture.open));
  const unknown: string[] = [];
  const walk = (node: unknown, at: string): void => {
    if (at && open.has(at)) return;
    if (Array.isArray(node)) {
      if (keys.has(`${at}[]`)) node.forEach((item) => walk(item, `${at}[]`));
      return;
    }
    if (!isObj(node)) return;
    for (const [k, v] of Object.entries(node)) {
      const child = join2(at, k);
      if (!keys.has(child) && !open.has(child)) unknown.push(child);
      else walk(v, child);
    }
  };
  walk(values, "");
  return unknown;
}

/** The key paths a value sets that are accepted only through an open (free-form) ancestor. */
function openPaths(values: unknown, fixture: KeyFixture): string[] {
  const open = new Set(Object.keys(fixture.open));
  const found = new Set<string>();
  const walk = (node: unknown, at: string): void => {
    if (at && open.has(at)) {
      found.add(at);
      return;
    }
    if (Array.isArray(node)) node.forEach((item) => walk(item, `${at}[]`));
    else if (isObj(node)) for (const [k, v] of Object.entries(node)) walk(v, join2(at, k));
  };
  walk(values, "");
  return [...found];
}

let prod: RenderedPlatform;
let plan: PlatformPlan;
/** prod with the opt-ins on (the registry with CVE scanning): their charts' values are checked there. */
let withOptIns: RenderedPlatform;
beforeAll(() => {
  plan = prodPlan();
  prod = renderPlatform(plan);
  withOptIns = renderPlatform(prodPlan({ registry: { volumeGiB: 30, scanning: true }, logs: { stack: "elk", elasticsearchNodes: 3 } }));
  withLoki = renderPlatform(prodPlan({ logs: { stack: "loki" } }));
});
/** prod with the lighter logs stack (logs.stack loki), the other choice of the same opt-in. */
let withLoki: RenderedPlatform;
const OPT_IN_CHARTS: ChartKey[] = ["zot", "eckOperator", "eckStack", "fluentBit"];
/** The values of a chart as a stack that installs it renders them. */
const valuesOf = (key: ChartKey): unknown => (key === "loki" ? withLoki : OPT_IN_CHARTS.includes(key) ? withOptIns : prod).values[key];

const CHART_KEYS = Object.keys(CHARTS) as ChartKey[];

describe("chart key fixtures", () => {
  it.each(CHART_KEYS)("%s: a fixture exists for the pinned version", (key) => {
    const fixture = keyFixture(key);
    expect(`${fixture.chart}-${fixture.version}`).toBe(fixtureName(key));
    expect(fixture.keys.length).toBeGreaterThan(10);
  });

  // The fixtures are committed so the suite runs on a fresh clone; where the chart reference data is
  // present (../shared), they must be exactly what the script derives from it.
  const reference = join(__dirname, "..", "..", "shared", "reference", "charts");
  (existsSync(reference) ? it : it.skip)("match what scripts/derive-chart-keys.js derives from ../shared/reference/charts", () => {
    const out = mkdtempSync(join(tmpdir(), "chart-keys-"));
    const run = spawnSync(process.execPath, [join(__dirname, "..", "scripts", "derive-chart-keys.js"), reference, out], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    // Charts whose values ../shared/reference does not hold (cert-manager, kured, and the volume
    // backups' Velero and snapshot-controller) were derived from their upstream tag, as the script's
    // header shows; their fixture names that source.
    const upstream = readdirSync(join(FIXTURES, "chart-keys"))
      .filter((f) => !(JSON.parse(readFileSync(join(FIXTURES, "chart-keys", f), "utf8")) as { derivedFrom: string }).derivedFrom.startsWith("shared/"))
      .map((f) => f.replace(/\.json$/, ""));
    expect(upstream.sort()).toEqual(["argo-cd-10.1.1", "cert-manager-v1.21.1", "eck-operator-3.5.0", "eck-stack-0.20.0", "fluent-bit-0.58.1", "kured-6.1.0", "loki-7.3.0", "snapshot-controller-5.2.0", "tekton-operator-0.81.1", "velero-12.1.0", "vertical-pod-autoscaler-0.11.0", "zot-0.1.122"]);
    const fromShared = (f: string) => !upstream.some((u) => f.startsWith(`${u}.`));
    for (const dir of ["chart-keys", "chart-schemas"]) {
      const derived = readdirSync(join(out, dir)).sort();
      expect(readdirSync(join(FIXTURES, dir)).filter(fromShared).sort()).toEqual(derived);
      for (const file of derived) expect(readFileSync(join(FIXTURES, dir, file), "utf8")).toBe(readFileSync(join(out, dir, file), "utf8"));
    }
  });

  it("the checker catches a misspelt key, a key under a scalar and a bad list item key", () => {
    const traefik = keyFixture("traefik");
    expect(unknownKeys({ deployment: { replica: 2 } }, traefik)).toEqual(["deployment.replica"]);
    expect(unknownKeys({ service: { enabled: { x: 1 } } }, traefik)).toEqual(["service.enabled.x"]);
    const cluster = keyFixture("rookCephCluster");
    expect(unknownKeys({ cephBlockPools: [{ name: "a", storageClas: {} }] }, cluster)).toEqual(["cephBlockPools[].storageClas"]);
    // Free-form maps accept anything below them: resources, empty maps, subcharts, documented CRD specs.
    expect(unknownKeys({ resources: { limits: { cpu: "1" } }, additionalArguments: ["--x"] }, traefik)).toEqual([]);
    expect(unknownKeys({ cephClusterSpec: { storage: { nodes: [{ name: "n", devices: [] }] } } }, cluster)).toEqual([]);
  });
});

describe.each(CHART_KEYS)("%s values", (key) => {
  it("set only keys that exist in the chart version's defaults", () => {
    expect(valuesOf(key)).toBeDefined();
    expect(unknownKeys(valuesOf(key), keyFixture(key))).toEqual([]);
  });

  it("with every optional service on, still only known keys", () => {
    const all = renderPlatform(prodPlan({ cephFilesystem: "true", cephObjectStore: "true", registry: { mirrors: [] } }));
    expect(unknownKeys(all.values[key], keyFixture(key))).toEqual([]);
  });
});

describe("keys accepted only as free-form maps", () => {
  it("are the ones each chart documents as such (listed here so a new one is a conscious choice)", () => {
    // The logs opt-in's charts: their own block below (both stacks).
    const byChart = Object.fromEntries(CHART_KEYS.filter((k) => !LOGS_CHARTS.includes(k)).map((k) => [k, openPaths(valuesOf(k), keyFixture(k)).sort()]));
    expect(byChart).toEqual({
      argoCd: [
        "applicationSet.resources",
        "configs.cm",
        "configs.params",
        "controller.resources",
        "redis.resources",
        "repoServer.copyutil.resources",
        "repoServer.resources",
        "server.ingress.annotations",
        "server.ingress.extraTls",
        "server.resources",
      ],
      traefik: [
        "extraObjects",
        "ingressRoute.dashboard.entryPoints",
        "ingressRoute.dashboard.middlewares",
        "ingressRoute.dashboard.tls",
        "ports.web.http.redirections.entryPoint",
        "ports.web.nodePort",
        "ports.websecure.nodePort",
        "resources",
      ],
      rookCeph: ["ceph-csi-operator", "resources"],
      cephCsiDrivers: ["drivers.cephfs", "drivers.nfs", "drivers.nvmeof", "drivers.rbd", "operatorConfig.driverSpecDefaults"],
      rookCephCluster: [
        "cephBlockPools[].spec",
        "cephClusterSpec.cephConfig",
        "cephClusterSpec.placement",
        "cephClusterSpec.resources.cleanup",
        "cephClusterSpec.resources.cmd-reporter",
        "cephClusterSpec.resources.crashcollector",
        "cephClusterSpec.resources.exporter",
        "cephClusterSpec.resources.logcollector",
        "cephClusterSpec.resources.mgr",
        "cephClusterSpec.resources.mgr-sidecar",
        "cephClusterSpec.resources.mon",
        "cephClusterSpec.resources.osd",
        "cephClusterSpec.resources.prepareosd",
        "cephClusterSpec.storage",
        "ingress.dashboard",
      ],
      strimzi: ["extraEnvs", "resources", "watchNamespaces"],
      redisHa: ["existingSecret", "exporter.resources", "init.resources", "persistentVolume.storageClass", "redis.resources", "sentinel.resources", "splitBrainDetection.resources"],
      // extraVolumes/extraVolumeMounts: the platform's password file of both MQTT users over the chart's (values/mosquitto.ts).
      mosquitto: ["extraVolumeMounts", "extraVolumes", "podSecurityContext", "resources", "securityContext"],
      kubePrometheusStack: [
        "alertmanager.alertmanagerSpec.configSecret",
        "alertmanager.alertmanagerSpec.resources",
        "grafana",
        "kube-state-metrics",
        "kubeEtcd.endpoints",
        "prometheus-node-exporter",
        "prometheus.prometheusSpec.resources",
        "prometheus.prometheusSpec.storageSpec",
        "prometheusOperator.admissionWebhooks.patch.resources",
        "prometheusOperator.prometheusConfigReloader.resources",
        "prometheusOperator.resources",
      ],
      certManager: ["cainjector.resources", "hostAliases", "resources", "startupapicheck.resources", "webhook.resources"],
      kured: ["configuration.blockingPodSelector", "configuration.rebootDays", "resources", "tolerations"],
      // Null or empty defaults: the storage location's fields, Velero's flags, the Schedules and the node agent's ConfigMap.
      velero: [
        "configMaps",
        "configuration.backupStorageLocation[].config",
        "configuration.backupStorageLocation[].credential.key",
        "configuration.backupStorageLocation[].credential.name",
        "configuration.backupStorageLocation[].name",
        "configuration.backupStorageLocation[].prefix",
        "configuration.defaultSnapshotMoveData",
        "configuration.defaultVolumesToFsBackup",
        "configuration.features",
        "configuration.repositoryMaintenanceJob.repositoryConfigData.global",
        "configuration.uploaderType",
        "containerSecurityContext",
        "credentials.existingSecret",
        "initContainers",
        "nodeAgent.extraArgs",
        "nodeAgent.resources",
        "resources",
        "schedules",
      ],
      // Null or empty defaults: the name override, the image tag (the chart's appVersion), the
      // securityContexts (PSA restricted), the recommender's flags and resources.
      vpa: ["containerSecurityContext", "fullnameOverride", "podSecurityContext", "recommender.extraArgs", "recommender.image.tag", "recommender.resources"],
      snapshotController: ["controller.resources", "volumeSnapshotClasses"],
      // Empty maps in the defaults: the program's resources and restricted security contexts.
      tektonOperator: ["operator.resources", "podSecurityContext", "securityContext", "webhook.resources"],
      // Empty or null defaults (the route's annotations and TLS, the htpasswd Secret, /tmp, the claim) and what only the templates read.
      zot: ["externalSecrets", "extraVolumeMounts", "extraVolumes", "ingress.annotations", "ingress.tls", "podSecurityContext", "pvc.name", "resources", "securityContext"],
    });
  });
});

describe("values.schema.json of the charts that ship one", () => {
  function schema(name: string): Record<string, unknown> {
    return JSON.parse(readFileSync(join(FIXTURES, "chart-schemas", `${name}.values.schema.json`), "utf8")) as Record<string, unknown>;
  }

  it("Traefik (JSON Schema 2020-12, unknown keys rejected) accepts the values", () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(schema(fixtureName("traefik")));
    const ok = validate(prod.values.traefik);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    // The schema is live: a wrong type and an unknown key fail.
    expect(validate({ ...prod.values.traefik, deployment: { replicas: "two" } })).toBe(false);
    expect(validate({ ...prod.values.traefik, ingressClass: { enabled: true, bogus: 1 } })).toBe(false);
  });

  it("Mosquitto (draft-07) accepts the values", () => {
    // The schema names draft-07 by its https URI, which Ajv registers as http: validate the body.
    const { $schema: _ignored, ...body } = schema(fixtureName("mosquitto"));
    void _ignored;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(body);
    const ok = validate(prod.values.mosquitto);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(validate({ ...prod.values.mosquitto, service: { ...prod.values.mosquitto.service, mqttNodePort: "31883" } })).toBe(false);
  });
});

const LOGS_CHARTS: ChartKey[] = ["eckOperator", "eckStack", "fluentBit", "loki"];

describe("the logs opt-in's values (logs.stack elk, then loki)", () => {
  const elk = renderPlatform(prodPlan({ logs: { stack: "elk", elasticsearchNodes: 3 } }));
  const loki = renderPlatform(prodPlan({ logs: { stack: "loki" } }));
  const of = (key: ChartKey) => (key === "loki" ? loki.values.loki : key === "fluentBit" ? elk.values.fluentBit : elk.values[key]);

  it.each(LOGS_CHARTS)("%s: set only keys that exist in the chart version's defaults", (key) => {
    expect(of(key)).toBeDefined();
    expect(unknownKeys(of(key), keyFixture(key))).toEqual([]);
    expect(unknownKeys(loki.values.fluentBit, keyFixture("fluentBit"))).toEqual([]);
  });

  it("keys accepted only as free-form maps are the ones each chart documents as such", () => {
    expect(Object.fromEntries(LOGS_CHARTS.map((k) => [k, openPaths(of(k), keyFixture(k)).sort()]))).toEqual({
      eckOperator: ["image.tag", "managedNamespaces", "podSecurityContext", "resources"],
      // The subcharts render the Elasticsearch and Kibana specs (tests/platform-logs.test.ts).
      eckStack: ["eck-elasticsearch", "eck-kibana"],
      fluentBit: ["env", "extraVolumeMounts", "extraVolumes", "image.tag", "resources", "securityContext", "tolerations"],
      loki: ["loki.analytics", "loki.compactor", "loki.limits_config", "loki.schemaConfig", "singleBinary.persistence.storageClass", "singleBinary.resources", "singleBinary.service.labels"],
    });
  });

  it("Loki's values.schema.json (draft-07) accepts them, and is live", () => {
    const { $schema: _ignored, ...body } = JSON.parse(readFileSync(join(FIXTURES, "chart-schemas", `${fixtureName("loki")}.values.schema.json`), "utf8")) as Record<string, unknown>;
    void _ignored;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(body);
    expect(validate(loki.values.loki)).toBe(true);
    expect(validate({ ...loki.values.loki, loki: { rulerConfig: "fs" } })).toBe(false);
  });
});

describe("cert-manager's values.schema.json", () => {
  it("accepts the values (unknown keys rejected), and is live", () => {
    const doc = JSON.parse(readFileSync(join(FIXTURES, "chart-schemas", `${fixtureName("certManager")}.values.schema.json`), "utf8")) as Record<string, unknown>;
    const { $schema: _ignored, ...body } = doc;
    void _ignored;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(body);
    const ok = validate(prod.values.certManager);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(validate({ ...prod.values.certManager, bogus: 1 })).toBe(false);
    expect(validate({ ...prod.values.certManager, crds: { enabled: "yes" } })).toBe(false);
  });
});

describe("resource requests and limits", () => {
  it("every workload container has CPU and memory requests and limits", () => {
    const incomplete = prod.workloads.flatMap((w) => w.containers.filter((c) => !isComplete(c.resources)).map((c) => `${w.release}/${w.name}/${c.name}`));
    expect(incomplete).toEqual([]);
    expect(prod.workloads.length).toBeGreaterThan(20);
  });

  it("every resources map the values set is complete", () => {
    const bad: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${at}[${i}]`));
      else if (isObj(node)) {
        for (const [k, v] of Object.entries(node)) {
          const claim = isObj(v) && isObj(v.requests) && "storage" in v.requests; // a volume claim's size, not a container's
          if (k === "resources" && claim) continue;
          if (k === "resources" && isObj(v) && ("requests" in v || "limits" in v) && !isComplete(v)) bad.push(`${at}.${k}`);
          else if (k === "resources" && isObj(v) && !("requests" in v) && !("limits" in v)) {
            // A map of containers to resources (CSI plugins, Ceph daemons).
            for (const [c, r] of Object.entries(v)) if (!isComplete(r)) bad.push(`${at}.${k}.${c}`);
          } else walk(v, `${at}.${k}`);
        }
      }
    };
    for (const key of CHART_KEYS) walk(prod.values[key], key);
    walk(prod.kafka, "kafka");
    walk(prod.kafkaNodePool, "kafkaNodePool");
    expect(bad).toEqual([]);
  });
});

describe("what the values promise", () => {
  it("Traefik: NodePorts the load balancer forwards to, HTTP to HTTPS, dashboard behind auth, metrics", () => {
    const t = prod.values.traefik;
    expect(t.service.spec.type).toBe("NodePort");
    expect(t.ports.web.nodePort).toBe(INGRESS.http.nodePort);
    expect(t.ports.websecure.nodePort).toBe(INGRESS.https.nodePort);
    // The lowest priority, so the ACME HTTP-01 solver's route on `web` answers before the redirect.
    expect(t.ports.web.http.redirections.entryPoint).toEqual({ to: "websecure", scheme: "https", permanent: true, priority: 1 });
    expect(t.ingressRoute.dashboard.tls).toEqual({ secretName: "traefik.cefaslocalserver.com-tls" });
    expect(t.ingressRoute.dashboard.entryPoints).toEqual(["websecure"]);
    expect(t.ingressRoute.dashboard.matchRule).toContain("Host(`traefik.cefaslocalserver.com`)");
    const middleware = t.extraObjects.find((o) => o.kind === "Middleware") as { metadata: { name: string }; spec: { basicAuth: { secret: string } } };
    expect(t.ingressRoute.dashboard.middlewares).toEqual([{ name: middleware.metadata.name }]);
    expect(middleware.spec.basicAuth.secret).toBe("traefik-dashboard-auth");
    // Metrics on; the ServiceMonitor is the platform's own, so the release does not wait for the CRDs.
    expect(t.metrics.prometheus.service.enabled).toBe(true);
    expect(t.metrics.prometheus.serviceMonitor.enabled).toBe(false);
    expect(t.deployment.replicas).toBe(2);
  });

  it("Rook: OSDs only on the storage nodes' raw disks, mons from their count, ceph-block default, CephFS and RGW off", () => {
    const c = prod.values.rookCephCluster;
    expect(c.cephClusterSpec.storage).toEqual({
      useAllNodes: false,
      useAllDevices: false,
      nodes: ["worker1", "worker2", "worker3"].map((name) => ({ name, devices: [{ name: "vdb" }] })),
    });
    expect(c.cephClusterSpec.mon.count).toBe(3);
    // Mons (their store is dataDirHostPath) only where it is on a state disk: the storage nodes.
    expect(c.cephClusterSpec.placement).toEqual({
      mon: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["worker1", "worker2", "worker3"] }] }],
          },
        },
      },
    });
    expect(c.cephBlockPools).toHaveLength(1);
    expect(c.cephBlockPools[0].spec.replicated).toEqual({ size: 3 });
    expect(c.cephBlockPools[0].storageClass).toMatchObject({ name: "ceph-block", isDefault: true, enabled: true });
    const sc = c.cephBlockPools[0].storageClass;
    expect(sc.enabled && sc.parameters["csi.storage.k8s.io/node-stage-secret-name"]).toBe("rook-csi-rbd-node");
    expect(c.cephFileSystems).toEqual([]);
    expect(c.cephObjectStores).toEqual([]);
    expect(prod.values.cephCsiDrivers.drivers.rbd.name).toBe("rook-ceph.rbd.csi.ceph.com");
    expect(prod.values.cephCsiDrivers.drivers.cephfs.enabled).toBe(false);
    const withFs = renderPlatform(prodPlan({ cephFilesystem: "true", cephObjectStore: "true" }));
    expect(withFs.values.rookCephCluster.cephFileSystems).toHaveLength(1);
    expect(withFs.values.rookCephCluster.cephObjectStores).toHaveLength(1);
    expect(withFs.values.cephCsiDrivers.drivers.cephfs.enabled).toBe(true);
  });

  it("Kafka: KRaft dual-role pool on ceph-block, replication for three brokers, retention from config", () => {
    const p = renderPlatform(prodPlan({ kafkaRetentionHours: "72", kafkaRetentionBytes: "536870912" }));
    expect(p.kafkaNodePool.roles).toEqual(["controller", "broker"]);
    expect(p.kafkaNodePool.replicas).toBe(3);
    expect(p.kafkaNodePool.storage.volumes[0]).toMatchObject({ class: "ceph-block", kraftMetadata: "shared", deleteClaim: false, size: "20Gi" });
    expect(p.kafka.kafka.version).toBe(KAFKA_VERSION);
    expect(p.kafka.kafka.config).toMatchObject({
      "default.replication.factor": 3,
      "min.insync.replicas": 2,
      "offsets.topic.replication.factor": 3,
      "transaction.state.log.replication.factor": 3,
      "transaction.state.log.min.isr": 2,
      "log.retention.hours": 72,
      "log.retention.bytes": 536870912,
      "log.segment.bytes": 134217728,
    });
    expect(prod.values.strimzi.extraEnvs).toContainEqual({ name: "STRIMZI_POD_SECURITY_PROVIDER_CLASS", value: "restricted" });
  });

  it("Mosquitto: auth from the generated Secret, persistence, the fixed MQTT NodePort", () => {
    const m = prod.values.mosquitto;
    expect(m.auth).toMatchObject({ enabled: true, existingSecret: "mosquitto-auth" });
    expect(m.broker.persistence).toMatchObject({ enabled: true, storageClass: "ceph-block" });
    expect(m.service).toMatchObject({ type: "NodePort", mqttNodePort: INGRESS.mqtt.nodePort });
  });

  it("Redis: Sentinel with auth from the generated Secret, persistence, exporter with a ServiceMonitor", () => {
    const r = prod.values.redisHa;
    expect(r).toMatchObject({ replicas: 3, auth: true, existingSecret: "redis-auth", authKey: "auth" });
    expect(r.sentinel).toMatchObject({ auth: true, existingSecret: "redis-auth", authKey: "sentinel-password", quorum: 2 });
    expect(r.persistentVolume).toMatchObject({ enabled: true, storageClass: "ceph-block" });
    expect(r.exporter).toMatchObject({ enabled: true, serviceMonitor: { enabled: false } });
  });

  it("kube-prometheus-stack: K3s scrape settings, retention from config, all ServiceMonitors, Grafana from a Secret", () => {
    const k = renderPlatform(prodPlan({ prometheusRetention: "30d", prometheusRetentionSize: "18GiB", prometheusVolumeGiB: "20" })).values.kubePrometheusStack;
    expect([k.kubeControllerManager.enabled, k.kubeScheduler.enabled, k.kubeProxy.enabled]).toEqual([false, false, false]);
    expect(k.kubeEtcd).toMatchObject({ enabled: true, endpoints: ["10.17.4.14", "10.17.4.21"], service: { port: 2381, targetPort: 2381 } });
    const spec = k.prometheus.prometheusSpec;
    expect([spec.retention, spec.retentionSize]).toEqual(["30d", "18GiB"]);
    expect(spec.storageSpec.volumeClaimTemplate.spec).toMatchObject({ storageClassName: "ceph-block", resources: { requests: { storage: "20Gi" } } });
    expect(spec.serviceMonitorSelectorNilUsesHelmValues).toBe(false);
    expect(spec.podMonitorSelectorNilUsesHelmValues).toBe(false);
    expect(k.grafana.admin.existingSecret).toBe("grafana-admin");
    expect(k.grafana.ingress).toMatchObject({ enabled: true, ingressClassName: "traefik", hosts: ["grafana.cefaslocalserver.com"] });
  });

  it("every release has a timeout sized to it", () => {
    for (const key of CHART_KEYS) {
      expect(RELEASES[key].timeoutSeconds).toBeGreaterThanOrEqual(300);
      expect(RELEASES[key].timeoutSeconds).toBeLessThanOrEqual(900);
    }
    expect(RELEASES.redisHa.timeoutSeconds).toBeGreaterThan(RELEASES.traefik.timeoutSeconds);
    expect(plan.ceph.monCount).toBe(3);
  });
});
