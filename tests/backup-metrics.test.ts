/**
 * The backup freshness contract for K3s etcd: kube-state-metrics' series of K3s's ETCDSnapshotFile
 * records and the recording rule that turns them into
 * `fmc_backup_last_success_timestamp_seconds{kind="etcd"}`, evaluated by Prometheus's own
 * `promtool test rules` on series shaped as kube-state-metrics exports them.
 */
import { writeFileSync } from "fs";
import { dirname, join } from "path";
import { stringify } from "yaml";
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { k3sClusterFacts } from "../cluster/facts";
import { BACKUP_FRESHNESS_METRIC, backupFreshnessRule, ETCD_SNAPSHOT_METRIC_PREFIX, K3S_SNAPSHOT_STORAGE_LABEL } from "../platform/backup-metrics";
import { planPlatform } from "../platform/plan";
import { renderPlatform } from "../platform/render";
import { rawStack } from "./helpers/stacks";
import { requireTool, run, writeTemp } from "./helpers/tools";

const topology = parseTopology(rawStack("prod"), "prod");
const rendered = renderPlatform(planPlatform({ ...k3sClusterFacts(topology), settings: parsePlatformSettings({}, topology) }));

describe("kube-state-metrics reads K3s's etcd snapshot records", () => {
  const ksm = rendered.values.kubePrometheusStack["kube-state-metrics"];

  it("custom resource state on ETCDSnapshotFile (k3s.cattle.io/v1): creation time and readiness, labelled by where the copy is", () => {
    expect(ksm.customResourceState.enabled).toBe(true);
    const [resource] = (ksm.customResourceState.config.spec as { resources: Record<string, unknown>[] }).resources;
    expect(resource).toMatchObject({
      groupVersionKind: { group: "k3s.cattle.io", version: "v1", kind: "ETCDSnapshotFile" },
      metricNamePrefix: ETCD_SNAPSHOT_METRIC_PREFIX,
      labelsFromPath: { storage: ["metadata", "labels", K3S_SNAPSHOT_STORAGE_LABEL], snapshot: ["metadata", "name"] },
    });
    const paths = (resource.metrics as { name: string; each: { gauge: { path: string[] } } }[]).map((m) => [m.name, m.each.gauge.path.join(".")]);
    expect(paths).toEqual([
      ["created_timestamp_seconds", "status.creationTime"],
      ["ready", "status.readyToUse"],
    ]);
    expect(ksm.rbac.extraRules).toEqual([{ apiGroups: ["k3s.cattle.io"], resources: ["etcdsnapshotfiles"], verbs: ["list", "watch"] }]);
  });

  it("the platform creates the freshness rule next to Ceph's", () => {
    expect(rendered.prometheusRules.map((r) => r.name)).toEqual(expect.arrayContaining(["ceph-health", "backup-freshness"]));
  });
});

describe(`${BACKUP_FRESHNESS_METRIC}{kind="etcd"} (promtool)`, () => {
  const rule = backupFreshnessRule();
  const rulesFile = writeTemp("backup-freshness.rules.yaml", stringify({ groups: rule.spec.groups }));

  it("passes promtool check rules", () => {
    requireTool("promtool");
    const r = run("promtool", ["check", "rules", rulesFile]);
    expect(r.output).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });

  it("is the newest ready copy in the bucket: not a failed upload, not a snapshot left on a node", () => {
    requireTool("promtool");
    const series = (name: string, labels: Record<string, string>, values: string) => ({
      series: `${ETCD_SNAPSHOT_METRIC_PREFIX}_${name}{${Object.entries({ customresource_group: "k3s.cattle.io", customresource_kind: "ETCDSnapshotFile", customresource_version: "v1", ...labels }).map(([k, v]) => `${k}="${v}"`).join(",")}}`,
      values,
    });
    const s3 = (snapshot: string) => ({ snapshot, node: "bootstrap1", storage: "s3" });
    const local = (snapshot: string) => ({ snapshot, node: "bootstrap1", storage: "bootstrap1" });
    const test = {
      rule_files: [rulesFile],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            // Two good copies in the bucket (6 h apart), a later one whose upload failed, and a later
            // snapshot that stayed on its node.
            series("created_timestamp_seconds", s3("s3-old"), "1765000000x10"),
            series("ready", s3("s3-old"), "1x10"),
            series("created_timestamp_seconds", s3("s3-new"), "1765021600x10"),
            series("ready", s3("s3-new"), "1x10"),
            series("created_timestamp_seconds", s3("s3-failed"), "1765043200x10"),
            series("ready", s3("s3-failed"), "0x10"),
            series("created_timestamp_seconds", local("local-newest"), "1765050000x10"),
            series("ready", local("local-newest"), "1x10"),
          ],
          promql_expr_test: [{ expr: BACKUP_FRESHNESS_METRIC, eval_time: "5m", exp_samples: [{ labels: `${BACKUP_FRESHNESS_METRIC}{kind="etcd"}`, value: 1765021600 }] }],
        },
        {
          // No copy in the bucket (backups off, or none yet): no sample, so "absent" alerts can tell.
          interval: "1m",
          input_series: [series("created_timestamp_seconds", local("local-only"), "1765050000x10"), series("ready", local("local-only"), "1x10")],
          promql_expr_test: [{ expr: BACKUP_FRESHNESS_METRIC, eval_time: "5m", exp_samples: [] }],
        },
      ],
    };
    const testFile = join(dirname(rulesFile), "backup-freshness.test.yaml");
    writeFileSync(testFile, stringify(test));
    const r = run("promtool", ["test", "rules", testFile]);
    expect(r.output).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });
});
