/**
 * K3s's etcd snapshots to the backup target and the cluster-reset restore (issue 18 item 2): the
 * servers' config.yaml keys, the restore script run against a scratch root with stub binaries
 * (k3s, systemctl, journalctl, sleep, timeout), its order across the servers, and
 * `npm run restore -- etcd` with stub `pulumi` and `ssh` commands.
 */
import { spawnSync } from "child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parse } from "yaml";
import { parseBackupSettings, RawBackupConfig } from "../config/backup";
import { parseClusterSettings } from "../config/cluster";
import { parseTopology } from "../config/validate";
import { planEtcdRestore, RestoreNode, snapshotTime, sshArgs } from "../cluster/etcd-restore";
import { etcdSnapshotConfig, etcdSnapshotRetentionCount } from "../cluster/etcd-snapshots";
import { renderK3sConfig } from "../cluster/k3s-config";
import { renderRestoreEtcd } from "../cluster/scripts";
import { describeNode } from "../infra/nodes";
import { rawStack } from "./helpers/stacks";
import { shellcheck } from "./helpers/tools";

const CA = readFileSync(join(__dirname, "fixtures", "chart-mirror-ca.pem"), "utf8");
const CREDS = { accessKeyId: "AKIAETCDTEST", secretAccessKey: "etcd-secret-key-0123" };
const secrets = Object.fromEntries(
  Object.entries({ backupS3AccessKeyId: CREDS.accessKeyId, backupS3SecretAccessKey: CREDS.secretAccessKey, backupPassphrase: "a long test passphrase 0123" }).map(([k, v]) => [k, { value: v, secret: true }]),
);
const settingsOf = (raw: RawBackupConfig, on = true) => parseBackupSettings(raw, on ? secrets : {}, "prod");
const TARGET: RawBackupConfig = { backupS3Endpoint: "https://nas.example.net:9000", backupS3Bucket: "fmc-backups", backupS3CaCertificate: CA };

describe("etcd snapshot keys (servers' config.yaml)", () => {
  it("with a target: K3s's schedule, retention as a count, zipped, uploaded below <prefix>/etcd with the target's CA inline", () => {
    const keys = etcdSnapshotConfig(settingsOf(TARGET), CREDS);
    expect(keys).toEqual({
      "etcd-snapshot-schedule-cron": "0 */6 * * *",
      // every 6h for 7 days: 4 a day
      "etcd-snapshot-retention": 28,
      "etcd-snapshot-compress": true,
      "etcd-s3": true,
      "etcd-s3-endpoint": "nas.example.net:9000",
      "etcd-s3-bucket": "fmc-backups",
      "etcd-s3-region": "us-east-1",
      "etcd-s3-folder": "flatcarmicrocloud/prod/etcd",
      "etcd-s3-bucket-lookup-type": "path",
      // not K3s's default of 5 in the bucket
      "etcd-s3-retention": 28,
      "etcd-s3-access-key": CREDS.accessKeyId,
      "etcd-s3-secret-key": CREDS.secretAccessKey,
      "etcd-s3-endpoint-ca": Buffer.from(CA.trim() + "\n").toString("base64"),
    });
    expect(Buffer.from(String(keys["etcd-s3-endpoint-ca"]), "base64").toString()).toContain("-----BEGIN CERTIFICATE-----");
  });

  it("the schedule and retention keys follow the config; virtual-hosted buckets and port 443", () => {
    const s = settingsOf({ backupS3Endpoint: "https://s3.eu-west-1.amazonaws.com", backupS3Bucket: "fmc-b", backupS3PathStyle: false, backupS3Region: "eu-west-1", backupEtcdSchedule: "mo,th 02:15", backupEtcdRetentionDays: 30 });
    const keys = etcdSnapshotConfig(s, CREDS);
    expect(keys).toMatchObject({ "etcd-snapshot-schedule-cron": "15 2 * * 1,4", "etcd-s3-endpoint": "s3.eu-west-1.amazonaws.com", "etcd-s3-bucket-lookup-type": "dns", "etcd-s3-region": "eu-west-1" });
    expect(keys["etcd-s3-endpoint-ca"]).toBeUndefined();
    // two runs a week over 30 days
    expect(etcdSnapshotRetentionCount(s)).toBe(9);
    expect(etcdSnapshotRetentionCount(settingsOf({ backupEtcdSchedule: "every 2h", backupEtcdRetentionDays: 3 }, false))).toBe(36);
  });

  it("without a target: K3s's local snapshots on the configured schedule, nothing about S3", () => {
    const keys = etcdSnapshotConfig(settingsOf({}, false));
    expect(keys).toEqual({ "etcd-snapshot-schedule-cron": "0 */6 * * *", "etcd-snapshot-retention": 28, "etcd-snapshot-compress": true });
    expect(() => etcdSnapshotConfig(settingsOf(TARGET))).toThrow(/credentials/);
  });

  it("reach the servers' config.yaml only; agents get none", () => {
    const topology = parseTopology(rawStack("prod"), "prod");
    const cluster = parseClusterSettings({}, topology);
    const keys = etcdSnapshotConfig(settingsOf(TARGET), CREDS);
    const render = (name: string, kind: "init-server" | "server" | "agent") =>
      parse(renderK3sConfig({ node: describeNode(topology.vms.find((v) => v.name === name) as never, topology), kind, token: "t", serverUrl: "https://10.17.4.14:6443", tlsSans: cluster.tlsSans, storage: false, etcdSnapshots: kind === "agent" ? undefined : keys })) as Record<string, unknown>;
    expect(render("bootstrap1", "init-server")).toMatchObject(keys);
    expect(render("master1", "server")).toMatchObject(keys);
    expect(Object.keys(render("worker1", "agent")).filter((k) => k.startsWith("etcd-"))).toEqual([]);
  });
});

// ---- the restore script on one server ----------------------------------------------------------

const STUBS: Record<string, string> = {
  // K3S_STATE: active | inactive (systemctl is-active); STUB_READYZ_ETCD: what /readyz/etcd answers.
  systemctl: `#!/bin/bash
echo "systemctl $*" >>"$STUB_LOG"
case "$1" in
  is-active) [ "$(cat "$STUB_DIR/state")" = active ] ;;
  stop) echo inactive >"$STUB_DIR/state" ;;
  start | restart) echo active >"$STUB_DIR/state" ;;
esac
`,
  journalctl: `#!/bin/bash
echo "journalctl $*" >>"$STUB_LOG"
`,
  sleep: "#!/bin/bash\n",
  // Runs the command without a limit (the real timeout is coreutils').
  timeout: `#!/bin/bash
echo "timeout $1" >>"$STUB_LOG"
shift
exec "$@"
`,
};

// The reset behaves as K3s's does where the script depends on it: it refuses a config that names a
// server to join (pkg/cli/server/server.go), and fails on a token that does not decrypt the snapshot.
const K3S_STUB = `#!/bin/bash
echo "k3s $*" >>"$STUB_LOG"
case "$*" in
  *"--raw=/readyz/etcd"*) [ "$(cat "$STUB_DIR/state")" = active ] && printf '%s' "\${STUB_READYZ_ETCD:-ok}" ;;
  *"--raw=/readyz"*) [ "$(cat "$STUB_DIR/state")" = active ] && printf ok ;;
  *"get namespace kube-system"*) [ "$(cat "$STUB_DIR/state")" = active ] && printf '%s' "\${STUB_CREATED:-2026-01-01T00:00:00Z}" ;;
  *"get node"*) [ "$(cat "$STUB_DIR/state")" = active ] && printf True ;;
  server*--cluster-reset*)
    config="$FMC_ROOT/etc/rancher/k3s/config.yaml"
    [ "$2" = --config ] && config="$3"
    echo "reset config: $(tr '\n' ' ' <"$config")" >>"$STUB_LOG"
    grep -q '^server:' "$config" && { echo "cannot perform cluster-reset while server URL is set - remove server from configuration before resetting" >&2; exit 1; }
    [ "\${STUB_RESET_FAILS:-0}" = 1 ] && { echo "bootstrap data already found and encrypted with different token" >&2; exit 1; }
    echo "Managed etcd cluster membership has been reset" >&2 ;;
esac
exit 0
`;

class Server {
  readonly dir = mkdtempSync(join(tmpdir(), "fmc-restore-"));
  readonly root = join(this.dir, "root");
  readonly stubs = join(this.dir, "stubs");
  readonly log = join(this.dir, "calls.log");

  constructor(opts: { state: "active" | "inactive"; s3?: boolean; config?: string }) {
    for (const d of [this.stubs, join(this.root, "opt/bin"), join(this.root, "etc/rancher/k3s"), join(this.root, "var/lib/rancher/k3s/server/db/snapshots"), join(this.root, "proc/sys/kernel")]) mkdirSync(d, { recursive: true });
    for (const [name, body] of Object.entries(STUBS)) this.exec(join(this.stubs, name), body);
    this.exec(join(this.root, "opt/bin/k3s"), K3S_STUB);
    writeFileSync(join(this.root, "proc/sys/kernel/hostname"), "bootstrap1\n");
    writeFileSync(join(this.root, "etc/rancher/k3s/config.yaml"), opts.config ?? `token: t\n${opts.s3 ? "etcd-s3: true\n" : ""}`);
    writeFileSync(join(this.dir, "state"), opts.state);
    writeFileSync(this.log, "");
  }

  private exec(path: string, body: string) {
    writeFileSync(path, body);
    chmodSync(path, 0o755);
  }

  run(args: string[], env: Record<string, string> = {}) {
    const r = spawnSync("bash", ["-c", renderRestoreEtcd(), "restore-etcd", ...args], {
      encoding: "utf8",
      env: { PATH: `${this.stubs}:${process.env.PATH ?? "/usr/bin:/bin"}`, FMC_ROOT: this.root, STUB_LOG: this.log, STUB_DIR: this.dir, ...env },
    });
    return { status: r.status, output: `${r.stdout}${r.stderr}`, calls: readFileSync(this.log, "utf8") };
  }

  get state(): string {
    return readFileSync(join(this.dir, "state"), "utf8").trim();
  }
}

describe("restore-etcd.sh (stub k3s and systemctl)", () => {
  it("passes shellcheck", () => {
    const r = shellcheck(renderRestoreEtcd());
    expect(r.output).toBe("");
  });

  it("preflight refuses a healthy cluster (exit 3) and changes nothing", () => {
    const s = new Server({ state: "active" });
    const r = s.run(["preflight"]);
    expect(r.status).toBe(3);
    expect(r.output).toMatch(/healthy here \(readyz\/etcd ok\): refusing .* --even-if-healthy/);
    expect(r.calls).not.toMatch(/systemctl (stop|start)|--cluster-reset/);
    expect(s.state).toBe("active");
  });

  it("preflight lets a restore proceed when told explicitly, or when etcd does not answer healthy", () => {
    expect(new Server({ state: "active" }).run(["preflight", "--even-if-healthy"])).toMatchObject({ status: 0 });
    const r = new Server({ state: "active" }).run(["preflight"], { STUB_READYZ_ETCD: "[-]etcd failed: reason withheld" });
    expect(r.status).toBe(0);
    expect(r.output).toContain("a restore may proceed");
    expect(new Server({ state: "inactive", s3: true }).run(["preflight"]).output).toContain("local and S3");
  });

  it("reset refuses while K3s runs, and without a snapshot it can find", () => {
    const running = new Server({ state: "active" });
    const r = running.run(["reset", "etcd-snapshot-bootstrap1-1765000000.zip"]);
    expect(r.status).toBe(1);
    expect(r.output).toContain("still runs here");
    expect(r.calls).not.toContain("--cluster-reset");
    const local = new Server({ state: "inactive" });
    const missing = local.run(["reset", "etcd-snapshot-bootstrap1-1765000000.zip"]);
    expect(missing.status).toBe(1);
    expect(missing.output).toContain("etcd-s3 is off");
    expect(local.run(["reset"]).status).toBe(2);
  });

  it("reset: a local snapshot by name, cluster-reset, K3s started, waits for the API", () => {
    const s = new Server({ state: "inactive" });
    const name = "etcd-snapshot-bootstrap1-1765000000.zip";
    writeFileSync(join(s.root, "var/lib/rancher/k3s/server/db/snapshots", name), "snap");
    const r = s.run(["reset", name]);
    expect(r.status).toBe(0);
    expect(r.calls).toContain(`k3s server --cluster-reset --cluster-reset-restore-path=${join(s.root, "var/lib/rancher/k3s/server/db/snapshots", name)}`);
    const lines = r.calls.split("\n");
    const reset = lines.findIndex((l) => l.includes("--cluster-reset"));
    expect(lines.findIndex((l) => l === "systemctl start --no-block k3s")).toBeGreaterThan(reset);
    expect(r.calls).toContain("--raw=/readyz");
    expect(s.state).toBe("active");
  });

  it("reset with etcd-s3 on: the name is K3s's to download from the bucket; a failed reset fails and K3s stays stopped", () => {
    const s = new Server({ state: "inactive", s3: true });
    expect(s.run(["reset", "etcd-snapshot-master1-1765000000.zip"]).calls).toContain("--cluster-reset-restore-path=etcd-snapshot-master1-1765000000.zip");
    const broken = new Server({ state: "inactive", s3: true });
    const r = broken.run(["reset", "etcd-snapshot-master1-1765000000.zip"], { STUB_RESET_FAILS: "1" });
    expect(r.status).toBe(1);
    expect(r.output).toContain("different token");
    expect(r.calls).not.toContain("systemctl start");
    expect(broken.state).toBe("inactive");
  });

  it("rejoin moves the old etcd data aside (kept) and starts K3s; stop stops it", () => {
    const s = new Server({ state: "active" });
    expect(s.run(["rejoin"]).status).toBe(1);
    expect(s.run(["stop"])).toMatchObject({ status: 0 });
    expect(s.state).toBe("inactive");
    writeFileSync(join(s.root, "var/lib/rancher/k3s/server/db/member-data"), "old");
    const r = s.run(["rejoin"]);
    expect(r.status).toBe(0);
    const server = join(s.root, "var/lib/rancher/k3s/server");
    expect(existsSync(join(server, "db"))).toBe(false);
    const aside = readdirSync(server).filter((d) => d.startsWith("db.before-restore-"));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(server, aside[0], "member-data"), "utf8")).toBe("old");
    expect(s.state).toBe("active");
  });

  it("reset on a first server whose config names a server to join: K3s reads a copy without that line, config.yaml stays", () => {
    const config = "token: t\nnode-name: bootstrap1\nserver: https://10.17.4.10:6443\netcd-s3: true\n";
    const s = new Server({ state: "inactive", config });
    mkdirSync(join(s.root, "etc/rancher/k3s/config.yaml.d"));
    writeFileSync(join(s.root, "etc/rancher/k3s/config.yaml.d/50-flannel-iface.yaml"), "flannel-iface: ens4\n");
    const r = s.run(["reset", "etcd-snapshot-bootstrap1-1765000000.zip"]);
    expect(r.status).toBe(0);
    expect(r.output).toContain("the reset reads a copy without that line");
    const used = /k3s server --config (\S+) --cluster-reset --cluster-reset-restore-path=etcd-snapshot-bootstrap1-1765000000.zip/.exec(r.calls);
    expect(used).not.toBeNull();
    // The token, the node and the S3 keys reach the reset; the server line does not.
    expect(r.calls).toContain("reset config: token: t node-name: bootstrap1 etcd-s3: true ");
    // The copy and its drop-ins are gone; the node's own config is untouched, K3s restarted with it.
    expect(existsSync((used as RegExpExecArray)[1])).toBe(false);
    expect(readFileSync(join(s.root, "etc/rancher/k3s/config.yaml"), "utf8")).toBe(config);
    expect(r.calls).toContain("systemctl start --no-block k3s");
    expect(s.state).toBe("active");
  });

  it("a reset whose token does not decrypt the snapshot names k3sToken", () => {
    const s = new Server({ state: "inactive", s3: true });
    const r = s.run(["reset", "etcd-snapshot-master1-1765000000.zip"], { STUB_RESET_FAILS: "1" });
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/another server token than config.yaml's.*k3sToken/);
  });

  it("preflight --rebuilt-after: a healthy cluster younger than the snapshot is restored, an older one refused", () => {
    const snapshotAt = String(Date.parse("2026-12-01T06:00:00Z") / 1000);
    const rebuilt = new Server({ state: "active" }).run(["preflight", "--rebuilt-after", snapshotAt], { STUB_CREATED: "2026-12-06T18:30:00Z" });
    expect(rebuilt.status).toBe(0);
    expect(rebuilt.output).toContain("created at 2026-12-06T18:30:00Z, after the snapshot (2026-12-01T06:00:00Z): a rebuilt stack");
    const same = new Server({ state: "active" });
    const r = same.run(["preflight", "--rebuilt-after", snapshotAt], { STUB_CREATED: "2026-03-02T10:00:00Z" });
    expect(r.status).toBe(3);
    expect(r.output).toMatch(/before the snapshot .*not a rebuilt stack/);
    expect(r.calls).not.toMatch(/systemctl (stop|start)/);
    expect(new Server({ state: "active" }).run(["preflight", "--rebuilt-after", "soon"]).status).toBe(2);
  });

  it("forget-node-passwords deletes K3s's node-password Secrets of the named nodes only", () => {
    const s = new Server({ state: "active" });
    const r = s.run(["forget-node-passwords", "bootstrap1", "Worker1"]);
    expect(r.status).toBe(0);
    expect(r.calls).toContain("-n kube-system delete secret --ignore-not-found bootstrap1.node-password.k3s worker1.node-password.k3s");
    expect(s.run(["forget-node-passwords", "x;rm"]).status).toBe(2);
    expect(s.run(["forget-node-passwords"]).status).toBe(2);
  });

  it("rejoin --fresh-server moves K3s's whole server directory aside (certificates of the rebuilt cluster included)", () => {
    const s = new Server({ state: "inactive" });
    const server = join(s.root, "var/lib/rancher/k3s/server");
    mkdirSync(join(server, "tls"));
    writeFileSync(join(server, "tls/server-ca.crt"), "rebuilt CA");
    const r = s.run(["rejoin", "--fresh-server"]);
    expect(r.status).toBe(0);
    expect(existsSync(server)).toBe(false);
    const aside = readdirSync(join(s.root, "var/lib/rancher/k3s")).filter((d) => d.startsWith("server.before-restore-"));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(s.root, "var/lib/rancher/k3s", aside[0], "tls/server-ca.crt"), "utf8")).toBe("rebuilt CA");
    expect(s.state).toBe("active");
  });

  it("restart-agent restarts K3s's agent and waits for its node to be Ready", () => {
    const s = new Server({ state: "inactive", config: "token: t\nnode-name: worker1\nserver: https://10.17.3.14:6443\n" });
    const r = s.run(["restart-agent"]);
    expect(r.status).toBe(0);
    expect(r.calls).toContain("systemctl restart --no-block k3s-agent");
    expect(r.calls).toMatch(/kubelet\.kubeconfig --request-timeout=10s get node worker1/);
    expect(r.output).toContain("worker1 is Ready in the restored cluster");
  });
});

// ---- the order across the servers, and npm run restore ----------------------------------------

const NODES: RestoreNode[] = [
  { name: "bootstrap1", ssh: { host: "10.17.3.14", user: "core", proxy: { host: "192.168.0.22", user: "ops" } } },
  { name: "master1", ssh: { host: "10.17.4.10", user: "core", proxy: { host: "192.168.0.22", user: "ops" } } },
  { name: "worker1", ssh: { host: "10.17.4.11", user: "core", proxy: { host: "192.168.0.22", user: "ops" } } },
];

describe("the restore's steps across the servers", () => {
  it("preflight everywhere, stop everywhere (the first server last), reset the first, the others rejoin", () => {
    const steps = planEtcdRestore({ servers: ["bootstrap1", "master1"], nodes: NODES, snapshot: "s.zip", evenIfHealthy: false });
    expect(steps.map((s) => `${s.node} ${s.args.join(" ")}`)).toEqual(["bootstrap1 preflight", "master1 preflight", "master1 stop", "bootstrap1 stop", "bootstrap1 reset s.zip", "master1 rejoin"]);
    expect(sshArgs(steps[0])).toEqual(["-o", "BatchMode=yes", "-J", "ops@192.168.0.22", "core@10.17.3.14", "sudo", "-n", "/bin/bash", "-s", "--", "preflight"]);
    expect(planEtcdRestore({ servers: ["bootstrap1"], nodes: NODES, snapshot: "s.zip", evenIfHealthy: true }).map((s) => s.args.join(" "))).toEqual(["preflight --even-if-healthy", "stop", "reset s.zip"]);
  });

  it("onto a rebuilt stack: the snapshot's time guards the preflight, node passwords go, the servers rejoin fresh, the agents restart", () => {
    const snapshot = "etcd-snapshot-bootstrap1-1764568800.zip";
    const steps = planEtcdRestore({ servers: ["bootstrap1", "master1"], agents: ["worker1"], nodes: NODES, snapshot, evenIfHealthy: false, rebuilt: true });
    expect(steps.map((s) => `${s.node} ${s.args.join(" ")}`)).toEqual([
      "bootstrap1 preflight --rebuilt-after 1764568800",
      "master1 preflight --rebuilt-after 1764568800",
      "master1 stop",
      "bootstrap1 stop",
      `bootstrap1 reset ${snapshot}`,
      "bootstrap1 forget-node-passwords bootstrap1 master1 worker1",
      "master1 rejoin --fresh-server",
      "worker1 restart-agent",
    ]);
    expect(snapshotTime("/var/lib/rancher/k3s/server/db/snapshots/on-demand-master1-1764568800")).toBe(1764568800);
    expect(() => planEtcdRestore({ servers: ["bootstrap1"], nodes: NODES, snapshot: "before-upgrade.db", evenIfHealthy: false, rebuilt: true })).toThrow(/does not end in K3s's snapshot time/);
    // Told explicitly, the time is not needed.
    expect(planEtcdRestore({ servers: ["bootstrap1"], nodes: NODES, snapshot: "before-upgrade.db", evenIfHealthy: true, rebuilt: true })[0].args).toEqual(["preflight", "--even-if-healthy"]);
  });

  it("refuses a snapshot name that could be shell or a path escape, and unknown servers", () => {
    expect(() => planEtcdRestore({ servers: ["bootstrap1"], nodes: NODES, snapshot: "s.zip; rm -rf /", evenIfHealthy: false })).toThrow(/not a snapshot name/);
    expect(() => planEtcdRestore({ servers: ["bootstrap1"], nodes: NODES, snapshot: "../../etc/shadow", evenIfHealthy: false })).toThrow(/not a snapshot name/);
    expect(() => planEtcdRestore({ servers: ["master9"], nodes: NODES, snapshot: "s.zip", evenIfHealthy: false })).toThrow(/master9/);
  });

  describe("npm run restore -- etcd (stub pulumi and ssh)", () => {
    const dir = mkdtempSync(join(tmpdir(), "fmc-restore-cli-"));
    const log = join(dir, "ssh.log");
    const stub = (name: string, body: string) => {
      writeFileSync(join(dir, name), body);
      chmodSync(join(dir, name), 0o755);
    };
    stub(
      "pulumi",
      `#!/bin/bash
case "$*" in
  *k3sNodes) echo '{"servers":["bootstrap1","master1"],"agents":["worker1"],"storage":[]}' ;;
  *nodes) echo '${JSON.stringify(NODES)}' ;;
esac
`,
    );
    // The step is the last argument; STUB_HEALTHY_ON names the server whose preflight refuses.
    stub(
      "ssh",
      `#!/bin/bash
script=$(cat)
# Which script came on stdin: the etcd steps' or (rebuilt stacks) the Ceph steps'.
if grep -q 'restore-ceph:' <<<"$script"; then which=ceph; elif grep -q 'cluster-reset' <<<"$script"; then which=""; else exit 9; fi
host=""; prev=""; rest=()
while [ $# -gt 0 ]; do
  if [ "$1" = -- ]; then shift; rest=("$@"); break; fi
  [[ "$1" == *@* && "$prev" != -J ]] && host=$1
  prev=$1; shift
done
echo "$host \${which:+$which }\${rest[*]}" >>"${log}"
[ "\${rest[0]}" = preflight ] && [ "$host" = "core@$STUB_HEALTHY_ON" ] && exit 3
[ "\${rest[0]}" = "$STUB_FAILS" ] && exit 1
exit 0
`,
    );
    const restore = (args: string[], env: Record<string, string> = {}) => {
      writeFileSync(log, "");
      const r = spawnSync(process.execPath, [join(__dirname, "..", "scripts", "restore.js"), "etcd", ...args], {
        encoding: "utf8",
        env: { ...process.env, PULUMI: join(dir, "pulumi"), SSH: join(dir, "ssh"), STUB_HEALTHY_ON: "nobody", STUB_FAILS: "none", ...env },
        timeout: 60_000,
      });
      return { status: r.status, output: `${r.stdout}${r.stderr}`, calls: readFileSync(log, "utf8").trim().split("\n").filter(Boolean) };
    };

    it("a healthy server stops the restore at its preflight: nothing is stopped", () => {
      const r = restore(["--snapshot", "s.zip"], { STUB_HEALTHY_ON: "10.17.4.10" });
      expect(r.status).toBe(3);
      expect(r.calls).toEqual(["core@10.17.3.14 preflight", "core@10.17.4.10 preflight"]);
      expect(r.output).toContain("master1: preflight refused");
    });

    it("a broken cluster is restored in order, the script on ssh's stdin", () => {
      const r = restore(["--snapshot", "s.zip", "--stack", "prod"]);
      expect(r.status).toBe(0);
      expect(r.calls).toEqual(["core@10.17.3.14 preflight", "core@10.17.4.10 preflight", "core@10.17.4.10 stop", "core@10.17.3.14 stop", "core@10.17.3.14 reset s.zip", "core@10.17.4.10 rejoin"]);
    });

    it("--rebuilt: every server, then the agents, the live Ceph cluster carried over on the first server; says how to read the restored cluster's kubeconfig", () => {
      const r = restore(["--snapshot", "etcd-snapshot-bootstrap1-1764568800.zip", "--rebuilt"]);
      expect(r.status).toBe(0);
      expect(r.calls).toEqual([
        "core@10.17.3.14 preflight --rebuilt-after 1764568800",
        "core@10.17.4.10 preflight --rebuilt-after 1764568800",
        "core@10.17.3.14 ceph capture --created-after 1764568800",
        "core@10.17.4.10 stop",
        "core@10.17.3.14 stop",
        "core@10.17.3.14 reset etcd-snapshot-bootstrap1-1764568800.zip",
        "core@10.17.3.14 forget-node-passwords bootstrap1 master1 worker1",
        "core@10.17.3.14 ceph hold",
        "core@10.17.4.10 rejoin --fresh-server",
        "core@10.17.4.11 restart-agent",
        "core@10.17.3.14 ceph resume",
        "core@10.17.3.14 ceph claims kafka redis monitoring mosquitto",
      ]);
      expect(r.output).toContain("pulumi up --replace");
      expect(r.output).toContain("::cluster-kubeconfig");
      expect(r.output).toContain("delete /var/lib/flatcarmicrocloud/restore-ceph on bootstrap1");
    });

    it("--rebuilt: a step after the reset that fails says how to run the rest; --from runs only steps after the reset", () => {
      const failed = restore(["--snapshot", "etcd-snapshot-bootstrap1-1764568800.zip", "--rebuilt"], { STUB_FAILS: "resume" });
      expect(failed.status).toBe(1);
      expect(failed.output).toContain("run the rest with the same command and --from 11");
      const rest = restore(["--snapshot", "etcd-snapshot-bootstrap1-1764568800.zip", "--rebuilt", "--from", "11"]);
      expect(rest.status).toBe(0);
      expect(rest.calls).toEqual(["core@10.17.3.14 ceph resume", "core@10.17.3.14 ceph claims kafka redis monitoring mosquitto"]);
      // Never a step the preflight guards.
      const early = restore(["--snapshot", "etcd-snapshot-bootstrap1-1764568800.zip", "--rebuilt", "--from", "6"]);
      expect(early.status).toBe(2);
      expect(early.output).toContain("--from takes a step after the reset (7 to 12)");
      expect(early.calls).toEqual([]);
    });

    it("needs a snapshot and the kind, and onto a rebuilt stack the snapshot's time", () => {
      expect(restore([]).status).toBe(2);
      const untimed = restore(["--snapshot", "before-upgrade.db", "--rebuilt", "--even-if-healthy"]);
      expect(untimed.status).toBe(2);
      expect(untimed.output).toContain("does not end in K3s's snapshot time");
      expect(untimed.calls).toEqual([]);
      const r = spawnSync(process.execPath, [join(__dirname, "..", "scripts", "restore.js"), "volumes"], { encoding: "utf8" });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('unknown kind "volumes"');
    });
  });
});

describe("the etcd drill's comparison (bench/drill-etcd.js)", () => {
  // The drill itself runs in .ci/run where the lab toolchain is built (npm run drill:etcd).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { diffObjects } = require(join(__dirname, "..", "bench", "drill-etcd.js")) as { diffObjects: (a: Record<string, string>, b: Record<string, string>) => string[] };

  it("names every object the restore lost, changed or invented", () => {
    expect(diffObjects({ a: "1", b: "2" }, { a: "1", b: "2" })).toEqual([]);
    expect(diffObjects({ a: "1", b: "2", c: "3" }, { a: "1", b: "9", d: "4" })).toEqual(["changed b", "missing c", "unexpected d"]);
  });
});
