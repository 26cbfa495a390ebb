/**
 * Backups that fail or fall behind reach a person (issue 18 item 6): each watched kind's limit from
 * its schedules, the PrometheusRule checked and exercised by the real `promtool` (synthetic series:
 * late, missing, failed, and quiet when all is well), the Rocky VMs' ScrapeConfig and the
 * NetworkPolicy hole toward them, the Grafana dashboard, kured not held by these alerts, and the
 * objects the Platform component creates (mock engine).
 */
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parse, stringify } from "yaml";
import { parseBackupSettings, RawBackupConfig } from "../config/backup";
import { BACKUP_LATE_MARGIN_HOURS, BackupMonitoring, longestGapHoursOf, watchedBackupKinds } from "../config/backup-freshness";
import { parseBackupSchedule, BackupSchedule } from "../config/backup-schedule";
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { k3sClusterFacts as platformFacts } from "../cluster/facts";
import { GuestRoles } from "../infra/guest-roles";
import { BACKUP_ALERTS, BACKUP_DASHBOARD, backupDashboard, backupAlertRule, promDuration } from "../platform/backup-alerts";
import { backupFreshnessRule } from "../platform/backup-metrics";
import { planPlatform } from "../platform/plan";
import { renderPlatform } from "../platform/render";
import { kuredValues } from "../platform/values/kured";
import { machineOutputs } from "./helpers/machine-outputs";
import { startHarness } from "./helpers/pulumi-harness";
import { rawStack } from "./helpers/stacks";
import { hasCommand, prodSettings } from "./roles.helpers";

const topology = parseTopology(rawStack("prod"), "prod");
const SECRETS = {
  backupS3AccessKeyId: { value: "AKIAALERTS", secret: true },
  backupS3SecretAccessKey: { value: "alerts-secret-key", secret: true },
  backupPassphrase: { value: "alerts passphrase long enough", secret: true },
};
const TARGET: RawBackupConfig = { backupS3Endpoint: "https://nas.example.net", backupS3Bucket: "fmc-backups" };
const on = parseBackupSettings(TARGET, SECRETS, "prod");
const off = parseBackupSettings({}, {}, "prod");
const schedule = (text: string): BackupSchedule => {
  const s = parseBackupSchedule(text);
  if (typeof s === "string") throw new Error(s);
  return s;
};
/** The prod stack's Rocky VMs' view with backups on: PostgreSQL and FreeIPA watched. */
const monitoring = (): BackupMonitoring => new GuestRoles("watch", { topology, settings: prodSettings(topology), backup: { settings: on } }).backupMonitoring();

describe("when a kind is late", () => {
  it("the longest gap over all of a kind's schedules, in hours", () => {
    expect(longestGapHoursOf([schedule("su 01:30"), schedule("mo,tu,we,th,fr,sa 01:30")])).toBe(24);
    expect(longestGapHoursOf([schedule("every 6h")])).toBe(6);
    expect(longestGapHoursOf([schedule("sa 03:00"), schedule("every 12h")])).toBe(12);
    expect(longestGapHoursOf([schedule("mo,we 02:00")])).toBe(5 * 24);
    expect(longestGapHoursOf([schedule("02:00"), schedule("every 24h")])).toBe(22);
  });

  it("only watched kinds, only with backups on; the limit is the gap plus the margin", () => {
    expect(watchedBackupKinds(off, ["postgresql", "freeipa"])).toEqual([]);
    const custom = parseBackupSettings({ ...TARGET, backupFreeipaSchedule: "sa 04:00", backupEtcdSchedule: "every 2h" }, SECRETS, "prod");
    expect(watchedBackupKinds(custom, ["freeipa", "postgresql", "etcd"])).toEqual([
      { kind: "etcd", schedules: ["every 2h"], lateAfterHours: 2 + BACKUP_LATE_MARGIN_HOURS },
      { kind: "postgresql", schedules: ["su 01:30", "mo,tu,we,th,fr,sa 01:30"], lateAfterHours: 24 + BACKUP_LATE_MARGIN_HOURS },
      { kind: "freeipa", schedules: ["sa 04:00"], lateAfterHours: 7 * 24 + BACKUP_LATE_MARGIN_HOURS },
    ]);
    expect(promDuration(26)).toBe("26h");
    expect(promDuration(7.5)).toBe("7h30m");
  });

  it("the prod stack's VMs: PostgreSQL and FreeIPA, scraped on their cluster-network addresses", () => {
    expect(monitoring()).toEqual({
      kinds: [
        { kind: "postgresql", schedules: ["su 01:30", "mo,tu,we,th,fr,sa 01:30"], lateAfterHours: 26 },
        { kind: "freeipa", schedules: ["02:00"], lateAfterHours: 26 },
      ],
      vmTargets: [
        { vm: "postgresql1", address: "10.17.4.13", port: 9100 },
        { vm: "freeipa1", address: "10.17.4.11", port: 9100 },
      ],
    });
    expect(new GuestRoles("off", { topology, settings: prodSettings(topology), backup: { settings: off } }).backupMonitoring()).toEqual({ kinds: [], vmTargets: [] });
  });
});

const promtool = hasCommand("promtool");

function withRuleFiles<T>(files: Record<string, string>, run: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "fmc-rules-"));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the PrometheusRule", () => {
  const rule = backupAlertRule(monitoring());
  if (!rule) throw new Error("no rule");
  const rulesYaml = stringify({ groups: rule.spec.groups });

  it("covers exactly the watched kinds; nothing without them", () => {
    const alerts = rule.spec.groups[0].rules.map((r) => `${r.alert}${r.labels.kind ? `/${r.labels.kind}` : ""}`);
    expect(alerts).toEqual(["BackupLate/postgresql", "BackupMissing/postgresql", "BackupLate/freeipa", "BackupMissing/freeipa", "BackupFailed", "BackupMetricsUnreachable"]);
    expect(rulesYaml).not.toMatch(/etcd|volumes/);
    expect(backupAlertRule({ kinds: [], vmTargets: [] })).toBeUndefined();
  });

  (promtool ? it : it.skip)("promtool check rules accepts it", () => {
    const r = withRuleFiles({ "rules.yaml": rulesYaml }, (dir) => spawnSync("promtool", ["check", "rules", join(dir, "rules.yaml")], { encoding: "utf8" }));
    expect({ status: r.status, out: r.stdout + r.stderr }).toMatchObject({ status: 0, out: expect.stringContaining("SUCCESS: 6 rules found") });
  });

  // Synthetic series: postgresql succeeded at t=0, freeipa never; a later postgresql run failed at
  // t=30h (a value of 108000). The limits are 26 h for both.
  (promtool ? it : it.skip)("promtool test rules: late after 26 h, missing after 26 h, failed at once, quiet when all is well", () => {
    const series = (metric: string, kind: string, values: string) => ({ series: `${metric}{kind="${kind}",job="fmc-backup-vms",vm="${kind}1"}`, values });
    // The annotations promtool expects: the rule's own, with the alert's labels (and value) filled in.
    const expected = (alertname: string, labels: Record<string, string>, value = "") => {
      const r = rule.spec.groups[0].rules.find((x) => x.alert === alertname && (x.labels.kind === undefined || x.labels.kind === labels.kind));
      if (!r) throw new Error(`no rule ${alertname}`);
      const fill = (t: string) => t.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, l: string) => labels[l]).replace("{{ $value | humanizeDuration }}", value);
      return { exp_labels: { severity: "warning", ...labels }, exp_annotations: { summary: fill(r.annotations.summary), description: fill(r.annotations.description) } };
    };
    const unreachable = { job: "fmc-backup-vms", vm: "freeipa1", instance: "10.17.4.11:9100" };
    const tests = {
      rule_files: ["rules.yaml"],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            series("fmc_backup_last_success_timestamp_seconds", "postgresql", "0+0x2000"),
            series("fmc_backup_last_failure_timestamp_seconds", "postgresql", "_x1799 108000+0x200"),
            { series: 'up{job="fmc-backup-vms",vm="postgresql1",instance="10.17.4.13:9100"}', values: "1+0x2000" },
          ],
          alert_rule_test: [
            { eval_time: "25h", alertname: BACKUP_ALERTS.late, exp_alerts: [] },
            { eval_time: "27h", alertname: BACKUP_ALERTS.late, exp_alerts: [expected(BACKUP_ALERTS.late, { kind: "postgresql" }, "1d 3h 0m 0s")] },
            { eval_time: "25h", alertname: BACKUP_ALERTS.missing, exp_alerts: [] },
            { eval_time: "27h", alertname: BACKUP_ALERTS.missing, exp_alerts: [expected(BACKUP_ALERTS.missing, { kind: "freeipa" })] },
            { eval_time: "29h", alertname: BACKUP_ALERTS.failed, exp_alerts: [] },
            { eval_time: "31h", alertname: BACKUP_ALERTS.failed, exp_alerts: [expected(BACKUP_ALERTS.failed, { kind: "postgresql" })] },
            { eval_time: "31h", alertname: BACKUP_ALERTS.unreachable, exp_alerts: [] },
          ],
        },
        {
          // Both kinds succeed every 24 h: nothing fires.
          interval: "1m",
          input_series: [
            series("fmc_backup_last_success_timestamp_seconds", "postgresql", "0+0x1439 86400+0x1200"),
            series("fmc_backup_last_success_timestamp_seconds", "freeipa", "0+0x1439 86400+0x1200"),
            { series: `up{job="${unreachable.job}",vm="${unreachable.vm}",instance="${unreachable.instance}"}`, values: "0+0x120" },
          ],
          alert_rule_test: [
            ...[BACKUP_ALERTS.late, BACKUP_ALERTS.missing, BACKUP_ALERTS.failed].map((alertname) => ({ eval_time: "40h", alertname, exp_alerts: [] })),
            // An exporter that does not answer is its own alert, after 15 minutes.
            { eval_time: "10m", alertname: BACKUP_ALERTS.unreachable, exp_alerts: [] },
            { eval_time: "1h", alertname: BACKUP_ALERTS.unreachable, exp_alerts: [expected(BACKUP_ALERTS.unreachable, unreachable)] },
          ],
        },
      ],
    };
    const text = tests;
    const r = withRuleFiles({ "rules.yaml": rulesYaml, "test.yaml": stringify(text) }, (dir) => spawnSync("promtool", ["test", "rules", join(dir, "test.yaml")], { encoding: "utf8", cwd: dir }));
    expect({ status: r.status, out: r.stdout + r.stderr }).toMatchObject({ status: 0, out: expect.stringContaining("SUCCESS") });
  });
});

describe("etcd: the alerts on the series K3s's snapshots record (platform/backup-metrics.ts)", () => {
  const etcd = new GuestRoles("etcd", { topology, settings: prodSettings(topology), backup: { settings: on } }).backupMonitoring(["etcd"]);
  const alerts = backupAlertRule(etcd);
  if (!alerts) throw new Error("no rule");

  it("etcd is watched with its 6-hourly schedule: late after 8 h", () => {
    expect(etcd.kinds[0]).toEqual({ kind: "etcd", schedules: ["every 6h"], lateAfterHours: 8 });
  });

  (promtool ? it : it.skip)("promtool: a ready copy in the bucket at t=0 is late at 8 h, not at 7 h; a failed newer snapshot does not count", () => {
    const files = {
      "recording.yaml": stringify({ groups: backupFreshnessRule().spec.groups }),
      "alerts.yaml": stringify({ groups: alerts.spec.groups }),
    };
    const ksm = (name: string, snapshot: string, values: string) => ({ series: `fmc_k3s_etcd_snapshot_${name}{snapshot="${snapshot}",storage="s3",node="master1"}`, values });
    const test = {
      rule_files: ["recording.yaml", "alerts.yaml"],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            ksm("created_timestamp_seconds", "s1", "0+0x600"),
            ksm("ready", "s1", "1+0x600"),
            // A newer snapshot whose upload failed (readyToUse false): no success.
            ksm("created_timestamp_seconds", "s2", "_x359 21600+0x240"),
            ksm("ready", "s2", "_x359 0+0x240"),
          ],
          alert_rule_test: [
            { eval_time: "7h", alertname: BACKUP_ALERTS.late, exp_alerts: [] },
            {
              eval_time: "8h30m",
              alertname: BACKUP_ALERTS.late,
              exp_alerts: [
                {
                  exp_labels: { severity: "warning", kind: "etcd" },
                  exp_annotations: {
                    summary: "The last successful etcd backup is older than 8h",
                    description: "No successful etcd backup for 8h 30m 0s (schedule: every 6h; limit 8h). See docs/backups.md, Alerts.",
                  },
                },
              ],
            },
            { eval_time: "8h30m", alertname: BACKUP_ALERTS.missing, exp_alerts: [] },
          ],
        },
      ],
    };
    const r = withRuleFiles({ ...files, "test.yaml": stringify(test) }, (dir) => spawnSync("promtool", ["test", "rules", join(dir, "test.yaml")], { encoding: "utf8", cwd: dir }));
    expect({ status: r.status, out: r.stdout + r.stderr }).toMatchObject({ status: 0, out: expect.stringContaining("SUCCESS") });
  });
});

describe("what the platform renders", () => {
  const plan = planPlatform({ ...platformFacts(topology), settings: parsePlatformSettings({}, topology), backups: monitoring() });
  const rendered = renderPlatform(plan);

  it("a ScrapeConfig for the VMs' exporters, each target labelled with its VM", () => {
    expect(rendered.scrapeConfigs).toEqual([
      {
        name: "fmc-backup-vms",
        namespace: "monitoring",
        spec: {
          jobName: "fmc-backup-vms",
          scrapeInterval: "60s",
          staticConfigs: [
            { targets: ["10.17.4.13:9100"], labels: { vm: "postgresql1" } },
            { targets: ["10.17.4.11:9100"], labels: { vm: "freeipa1" } },
          ],
        },
      },
    ]);
    expect(rendered.prometheusRules.map((r) => r.name)).toEqual(["ceph-health", "backup-freshness", "fmc-backups"]);
  });

  it("Prometheus's pods alone may reach the VMs, on the exporter's port only", () => {
    const policy = rendered.networkPolicies.find((p) => p.namespace === "monitoring" && p.name === "allow-scrape-backup-vms");
    expect(policy?.spec).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
      policyTypes: ["Egress"],
      egress: [{ to: [{ ipBlock: { cidr: "10.17.4.13/32" } }, { ipBlock: { cidr: "10.17.4.11/32" } }], ports: [{ port: 9100, protocol: "TCP" }] }],
    });
  });

  it("without watched kinds: no rule, scrape config, policy or dashboard", () => {
    const bare = renderPlatform(planPlatform({ ...platformFacts(topology), settings: parsePlatformSettings({}, topology) }));
    expect([bare.scrapeConfigs, bare.dashboards, bare.prometheusRules.map((r) => r.name)]).toEqual([[], [], ["ceph-health", "backup-freshness"]]);
    expect(bare.networkPolicies.map((p) => p.name)).not.toContain("allow-scrape-backup-vms");
  });

  it("the dashboard: the last successful backup per kind, on the chart's Prometheus datasource, for its sidecar", () => {
    expect(rendered.dashboards).toHaveLength(1);
    const d = rendered.dashboards[0];
    expect([d.name, d.namespace, d.key]).toEqual([BACKUP_DASHBOARD.name, "monitoring", BACKUP_DASHBOARD.key]);
    const json = JSON.parse(d.json) as { uid: string; panels: { title: string; type: string; datasource: { uid: string }; targets: { expr: string }[]; fieldConfig: { defaults: { unit: string } } }[] };
    expect(json).toEqual(backupDashboard(plan.backups));
    const panel = json.panels[0];
    expect([panel.title, panel.type, panel.fieldConfig.defaults.unit, panel.targets[0].expr]).toEqual([
      "Last successful backup per kind",
      "stat",
      "dateTimeFromNow",
      "max by (kind) (fmc_backup_last_success_timestamp_seconds)",
    ]);
    expect(json.panels[1].targets.map((t) => t.expr)).toEqual(["(time() - max by (kind) (fmc_backup_last_success_timestamp_seconds)) / 3600", "vector(26)", "vector(26)"]);
    for (const p of json.panels) expect(p.datasource.uid).toBe("prometheus");
  });

  const values = join(__dirname, "..", "..", "shared", "reference", "charts", "kube-prometheus-stack-88.5.3", "values.yaml");
  (existsSync(values) ? it : it.skip)("the sidecar label and the datasource uid are the chart's (../shared/reference values)", () => {
    const chart = parse(readFileSync(values, "utf8")) as { grafana: { sidecar: { dashboards: { label: string; labelValue: string; searchNamespace: string }; datasources: { uid: string } } } };
    expect(chart.grafana.sidecar.dashboards).toMatchObject({ label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" });
    expect(chart.grafana.sidecar.datasources.uid).toBe("prometheus");
  });

  it("kured is not held by the backup alerts", () => {
    const ignored = new RegExp(kuredValues(parsePlatformSettings({}, topology).reboots).configuration.alertFilterRegexp);
    for (const name of Object.values(BACKUP_ALERTS)) expect(ignored.test(name)).toBe(true);
    expect(ignored.test("CephHealthWarning")).toBe(false);
  });
});

describe("the Platform component (mock engine)", () => {
  it("creates the rule, the ScrapeConfig and the dashboard ConfigMap after the monitoring release", async () => {
    const h = await startHarness({ stack: "prod", outputsFor: machineOutputs });
    const { Platform } = await import("../platform");
    const acme = { ready: new random.RandomPassword("acme-ready", { length: 8 }), caCertificate: "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n", dnsRecordsServed: [] };
    new Platform("platform", { provider: new k8s.Provider("k", { kubeconfig: "x" }), ...platformFacts(topology), settings: parsePlatformSettings({}, topology), acme, backups: monitoring() });
    await h.settle();
    const release = h.byType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "kube-prometheus-stack");
    if (!release) throw new Error("no monitoring release");
    const scrape = h.byName("platform-fmc-backup-vms-scrape");
    expect([scrape.inputs.apiVersion, scrape.inputs.kind]).toEqual(["monitoring.coreos.com/v1alpha1", "ScrapeConfig"]);
    expect(h.dependsOn(scrape, release)).toBe(true);
    const dashboard = h.byName("platform-fmc-backups-dashboard");
    expect((dashboard.inputs.metadata as { labels: Record<string, string> }).labels).toEqual({ grafana_dashboard: "1" });
    expect(Object.keys(dashboard.inputs.data as Record<string, string>)).toEqual([BACKUP_DASHBOARD.key]);
    const rule = h.byName("platform-fmc-backups-rules");
    expect(rule.inputs.kind).toBe("PrometheusRule");
    // kured installs after every rule its gate could read (the backup ones included).
    const kured = h.byType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "kured");
    if (kured) expect(h.dependsOn(kured, rule)).toBe(true);
  });
});
