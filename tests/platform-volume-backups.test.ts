/**
 * The Ceph volumes' backups (issue 18 item 5; docs/backups.md, "Ceph volumes"): what Velero and the
 * snapshot controller receive, rendered from the stack's backup settings; the room they take; the
 * Platform component's objects with and without a backup target; and docs/day-two.md's rows for the
 * volume backups (target, schedule, retention changed in place; turned off: the tool goes, CRDs and
 * the bucket stay), with pulumi-kubernetes' replace rules as tests/platform-day-two.test.ts applies them.
 */
import * as pulumi from "@pulumi/pulumi";
import { X509Certificate } from "crypto";
import { execFileSync } from "child_process";
import { mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { assertStackFits, stackCapacity } from "../apps/capacity";
import { k3sClusterFacts } from "../cluster/facts";
import { parseApps } from "../config/apps";
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { renderNetworkPolicies } from "../platform/network-policies";
import { planPlatform } from "../platform/plan";
import { renderPlatform } from "../platform/render";
import { ROOK_CSI_DRIVER_VALUES, rookClusterValues } from "../platform/values/rook";
import { awsCredentialsFile, scheduleName, SCHEDULES, ttl, VELERO_REPO_SECRET, VELERO_S3_SECRET } from "../platform/values/velero";
import { volumeBackupPlan } from "../platform/volume-backups";
import { freshnessExpr } from "../platform/volume-backup-monitoring";
import { BACKUP_FRESHNESS_METRIC } from "../platform/backup-metrics";
import { requireTool, run, writeTemp } from "./helpers/tools";
import { stringify } from "yaml";
import { randomOutputs } from "./helpers/machine-outputs";
import { platformRun, runChanges, runOf } from "./helpers/platform-runs";
import { problemsOf } from "./helpers/problems";
import { Harness, isSecretAt, startHarness } from "./helpers/pulumi-harness";
import { rawStack, stackConfig } from "./helpers/stacks";
import { BACKUP_SECRETS, testVolumeBackups } from "./helpers/volume-backups";

const topology = parseTopology(rawStack("prod"), "prod");
const facts = k3sClusterFacts(topology);
const settings = parsePlatformSettings({}, topology);
const render = (vb = testVolumeBackups(), raw: Record<string, unknown> = {}) =>
  renderPlatform(planPlatform({ ...facts, settings: parsePlatformSettings(raw, topology), volumeBackups: vb }));

describe("the plan", () => {
  it("no backup target, no volume backups; with one, the volumes' schedule and the apps that ask", () => {
    expect(volumeBackupPlan(undefined, [], "apps")).toBeUndefined();
    const vb = testVolumeBackups({ backupVolumesSchedule: "every 12h", backupVolumesRetentionDays: 14 }, [
      { name: "api", backupVolumes: true },
      { name: "web", backupVolumes: false },
    ]);
    expect(vb.apps).toEqual(["api"]);
    expect(vb.schedule).toMatchObject({ text: "every 12h", retentionDays: 14 });
    expect(vb.target).toMatchObject({ bucket: "fmc-backups", prefix: "flatcarmicrocloud/prod", port: 9000 });
  });

  it("apps[].backupVolumes is validated, naming the key", () => {
    const app = { name: "api", image: "registry.example.com/api:1.0", port: 8080, replicas: { min: 1, max: 1 }, resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } } };
    expect(parseApps({ apps: [{ ...app, backupVolumes: true }] }, topology).apps[0].backupVolumes).toBe(true);
    expect(parseApps({ apps: [app] }, topology).apps[0].backupVolumes).toBe(false);
    expect(problemsOf(() => parseApps({ apps: [{ ...app, backupVolumes: "yes please" }] }, topology))).toEqual([expect.stringMatching(/^apps\[0\]\.backupVolumes: /)]);
  });
});

describe("Velero's values", () => {
  const vb = testVolumeBackups({ backupVolumesSchedule: "mo,th 03:30", backupVolumesRetentionDays: 10 });
  const v = render(vb).values.velero!;

  it("writes to the stack's target below flatcarmicrocloud/<stack>/volumes, path style, over the target's endpoint, credentials from the program's Secret", () => {
    expect(v.configuration.backupStorageLocation).toEqual([
      {
        name: "default",
        provider: "aws",
        bucket: "fmc-backups",
        prefix: "flatcarmicrocloud/prod/volumes",
        default: true,
        accessMode: "ReadWrite",
        credential: { name: VELERO_S3_SECRET, key: "cloud" },
        config: { region: "us-east-1", s3Url: "https://s3.example.net:9000", s3ForcePathStyle: "true", checksumAlgorithm: "" },
      },
    ]);
    expect(v.credentials).toEqual({ useSecret: true, existingSecret: VELERO_S3_SECRET });
    // No secret value in the values (they reach Helm's release Secret and the state).
    expect(JSON.stringify(v)).not.toMatch(/AKIAFMCTEST|test-secret-key|a long test passphrase/);
  });

  it("trusts the target's CA (the storage location's caCert, base64 of the PEM) and honours virtual-hosted URLs", () => {
    const ca = selfSignedCa();
    const w = render(testVolumeBackups({ backupS3CaCertificate: ca, backupS3PathStyle: false })).values.velero!;
    const bsl = w.configuration.backupStorageLocation[0];
    expect(Buffer.from(bsl.caCert as string, "base64").toString()).toBe(ca.trim() + "\n");
    expect(bsl.config.s3ForcePathStyle).toBe("false");
  });

  it("one Schedule on backupVolumesSchedule (cron, UTC), kept backupVolumesRetentionDays (TTL): the claims of Kafka, Redis, Prometheus and Mosquitto only, moved to the bucket", () => {
    expect(Object.keys(v.schedules)).toEqual([SCHEDULES.platform]);
    const s = v.schedules[SCHEDULES.platform];
    expect(s.schedule).toBe("30 3 * * 1,4");
    expect(s.useOwnerReferencesInBackup).toBe(false);
    expect(s.template).toEqual({
      ttl: "240h0m0s",
      includedNamespaces: ["kafka", "redis", "monitoring", "mosquitto"],
      includedResources: ["persistentvolumeclaims", "persistentvolumes"],
      snapshotVolumes: true,
      snapshotMoveData: true,
      storageLocation: "default",
      csiSnapshotTimeout: "10m0s",
      itemOperationTimeout: "4h0m0s",
    });
    expect(ttl(7)).toBe("168h0m0s");
  });

  it("a second Schedule for the apps that ask, selecting their claims by the app's name", () => {
    const w = render(testVolumeBackups({}, [{ name: "worker", backupVolumes: true }, { name: "api", backupVolumes: true }])).values.velero!;
    expect(w.schedules[SCHEDULES.apps].template).toMatchObject({
      includedNamespaces: ["apps"],
      labelSelector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["api", "worker"] }] },
    });
    expect(w.schedules[SCHEDULES.apps].schedule).toBe(w.schedules[SCHEDULES.platform].schedule);
  });

  it("kopia, CSI snapshot data movement by default, the S3 plugin pinned in versions.ts, the chart's CRD hook off (the program applies the CRDs)", () => {
    expect(v.configuration).toMatchObject({ uploaderType: "kopia", features: "EnableCSI", defaultSnapshotMoveData: true, defaultVolumesToFsBackup: false, volumeSnapshotLocation: [] });
    expect(v.initContainers[0].image).toBe("docker.io/velero/velero-plugin-for-aws:v1.14.2");
    expect(v.image).toEqual({ repository: "docker.io/velero/velero", tag: "v1.18.1" });
    expect(v).toMatchObject({ upgradeCRDs: false, cleanUpCRDs: false, snapshotsEnabled: false, deployNodeAgent: true });
    expect(v.nodeAgent.extraArgs).toEqual(["--node-agent-configmap=velero-node-agent-config"]);
    const nodeAgentConfig = JSON.parse(v.configMaps["node-agent-config"].data["node-agent-config.json"]);
    expect(nodeAgentConfig).toEqual({ loadConcurrency: { globalConfig: 1 }, podResources: { cpuRequest: "100m", memoryRequest: "128Mi", cpuLimit: "1", memoryLimit: "1Gi" } });
  });

  it("the S3 plugin's credentials file; a key with a line break is refused (it would add lines to the file)", () => {
    expect(awsCredentialsFile("AK", "SK")).toBe("[default]\naws_access_key_id=AK\naws_secret_access_key=SK\n");
    expect(() => awsCredentialsFile("AK\n[evil]", "SK")).toThrow(/one line each/);
  });
});

describe("snapshots", () => {
  it("the snapshot controller without its templated CRDs or webhook; Rook's RBD class with Rook's driver and snapshotter secret, Velero's label", () => {
    const r = render();
    expect(r.values.snapshotController).toMatchObject({ installCRDs: false, webhook: { enabled: false }, controller: { image: { tag: "v8.6.0" } } });
    expect(r.volumeSnapshotClasses).toEqual([
      {
        name: "ceph-block",
        driver: "rook-ceph.rbd.csi.ceph.com",
        parameters: {
          clusterID: "rook-ceph",
          "csi.storage.k8s.io/snapshotter-secret-name": "rook-csi-rbd-provisioner",
          "csi.storage.k8s.io/snapshotter-secret-namespace": "rook-ceph",
        },
        deletionPolicy: "Delete",
        labels: { "velero.io/csi-volumesnapshot-class": "true" },
      },
    ]);
    // The same driver as the StorageClass's provisioner secrets name it (the chart derives both from the operator namespace).
    expect(ROOK_CSI_DRIVER_VALUES.drivers.rbd.name).toBe("rook-ceph.rbd.csi.ceph.com");
  });

  it("CephFS's class only with the filesystem", () => {
    const r = render(testVolumeBackups(), { cephFilesystem: "true" });
    expect(r.volumeSnapshotClasses.map((c) => [c.name, c.driver, c.parameters["csi.storage.k8s.io/snapshotter-secret-name"]])).toEqual([
      ["ceph-block", "rook-ceph.rbd.csi.ceph.com", "rook-csi-rbd-provisioner"],
      ["ceph-filesystem", "rook-ceph.cephfs.csi.ceph.com", "rook-csi-cephfs-provisioner"],
    ]);
    expect(rookClusterValues(planPlatform({ ...facts, settings: parsePlatformSettings({ cephFilesystem: "true" }, topology) })).cephFileSystems).toHaveLength(1);
  });

  it("RBD's CSI snapshotter sidecar is deployed (snapshotPolicy volumeSnapshot; the chart's default none removes it)", () => {
    expect(renderPlatform(planPlatform({ ...facts, settings })).values.cephCsiDrivers.drivers.rbd.snapshotPolicy).toBe("volumeSnapshot");
  });
});

describe("namespace, policies, monitoring", () => {
  it("no backup target: no velero namespace, no policy, no monitor, no class", () => {
    const plan = planPlatform({ ...facts, settings });
    const r = renderPlatform(plan);
    expect(renderNetworkPolicies(plan).filter((p) => p.namespace === "velero")).toEqual([]);
    expect(r.serviceMonitors.map((m) => m.namespace)).not.toContain("velero");
    expect(r.volumeSnapshotClasses).toEqual([]);
    // The freshness rule holds etcd's series only.
    expect(r.prometheusRules.find((x) => x.name === "backup-freshness")?.spec.groups[0].rules.map((x) => x.labels)).toEqual([{ kind: "etcd" }]);
    expect(r.values.velero).toBeUndefined();
  });

  it("default deny, DNS, the API, Prometheus's scrape, and egress to the target's port only (an IPv4 endpoint: that address)", () => {
    const policies = (vb = testVolumeBackups()) =>
      Object.fromEntries(renderNetworkPolicies(planPlatform({ ...facts, settings, volumeBackups: vb })).filter((p) => p.namespace === "velero").map((p) => [p.name, p.spec]));
    const p = policies();
    expect(Object.keys(p).sort()).toEqual(["allow-api-server", "allow-backup-target", "allow-dns", "allow-from-monitoring", "default-deny"]);
    expect(p["allow-backup-target"].egress).toEqual([{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 9000, protocol: "TCP" }] }]);
    expect(p["allow-from-monitoring"].ingress).toEqual([{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }], ports: [{ port: 8085, protocol: "TCP" }] }]);
    const ip = policies(testVolumeBackups({ backupS3Endpoint: "https://192.168.0.40" }));
    expect(ip["allow-backup-target"].egress).toEqual([{ to: [{ ipBlock: { cidr: "192.168.0.40/32" } }], ports: [{ port: 443, protocol: "TCP" }] }]);
  });

  it("the freshness contract: fmc_backup_last_success_timestamp_seconds{kind=\"volumes\"} in the platform's backup-freshness rule, the oldest of the Schedules' last successes", () => {
    const rule = render().prometheusRules.find((x) => x.name === "backup-freshness");
    expect(rule?.spec.groups[0].rules).toContainEqual({ record: BACKUP_FRESHNESS_METRIC, expr: freshnessExpr(), labels: { kind: "volumes" } });
    expect(BACKUP_FRESHNESS_METRIC).toBe("fmc_backup_last_success_timestamp_seconds");
    expect(freshnessExpr()).toBe(`min(velero_backup_last_successful_timestamp{schedule=~"${scheduleName(SCHEDULES.platform)}|${scheduleName(SCHEDULES.apps)}"})`);
    expect(scheduleName(SCHEDULES.platform)).toBe("velero-fmc-volumes");
    expect(render().serviceMonitors.find((m) => m.namespace === "velero")?.spec).toMatchObject({ selector: { matchLabels: { "app.kubernetes.io/name": "velero", "app.kubernetes.io/instance": "velero" } } });
  });
});

describe(`${BACKUP_FRESHNESS_METRIC}{kind="volumes"} (promtool)`, () => {
  it("is the older of the two Schedules' last successes; other Schedules and failures do not count; absent before any success", () => {
    requireTool("promtool");
    const rule = render().prometheusRules.find((x) => x.name === "backup-freshness")!;
    const rulesFile = writeTemp("volumes-freshness.rules.yaml", stringify({ groups: rule.spec.groups }));
    const last = (schedule: string, values: string) => ({ series: `velero_backup_last_successful_timestamp{schedule="${schedule}"}`, values });
    const test = {
      rule_files: [rulesFile],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [last("velero-fmc-volumes", "1765000000x10"), last("velero-fmc-volumes-apps", "1765086400x10"), last("someone-elses", "1765990000x10")],
          promql_expr_test: [{ expr: `${BACKUP_FRESHNESS_METRIC}{kind="volumes"}`, eval_time: "5m", exp_samples: [{ labels: `${BACKUP_FRESHNESS_METRIC}{kind="volumes"}`, value: 1765000000 }] }],
        },
        {
          interval: "1m",
          input_series: [last("someone-elses", "1765990000x10")],
          promql_expr_test: [{ expr: `${BACKUP_FRESHNESS_METRIC}{kind="volumes"}`, eval_time: "5m", exp_samples: [] }],
        },
      ],
    };
    const testFile = writeTemp("volumes-freshness.test.yaml", stringify(test));
    const r = run("promtool", ["test", "rules", testFile]);
    expect(r.output).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });
});

describe("the backup alerts watch the volumes while Velero backs them up", () => {
  it("kind volumes, late after the schedule's longest gap plus the margin; not watched without a target", () => {
    const plan = (vb?: ReturnType<typeof testVolumeBackups>) => planPlatform({ ...facts, settings, volumeBackups: vb });
    expect(plan().backups.kinds).toEqual([]);
    expect(plan(testVolumeBackups()).backups.kinds).toEqual([{ kind: "volumes", schedules: ["03:00"], lateAfterHours: 26 }]);
    expect(plan(testVolumeBackups({ backupVolumesSchedule: "mo,th 03:30" })).backups.kinds[0].lateAfterHours).toBe(4 * 24 + 2);
    const rules = JSON.stringify(render().prometheusRules);
    expect(rules).toContain('kind=\\"volumes\\"');
  });
});

describe("room (prod: ~125 MiB left at the reference apps' replicas.max)", () => {
  const { apps } = parseApps({ appsRegistry: "registry.example.com/fmc", apps: stackConfig("prod").apps }, topology);

  it("counts the server, a node agent per worker and the snapshot controller; the data mover pods and kopia's maintenance are backup-time Jobs", () => {
    const c = stackCapacity(facts, settings, [], testVolumeBackups());
    const without = stackCapacity(facts, settings, []);
    console.log(`prod volume backups: velero ${JSON.stringify(c.report.byRelease.velero)}, snapshot-controller ${JSON.stringify(c.report.byRelease["snapshot-controller"])}`);
    // 128 (server) + 3 x 64 (node agents) MiB; 32 MiB for the snapshot controller.
    expect(c.report.byRelease.velero).toEqual({ cpuMilli: 110, memoryMiB: 320 });
    expect(c.report.byRelease["snapshot-controller"]).toEqual({ cpuMilli: 10, memoryMiB: 32 });
    expect(c.platform.memoryMiB - without.platform.memoryMiB).toBe(352);
  });

  it("prod with a backup target and the reference apps at replicas.max does not fit: refused, naming backupS3Endpoint and what the backups take", () => {
    expect(assertStackFits(facts, settings, apps).report.fits).toBe(true);
    expect(problemsOf(() => assertStackFits(facts, settings, apps, testVolumeBackups()))).toEqual([
      expect.stringMatching(/^backupS3Endpoint: the volume backups \(velero 320 MiB, snapshot-controller 32 MiB of requests\) do not fit .*memory requests \d+ MiB exceed/),
    ]);
  });

  it("with room made (the worker app at one replica), it fits", () => {
    const smaller = apps.map((a) => (a.name === "worker" ? { ...a, replicas: { min: 1, max: 1 } } : a));
    expect(assertStackFits(facts, settings, smaller, testVolumeBackups()).report.fits).toBe(true);
  });
});

// ---- the component under mocks, and docs/day-two.md's rows -----------------------------------

const RELEASE = "kubernetes:helm.sh/v3:Release";
let h: Harness;

const CREDENTIALS = { accessKeyId: "AKIAFMCTEST", secretAccessKey: "test-secret-key", passphrase: BACKUP_SECRETS.backupPassphrase?.value ?? "" };

function platform(name: string, vb?: ReturnType<typeof testVolumeBackups>, creds = CREDENTIALS): void {
  const credentials = pulumi.secret(creds);
  platformRun(name, { ...facts, settings, volumeBackups: vb && { plan: vb, credentials } });
}

beforeAll(async () => {
  h = await startHarness({
    stack: "prod",
    outputsFor: randomOutputs,
  });
  platform("off");
  platform("on", testVolumeBackups());
  platform("target", testVolumeBackups({ backupS3Endpoint: "https://nas.example.net", backupS3Bucket: "fmc-other", backupS3Region: "eu-west-1", backupS3PathStyle: false }), {
    accessKeyId: "AKIAROTATED",
    secretAccessKey: "rotated-secret-key",
    passphrase: "a rotated long passphrase 4567",
  });
  platform("schedule", testVolumeBackups({ backupVolumesSchedule: "every 6h", backupVolumesRetentionDays: 30 }));
  await h.settle();
}, 300_000);

const of = (prefix: string) => runOf(h, prefix);

describe("the Platform component", () => {
  it("with a target: the two releases in the velero namespace, their CRDs (kept on delete), the class, both Secrets as secrets, the rule and the monitor", () => {
    const on = of("on");
    const releases = on.filter((r) => r.type === RELEASE).map((r) => r.inputs.name);
    expect(releases).toEqual(expect.arrayContaining(["velero", "snapshot-controller"]));
    const velero = on.find((r) => r.type === RELEASE && r.inputs.name === "velero")!;
    expect(velero.inputs).toMatchObject({ namespace: "velero", skipCrds: true, atomic: true });
    const crds = on.filter((r) => r.type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinitionPatch" && /velero\.io|snapshot\.storage\.k8s\.io/.test(r.name));
    expect(crds.length).toBe(13 + 6);
    expect(crds.every((r) => r.retainOnDelete)).toBe(true);
    for (const s of [VELERO_S3_SECRET, VELERO_REPO_SECRET]) {
      const secret = on.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === `on-${s}`)!;
      expect(isSecretAt(secret.rawInputs, ["stringData"])).toBe(true);
      expect(secret.additionalSecretOutputs).toEqual(expect.arrayContaining(["data", "stringData"]));
    }
    const repo = on.find((r) => r.name === `on-${VELERO_REPO_SECRET}`)!;
    expect(repo.inputs.stringData).toEqual({ "repository-password": "a long test passphrase 0123" });
    // Velero waits for both Secrets (it would create the password Secret with its built-in one).
    const urnOf = (n: string) => on.find((r) => r.name === n)!.urn;
    expect(velero.dependencies).toEqual(expect.arrayContaining([urnOf(`on-${VELERO_S3_SECRET}`), urnOf(`on-${VELERO_REPO_SECRET}`), urnOf("on-snapshot-class-ceph-block")]));
    expect(on.find((r) => r.name === "on-snapshot-class-ceph-block")!.inputs).toMatchObject({ kind: "VolumeSnapshotClass", driver: "rook-ceph.rbd.csi.ceph.com" });
    const freshness = on.find((r) => r.name === "on-backup-freshness-rules")!;
    expect(JSON.stringify(freshness.inputs.spec)).toContain('kind":"volumes"');
    expect(on.some((r) => r.name === "on-velero-monitor")).toBe(true);
    expect(on.find((r) => r.name === "on-ns-velero")!.inputs).toMatchObject({ metadata: { labels: { "pod-security.kubernetes.io/enforce": "privileged" } } });
  });

  it("without a target: nothing of the backup tool", () => {
    const off = of("off").map((r) => r.name);
    expect(off.filter((n) => /velero|snapshot/.test(n))).toEqual([]);
  });
});

const changes = (before: string, after: string) => runChanges(h, before, after);

const ours = /velero|snapshot|backup/;

describe("docs/day-two.md row volumeBackupTarget", () => {
  it("a new endpoint, bucket, region, URL style, credentials and passphrase update in place: Velero's release (a Helm upgrade) and its Secrets; nothing replaced, nothing else", () => {
    const r = changes("on", "target");
    expect({ replaced: r.replaced, created: r.created, deleted: r.deleted }).toEqual({ replaced: [], created: [], deleted: [] });
    // The egress policy follows the target's port (443 now).
    expect(r.updated.sort()).toEqual(["velero", "velero-allow-backup-target", "velero-repo-credentials", "velero-s3"]);
  });

});

describe("docs/day-two.md row volumeBackupSchedule", () => {
  it("a new schedule and retention update Velero's release (its Schedule, a Helm upgrade) and the backup alerts' limit for the volumes (rule and dashboard)", () => {
    const r = changes("on", "schedule");
    expect({ replaced: r.replaced, created: r.created, deleted: r.deleted, updated: r.updated }).toEqual({ replaced: [], created: [], deleted: [], updated: ["velero", "fmc-backups-dashboard", "fmc-backups-rules"] });
    expect(r.changes.get("velero")?.changedKeys).toEqual(["values"]);
  });

});

describe("docs/day-two.md row volumeBackupsOff", () => {
  it("the tool is deleted (its releases, Secrets, class, namespace); the freshness rule drops the volumes' series; its CRDs stay (retainOnDelete); no other platform object changes", () => {
    const r = changes("on", "off");
    expect(r.replaced).toEqual([]);
    expect(r.created).toEqual([]);
    expect(r.deleted).toEqual(expect.arrayContaining(["velero", "snapshot-controller", "velero-s3", "velero-repo-credentials", "snapshot-class-ceph-block", "ns-velero"]));
    expect(r.deleted.filter((n) => !ours.test(n) && !/^crd-/.test(n))).toEqual([]);
    const crds = of("on").filter((x) => r.deleted.includes(x.name.slice(3)) && x.name.startsWith("on-crd-"));
    expect(crds.length).toBe(19);
    expect(crds.every((x) => x.retainOnDelete)).toBe(true);
    // The shared freshness rule loses the volumes' series (etcd's stays).
    expect(r.updated).toEqual(["backup-freshness-rules"]);
  });

});

describe("docs/day-two.md row volumeBackupsOn", () => {
  it("the same change backwards: only creates", () => {
    const r = changes("off", "on");
    expect({ replaced: r.replaced, deleted: r.deleted, updated: r.updated }).toEqual({ replaced: [], deleted: [], updated: ["backup-freshness-rules"] });
    expect(r.created.filter((n) => !ours.test(n) && !/^crd-/.test(n))).toEqual([]);
  });
});

function selfSignedCa(): string {
  const dir = mkdtempSync(join(tmpdir(), "vb-ca-"));
  const key = join(dir, "k.pem");
  const crt = join(dir, "c.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=test ca", "-addext", "basicConstraints=critical,CA:TRUE"], { stdio: "ignore" });
  const pem = readFileSync(crt, "utf8");
  expect(new X509Certificate(pem).ca).toBe(true);
  return pem;
}
