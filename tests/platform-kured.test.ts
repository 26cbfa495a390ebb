/**
 * kured, the reboot coordinator for Flatcar's staged updates: its values against the chart's keys and
 * its template, the reboot sentinel run as kured runs it (a stub `update_engine_client` printing each
 * status), and the gates (alerts, window, drain) it is given.
 */
import { spawnSync } from "child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parse as parseYaml } from "yaml";
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { cephHealthRule } from "../platform/monitors";
import { k3sClusterFacts } from "../cluster/facts";
import { planPlatform } from "../platform/plan";
import { renderPlatform } from "../platform/render";
import {
  KURED_DRAIN_TIMEOUT,
  KURED_IGNORED_ALERTS,
  kuredValues,
  REBOOT_SENTINEL_SCRIPT,
  rebootSentinelCommand,
} from "../platform/values/kured";
import { CHARTS } from "../versions";
import { rawStack } from "./helpers/stacks";
import { hasTool, shellcheck } from "./helpers/tools";

const prodTopology = parseTopology(rawStack("prod"), "prod");
const values = kuredValues(parsePlatformSettings({}, prodTopology).reboots);
const script = readFileSync(REBOOT_SENTINEL_SCRIPT, "utf8");

/**
 * Word splitting as github.com/google/shlex does it for kured's `--reboot-sentinel-command`:
 * whitespace separates words, single quotes keep everything literal, double quotes and backslashes
 * escape. Enough for the commands tested here (no comments).
 */
function shlexSplit(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error("unclosed single quote");
      word = (word ?? "") + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let s = "";
      for (; j < text.length && text[j] !== '"'; j++) s += text[j] === "\\" ? text[++j] : text[j];
      if (j >= text.length) throw new Error("unclosed double quote");
      word = (word ?? "") + s;
      i = j;
    } else if (c === "\\") {
      word = (word ?? "") + text[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? "") + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** Runs the sentinel's `sh -c` script as kured would (minus nsenter), with a stub update-engine client. */
function runSentinel(shell: string, stub: string): number | null {
  const bin = mkdtempSync(join(tmpdir(), "kured-sentinel-"));
  const client = join(bin, "update_engine_client");
  writeFileSync(client, `#!/bin/sh\n${stub}\n`);
  chmodSync(client, 0o755);
  const argv = shlexSplit(values.configuration.rebootSentinelCommand);
  const r = spawnSync(shell, argv.slice(1), { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: "utf8", timeout: 10_000 });
  return r.status;
}

const status = (op: string) =>
  `printf 'LAST_CHECKED_TIME=1764547200\\nPROGRESS=0.000000\\nCURRENT_OP=${op}\\nNEW_VERSION=4593.2.6\\nNEW_SIZE=472173235\\n'`;

describe("the reboot sentinel", () => {
  it("is its own shell script and passes shellcheck", () => {
    const r = shellcheck(script, "sh");
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  it("reaches kured as /bin/sh -c and one script word (kured splits the flag, it runs no shell)", () => {
    const argv = shlexSplit(values.configuration.rebootSentinelCommand);
    expect(argv.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(argv).toHaveLength(3);
    expect(argv[2]).toContain("update_engine_client -status");
    expect(argv[2]).toContain("CURRENT_OP=UPDATE_STATUS_UPDATED_NEED_REBOOT");
    // Not the file: the chart mounts the sentinel's directory from the host only when asked.
    expect(values.configuration.useRebootSentinelHostPath).toBe(false);
  });

  const shells = ["sh", "bash"].filter(hasTool);
  describe.each(shells)("under %s, with update_engine_client printing each status", (shell) => {
    it("exits 0 for a staged update (UPDATE_STATUS_UPDATED_NEED_REBOOT): reboot", () => {
      expect(runSentinel(shell, status("UPDATE_STATUS_UPDATED_NEED_REBOOT"))).toBe(0);
    });

    it.each(["UPDATE_STATUS_IDLE", "UPDATE_STATUS_DOWNLOADING", "UPDATE_STATUS_FINALIZING", "UPDATE_STATUS_REPORTING_ERROR_EVENT"])("exits 1 for %s: no reboot", (op) => {
      expect(runSentinel(shell, status(op))).toBe(1);
    });

    it("exits 2 (no reboot; kured logs the unexpected code) when update-engine cannot be asked", () => {
      expect(runSentinel(shell, "echo 'Failed to get proxy' >&2; exit 134")).toBe(2);
    });
  });

  it("rejects a script kured's one quoted word could not carry", () => {
    expect(() => rebootSentinelCommand("# only a comment\n")).toThrow(/no commands/);
    expect(() => rebootSentinelCommand("echo 'x'\n")).toThrow(/single quote/);
    expect(rebootSentinelCommand("# c\na || exit 2\n\nexit 1\n")).toBe("/bin/sh -c 'a || exit 2; exit 1'");
  });
});

describe("the chart's template carries every value as written", () => {
  // templates/daemonset.yaml interpolates each setting unquoted into the args list
  // (`- --flag={{ value }}`): a value that YAML would read differently would reach kured changed.
  const flags: Record<string, string> = {
    "reboot-sentinel-command": values.configuration.rebootSentinelCommand,
    "prometheus-url": values.configuration.prometheusUrl,
    "alert-filter-regexp": values.configuration.alertFilterRegexp,
    "drain-timeout": values.configuration.drainTimeout,
    "lock-release-delay": values.configuration.lockReleaseDelay,
    period: values.configuration.period,
    "start-time": values.configuration.startTime,
    "end-time": values.configuration.endTime,
    "time-zone": values.configuration.timeZone,
    ...Object.fromEntries(values.configuration.blockingPodSelector.map((s) => ["blocking-pod-selector", s])),
  };
  it.each(Object.entries(flags))("--%s", (flag, value) => {
    const rendered = `args:\n  - --${flag}=${value}\n`;
    expect(parseYaml(rendered)).toEqual({ args: [`--${flag}=${value}`] });
  });
});

describe("kured's values", () => {
  it("run the pinned image, one node at a time, never past a drain that did not finish", () => {
    expect(values.image).toEqual({ repository: "ghcr.io/kubereboot/kured", tag: CHARTS.kured.image.tag });
    expect(values.configuration.concurrency).toBe(1);
    expect(values.configuration.forceReboot).toBe(false);
    expect(values.configuration.drainTimeout).toBe(KURED_DRAIN_TIMEOUT);
    // Longer than Prometheus's 600 s graceful stop, shorter than Rook's 30 min osdMaintenanceTimeout.
    expect(Number(KURED_DRAIN_TIMEOUT.replace(/m$/, ""))).toBeGreaterThan(10);
    expect(Number(KURED_DRAIN_TIMEOUT.replace(/m$/, ""))).toBeLessThan(30);
  });

  it("ask the stack's Prometheus, blocking on pending alerts too, ignoring only the always-on ones", () => {
    const prod = renderPlatform(planPlatform({ ...k3sClusterFacts(prodTopology), settings: parsePlatformSettings({}, prodTopology) }));
    expect(prod.values.kured.configuration.prometheusUrl).toBe("http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090");
    expect(values.configuration.alertFiringOnly).toBe(false);
    expect(values.configuration.alertFilterMatchOnly).toBe(false);
    // kured ignores the alerts whose names match; Go's RE2 reads this alternation as JavaScript does.
    const ignored = new RegExp(values.configuration.alertFilterRegexp);
    for (const name of Object.keys(KURED_IGNORED_ALERTS)) expect(ignored.test(name)).toBe(true);
    const cephAlerts = cephHealthRule().spec.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(cephAlerts).toEqual(["CephHealthError", "CephHealthWarning", "CephHealthUnknown"]);
    for (const name of [...cephAlerts, "KubePodNotReady", "TargetDown", "etcdInsufficientMembers", "WatchdogX", "KubeMemoryOvercommitted"]) {
      expect(ignored.test(name)).toBe(false);
    }
  });

  it("tolerate every NoSchedule taint the stacks give their nodes, so the servers reboot too", () => {
    for (const stack of ["prod", "dev"] as const) {
      const nodes = k3sClusterFacts(parseTopology(rawStack(stack), stack)).nodes;
      const taints = nodes.flatMap((n) => n.taints);
      if (stack === "prod") expect(taints.length).toBeGreaterThan(0);
      for (const taint of taints) {
        const effect = taint.split(":").pop();
        expect(values.tolerations.some((t) => t.operator === "Exists" && t.effect === effect)).toBe(true);
      }
    }
  });

  it("reboot only inside the window (default every night 01:00-05:00 UTC), and not while an OSD is being prepared on the node", () => {
    expect(values.configuration.rebootDays).toEqual(["mo", "tu", "we", "th", "fr", "sa", "su"]);
    expect([values.configuration.startTime, values.configuration.endTime, values.configuration.timeZone]).toEqual(["01:00", "05:00", "UTC"]);
    expect(values.configuration.blockingPodSelector).toEqual(["app=rook-ceph-osd-prepare"]);
  });

  it("take the window from rebootWindow", () => {
    const weekend = renderPlatform(planPlatform({ ...k3sClusterFacts(prodTopology), settings: parsePlatformSettings({ rebootWindow: "su,sa 22:30-02:00" }, prodTopology) }));
    const c = weekend.values.kured.configuration;
    expect([c.rebootDays, c.startTime, c.endTime, c.timeZone]).toEqual([["sa", "su"], "22:30", "02:00", "UTC"]);
  });

  it("Ceph's health rules use the mgr's ceph_health_status, and catch it missing", () => {
    const rules = cephHealthRule().spec.groups[0].rules;
    expect(rules.map((r) => [r.alert, r.expr, r.for])).toEqual([
      ["CephHealthError", "ceph_health_status == 2", "5m"],
      ["CephHealthWarning", "ceph_health_status == 1", "15m"],
      ["CephHealthUnknown", "absent(ceph_health_status)", "10m"],
    ]);
  });
});
