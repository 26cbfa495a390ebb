/**
 * Stage 3 config (config/platform.ts), the cluster facts stage 3 derives from the topology
 * (platform/facts.ts), and the replica rules (platform/plan.ts).
 */
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { byteSize, parsePlatformSettings, PLATFORM_CONFIG_KEYS, PlatformSettings, RawPlatformConfig } from "../config/platform";
import { parseTopology } from "../config/validate";
import { k3sClusterFacts } from "../cluster/facts";
import { PlatformNode } from "../platform/facts";
import { planPlatform } from "../platform/plan";
import { INGRESS } from "../ports";
import { rawStack } from "./helpers/stacks";
import { problemsOf } from "./helpers/problems";

const prod = parseTopology(rawStack("prod"), "prod");
const dev = parseTopology(rawStack("dev"), "dev");

const problems = (raw: RawPlatformConfig): string[] => problemsOf(() => parsePlatformSettings(raw, prod));

describe("Pulumi.yaml", () => {
  const declared = (parse(readFileSync(join(__dirname, "..", "Pulumi.yaml"), "utf8")) as { config: Record<string, { default?: unknown }> }).config;

  it("declares every stage 3 key with a default (the CLI requires declared keys without one), and the defaults agree", () => {
    // chartVersions is a map, which the project schema cannot declare (tests/pulumi-yaml.test.ts).
    // builds, registry, logs, gitops and vpa are objects (opt-ins), documented in Pulumi.yaml's header like chartVersions.
    const scalar = PLATFORM_CONFIG_KEYS.filter((k) => k !== "chartVersions" && k !== "builds" && k !== "registry" && k !== "logs" && k !== "gitops" && k !== "vpa");
    for (const key of scalar) expect(declared[key]?.default).toBeDefined();
    const fromDefaults = Object.fromEntries(scalar.map((k) => [k, String(declared[k].default)]));
    expect(parsePlatformSettings(fromDefaults, prod)).toEqual(parsePlatformSettings({}, prod));
  });
});

describe("parsePlatformSettings", () => {
  it("defaults: 15d / 8GiB on a 10 GiB Prometheus volume, 3 brokers on prod, 1 on dev, Kafka 7 days / 1 GiB", () => {
    const s = parsePlatformSettings({}, prod);
    expect(s).toEqual<PlatformSettings>({
      prometheus: { retention: "15d", retentionSize: "8GiB", retentionSizeBytes: 8 * 1024 ** 3, volumeGiB: 10 },
      kafka: { brokers: 3, retentionHours: 168, retentionBytes: 1024 ** 3, volumeGiB: 20 },
      ceph: { filesystem: false, objectStore: false },
      reboots: { days: ["mo", "tu", "we", "th", "fr", "sa", "su"], start: "01:00", end: "05:00" },
      chartVersions: {},
    });
    expect(parsePlatformSettings({}, dev).kafka.brokers).toBe(1);
    // Pulumi.yaml declares 0 as the default: the same as unset.
    expect(parsePlatformSettings({ kafkaBrokers: "0" }, prod).kafka.brokers).toBe(3);
  });

  it("reads the values as the CLI passes them (strings)", () => {
    const s = parsePlatformSettings(
      { prometheusRetention: "30d", prometheusRetentionSize: "40GB", prometheusVolumeGiB: "50", kafkaRetentionHours: "24", cephObjectStore: "true" },
      prod,
    );
    expect([s.prometheus.retention, s.prometheus.retentionSizeBytes, s.prometheus.volumeGiB]).toEqual(["30d", 40 * 1024 ** 3, 50]);
    expect(s.kafka.retentionHours).toBe(24);
    expect(s.ceph).toEqual({ filesystem: false, objectStore: true });
  });

  it("keeps the retention size below the Prometheus volume, with room for the WAL", () => {
    expect(problems({ prometheusRetentionSize: "10GiB", prometheusVolumeGiB: "10" })).toEqual([
      "prometheusRetentionSize: 10GiB does not fit the 10 GiB volume (prometheusVolumeGiB): keep it at most 90% of the volume, so the WAL and compaction have room",
    ]);
    expect(problems({ prometheusRetentionSize: "9GiB", prometheusVolumeGiB: "10" })).toEqual([]);
  });

  it("rejects every bad key at once, each by name", () => {
    const found = problems({
      prometheusRetention: "15 days",
      prometheusRetentionSize: "8G",
      kafkaBrokers: "2",
      kafkaRetentionHours: "-1",
      kafkaRetentionBytes: String(30 * 1024 ** 3),
      cephFilesystem: "yes",
    });
    expect(found.map((p) => p.split(":")[0])).toEqual([
      "prometheusRetention",
      "prometheusRetentionSize",
      "kafkaBrokers",
      "kafkaRetentionHours",
      "kafkaRetentionBytes",
      "cephFilesystem",
    ]);
    expect(found.join("\n")).toMatch(/even KRaft controller quorum/);
  });

  it("reads rebootWindow as [days ]HH:MM-HH:MM (UTC) and names what is wrong with it", () => {
    const window = (text: string) => parsePlatformSettings({ rebootWindow: text }, prod).reboots;
    expect(window("sa,su 02:00-06:00")).toEqual({ days: ["sa", "su"], start: "02:00", end: "06:00" });
    // Past midnight: kured wraps a start after the end; days are kept in the week's order.
    expect(window("su,mo 22:00-02:00")).toEqual({ days: ["mo", "su"], start: "22:00", end: "02:00" });
    expect(window("00:00-23:59").days).toHaveLength(7);
    expect(problems({ rebootWindow: "1:00-5:00" })).toEqual([expect.stringMatching(/^rebootWindow: "1:00-5:00" is not a window like 01:00-05:00/)]);
    expect(problems({ rebootWindow: "sat 01:00-05:00" })).toEqual([expect.stringMatching(/^rebootWindow: .*days: mo,tu,we,th,fr,sa,su/)]);
    expect(problems({ rebootWindow: "24:00-05:00" })).toHaveLength(1);
    expect(problems({ rebootWindow: "sa,sa 01:00-05:00" })).toEqual(['rebootWindow: "sa,sa 01:00-05:00" names a day twice']);
    expect(problems({ rebootWindow: "03:00-03:00" })).toEqual(['rebootWindow: "03:00-03:00" is an empty window (start and end are the same time)']);
    expect(problems({ rebootWindow: "" })).toEqual(["rebootWindow: must be a non-empty string"]);
  });

  it("refuses more brokers than schedulable nodes", () => {
    expect(problems({ kafkaBrokers: "5" })).toEqual([
      "kafkaBrokers: 5 brokers but only 3 schedulable K3s nodes: two brokers on one node share its failure",
    ]);
  });

  it("byteSize reads Prometheus sizes in base 2", () => {
    expect(byteSize("512MB")).toBe(512 * 1024 ** 2);
    expect(byteSize("1.5GiB")).toBe(1.5 * 1024 ** 3);
    expect(byteSize("100B")).toBe(100);
    expect(byteSize("8 GiB")).toBeUndefined();
  });
});

describe("k3sClusterFacts", () => {
  it("prod: the five K3s nodes, Ceph disks on the workers, the load balancer's LAN address for clients", () => {
    const f = k3sClusterFacts(prod);
    expect(f.domain).toBe("cefaslocalserver.com");
    expect(f.nodes.map((n) => [n.name, n.role, n.address, n.cephDevice ?? "-"])).toEqual([
      ["bootstrap1", "k3s-server", "10.17.4.14", "-"],
      ["master1", "k3s-server", "10.17.4.21", "-"],
      ["worker1", "k3s-agent", "10.17.4.24", "/dev/vdb"],
      ["worker2", "k3s-agent", "10.17.4.25", "/dev/vdb"],
      ["worker3", "k3s-agent", "10.17.4.26", "/dev/vdb"],
    ]);
    expect(f.nodes[2].allocatable).toEqual({ cpuMilli: 3500, memoryMiB: 6400 - 189 - 384 - 512 - 256 });
    // HTTPS on the LAN address; MQTT (plain text) on the load balancer's first VM-network address.
    expect(f.ingress).toEqual({ address: "192.168.0.21", httpsPort: INGRESS.https.publicPort, mqttAddress: "10.17.3.12", mqttPort: INGRESS.mqtt.publicPort, serviceType: "NodePort" });
  });

  it("dev (no load balancer): clients use the agent and the NodePorts", () => {
    expect(k3sClusterFacts(dev).ingress).toEqual({ address: "10.17.10.21", httpsPort: INGRESS.https.nodePort, mqttAddress: "10.17.10.21", mqttPort: INGRESS.mqtt.nodePort, serviceType: "NodePort" });
  });
});

describe("planPlatform", () => {
  const settings = parsePlatformSettings({}, prod);
  const node = (name: string, storage: boolean, taints: string[] = []): PlatformNode => ({
    name,
    role: "k3s-agent",
    address: `10.0.0.${name.length}`,
    taints,
    cephDevice: storage ? "/dev/vdb" : undefined,
    allocatable: { cpuMilli: 3500, memoryMiB: 6000 },
  });
  const plan = (nodes: PlatformNode[], brokers = 1) =>
    planPlatform({ domain: "x.test", nodes, ingress: { address: "10.0.0.1", httpsPort: 443, mqttAddress: "10.0.0.1", mqttPort: 1883, serviceType: "NodePort" }, podCidr: "10.42.0.0/16", flatcarReboots: true, settings: { ...settings, kafka: { ...settings.kafka, brokers } } });

  it("sizes Ceph from the storage nodes: odd mon count, one mgr (one host: no standby), pool size up to 3", () => {
    const counts = (n: number) => {
      const p = plan(Array.from({ length: n }, (_, i) => node(`n${i}`, true)));
      return [p.ceph.monCount, p.ceph.mgrCount, p.ceph.poolSize];
    };
    expect([1, 2, 3, 4, 5, 6].map(counts)).toEqual([
      [1, 1, 1],
      [1, 1, 2],
      [3, 1, 3],
      [3, 1, 3],
      [5, 1, 3],
      [5, 1, 3],
    ]);
  });

  it("replicates Kafka topics up to three ways, with min ISR one below", () => {
    const nodes = [node("a", true), node("b", true), node("c", true)];
    expect(plan(nodes, 3).kafka).toEqual({ brokers: 3, replicationFactor: 3, minInsyncReplicas: 2 });
    expect(plan(nodes, 1).kafka).toEqual({ brokers: 1, replicationFactor: 1, minInsyncReplicas: 1 });
  });

  it("refuses a cluster without storage nodes, or with OSDs on tainted nodes", () => {
    expect(() => plan([node("a", false)])).toThrow(/at least one Ceph storage node/);
    expect(() => plan([node("a", true, ["x=y:NoSchedule"]), node("b", false)])).toThrow(/Ceph OSDs cannot run on tainted nodes: a/);
  });
});
