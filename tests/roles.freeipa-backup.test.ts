/**
 * FreeIPA backups (infra/roles/freeipa-backup.ts) and the backup metric every Rocky VM's backup
 * writes (infra/roles/backup-metrics.ts): the rendered files (shellcheck, systemd's calendar), then
 * the scripts themselves in a scratch root with stand-ins only for what this machine is not (a
 * FreeIPA server, systemd, firewalld, an S3 bucket: rclone is a stand-in that keeps objects in a
 * directory), with the real gpg and tar: a backup is encrypted before it leaves, comes back with
 * the restore helper byte for byte, retention deletes only this job's old objects, the credentials
 * land in 0600 files and in no output, and backups off removes them and leaves the bucket alone.
 */
import { spawnSync } from "child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parseBackupSettings, RawBackupConfig } from "../config/backup";
import { BACKUP_SUCCESS_METRIC, METRIC_WRITER, renderExporterUnit, vmExporter } from "../infra/roles/backup-metrics";
import {
  FREEIPA_BACKUP_FILES,
  freeipaBackupScript,
  freeipaRemotePath,
  freeipaRestoreScript,
  IPA_BACKUP_DIR,
  renderFreeipaBackupEnv,
  renderFreeipaBackupsScript,
  renderFreeipaBackupUnits,
  renderRcloneConf,
} from "../infra/roles/freeipa-backup";
import { loadScript } from "../infra/roles/shell";
import { hasCommand, prodTopology, shellcheck, vm } from "./roles.helpers";

const SECRETS = {
  backupS3AccessKeyId: { value: "AKIAIPATEST", secret: true },
  backupS3SecretAccessKey: { value: "ipa-secret-key-value", secret: true },
  backupPassphrase: { value: "ipa test passphrase long enough", secret: true },
};
const TARGET: RawBackupConfig = { backupS3Endpoint: "https://nas.example.net:9000", backupS3Bucket: "fmc-backups", backupFreeipaSchedule: "su 04:00", backupFreeipaRetentionDays: 10 };
const on = parseBackupSettings(TARGET, SECRETS, "prod");
const off = parseBackupSettings({}, {}, "prod");
const topology = prodTopology();
const EXPORTER = vmExporter(vm(topology, "freeipa1"), topology);
const STDIN = `${SECRETS.backupS3AccessKeyId.value}\n${SECRETS.backupS3SecretAccessKey.value}\n${SECRETS.backupPassphrase.value}\n`;

describe("rendered files", () => {
  it("rclone.conf: the target, path style, no bucket creation, no secret", () => {
    if (!on.target) throw new Error("no target");
    const conf = renderRcloneConf(on.target);
    for (const line of ["[fmc-target]", "type = s3", "endpoint = https://nas.example.net:9000", "region = us-east-1", "force_path_style = true", "no_check_bucket = true"]) {
      expect(conf.split("\n")).toContain(line);
    }
    expect(conf).not.toMatch(/access_key|secret/);
    expect(freeipaRemotePath(on.target, "freeipa1")).toBe("fmc-backups/flatcarmicrocloud/prod/freeipa/freeipa1");
    expect(renderFreeipaBackupEnv(on.target, on, "freeipa1")).toContain("REMOTE='fmc-target:fmc-backups/flatcarmicrocloud/prod/freeipa/freeipa1'\nRETENTION_DAYS='10'\n");
  });

  it("the timer follows backupFreeipaSchedule; the service records its end for Prometheus", () => {
    const units = renderFreeipaBackupUnits(on);
    expect(units.timer).toContain("OnCalendar=Sun *-*-* 04:00:00 UTC\n");
    expect(units.timer).toContain("Persistent=true\n");
    expect(units.service).toContain(`ExecStart=${FREEIPA_BACKUP_FILES.backupScript}\nExecStopPost=+${METRIC_WRITER} freeipa\n`);
  });

  (hasCommand("systemd-analyze") ? it : it.skip)("systemd accepts the timer's calendar event", () => {
    const event = /OnCalendar=(.*)/.exec(renderFreeipaBackupUnits(on).timer)?.[1] ?? "";
    const r = spawnSync("systemd-analyze", ["calendar", event], { encoding: "utf8" });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
  });

  it("the exporter listens on the VM's cluster-network address only; the port is for the node networks", () => {
    expect(EXPORTER).toEqual({ vm: "freeipa1", address: "10.17.4.11", sources: ["10.17.4.0/24"] });
    expect(renderExporterUnit(EXPORTER)).toContain("--web.listen-address=10.17.4.11:9100 --collector.textfile.directory=/var/lib/flatcarmicrocloud/metrics\n");
  });

  it("every script passes shellcheck, backups on and off; no secret is in the command's script", () => {
    for (const settings of [on, off]) expect(shellcheck(renderFreeipaBackupsScript("freeipa1", settings, EXPORTER))).toBe("");
    for (const script of [freeipaBackupScript(), freeipaRestoreScript(), loadScript("backup-metric.sh")]) expect(shellcheck(script)).toBe("");
    const script = renderFreeipaBackupsScript("freeipa1", on, EXPORTER);
    for (const s of Object.values(SECRETS)) expect(script).not.toContain(s.value);
    expect(script).toContain("BACKUPS_ON=1");
  });
});

/** A scratch root with stand-ins for the VM's tools; the real bash, gpg, tar, date. */
class Scratch {
  readonly root = mkdtempSync(path.join(tmpdir(), "fmc-ipa-backup-"));
  readonly bin = this.at("/stub-bin");
  readonly bucket = this.at("/bucket");
  readonly calls = this.at("/calls.log");

  constructor() {
    mkdirSync(this.bin, { recursive: true });
    mkdirSync(this.bucket, { recursive: true });
    mkdirSync(this.at(IPA_BACKUP_DIR), { recursive: true });
    writeFileSync(this.calls, "");
    // ipa-backup: a new ipa-full-<UTC time> directory with a file, as the real one writes it.
    this.stub("ipa-backup", [
      `echo "ipa-backup $*" >>${this.calls}`,
      '[ -z "${IPA_BACKUP_FAIL:-}" ] || exit 1',
      `d=${this.at(IPA_BACKUP_DIR)}/ipa-full-$(date -u +%Y-%m-%d-%H-%M-%S)`,
      'mkdir -p "$d/ipa" && echo "header of the test server" >"$d/header" && head -c 4096 /dev/urandom >"$d/ipa/files.tar"',
    ]);
    this.stub("ipactl", [`echo "ipactl $*" >>${this.calls}`, "exit 0"]);
    // rclone: `fmc-target:<path>` is a directory below the bucket; the commands the scripts use.
    this.stub("rclone", [
      `echo "rclone $*" >>${this.calls}`,
      "args=()",
      'while [ $# -gt 0 ]; do case "$1" in --config|--ca-cert) shift 2 ;; --files-only) shift ;; *) args+=("$1"); shift ;; esac; done',
      `loc() { echo "${this.bucket}/\${1#fmc-target:}"; }`,
      'case "${args[0]}" in',
      '  copyto) if [[ "${args[1]}" == fmc-target:* ]]; then cp "$(loc "${args[1]}")" "${args[2]}"; else mkdir -p "$(dirname "$(loc "${args[2]}")")"; cp "${args[1]}" "$(loc "${args[2]}")"; fi ;;',
      '  lsf) d=$(loc "${args[1]}"); [ -d "$d" ] || exit 3; ls -1 "$d" ;;',
      '  deletefile) rm "$(loc "${args[1]}")" ;;',
      '  *) echo "rclone stand-in: ${args[0]} not expected" >&2; exit 1 ;;',
      "esac",
    ]);
  }

  at(p: string): string {
    return path.join(this.root, p);
  }

  stub(name: string, lines: string[]): void {
    writeFileSync(path.join(this.bin, name), `#!/bin/bash\nset -euo pipefail\n${lines.join("\n")}\n`);
    chmodSync(path.join(this.bin, name), 0o755);
  }

  /** The VM's paths moved into the scratch root. */
  localize(text: string): string {
    let out = text;
    for (const p of ["/etc/flatcarmicrocloud", IPA_BACKUP_DIR, "/var/lib/flatcarmicrocloud", "/usr/local/sbin", "/etc/systemd/system"]) out = out.split(p).join(this.at(p));
    return out;
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { PATH: `${this.bin}:${process.env.PATH}`, HOME: this.root, TMPDIR: this.root, FMC_ROOT: this.root, ...extra };
  }

  run(file: string, args: string[], extra: Record<string, string> = {}, input = ""): { status: number | null; output: string } {
    const r = spawnSync("bash", [file, ...args], { env: this.env(extra), input, encoding: "utf8", timeout: 60_000 });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  }

  objects(): string[] {
    const dir = path.join(this.bucket, "fmc-backups/flatcarmicrocloud/prod/freeipa/freeipa1");
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

const needs = hasCommand("gpg") && hasCommand("gpgconf") && hasCommand("tar") && process.getuid?.() === 0;

(needs ? describe : describe.skip)("fmc-freeipa-backup and fmc-freeipa-restore (scratch root, real gpg)", () => {
  let s: Scratch;
  let envFile: string;
  beforeAll(() => {
    s = new Scratch();
    if (!on.target) throw new Error("no target");
    mkdirSync(s.at("/etc/flatcarmicrocloud/freeipa-backup"), { recursive: true });
    envFile = s.at(FREEIPA_BACKUP_FILES.env);
    writeFileSync(envFile, s.localize(renderFreeipaBackupEnv(on.target, on, "freeipa1")));
    writeFileSync(s.at(FREEIPA_BACKUP_FILES.passphrase), `${SECRETS.backupPassphrase.value}\n`, { mode: 0o600 });
    writeFileSync(s.at(FREEIPA_BACKUP_FILES.rcloneConfig), "[fmc-target]\n", { mode: 0o600 });
    mkdirSync(s.at("/usr/local/sbin"), { recursive: true });
    writeFileSync(s.at(FREEIPA_BACKUP_FILES.backupScript), freeipaBackupScript(), { mode: 0o755 });
    writeFileSync(s.at(FREEIPA_BACKUP_FILES.restoreScript), freeipaRestoreScript(), { mode: 0o755 });
    // Objects already in the prefix: one of this job's older than the retention (10 days), one of
    // its own within it, and one it did not write (a name of another pattern).
    const prefix = path.join(s.bucket, "fmc-backups/flatcarmicrocloud/prod/freeipa/freeipa1");
    mkdirSync(prefix, { recursive: true });
    const old = new Date(Date.now() - 11 * 86_400_000).toISOString().replace(/T/, "-").replace(/:/g, "-").slice(0, 19);
    const recent = new Date(Date.now() - 2 * 86_400_000).toISOString().replace(/T/, "-").replace(/:/g, "-").slice(0, 19);
    for (const name of [`ipa-full-${old}.tar.gpg`, `ipa-full-${recent}.tar.gpg`, "ipa-full-notes.txt", "someone-elses.tar.gpg"]) writeFileSync(path.join(prefix, name), "x");
  });
  afterAll(() => s?.cleanup());

  const backup = (extra: Record<string, string> = {}) => s.run(s.at("/usr/local/sbin/fmc-freeipa-backup"), [], { FMC_FREEIPA_BACKUP_ENV: envFile, ...extra });
  const restore = (...args: string[]) => s.run(s.at("/usr/local/sbin/fmc-freeipa-restore"), args, { FMC_FREEIPA_BACKUP_ENV: envFile });

  let uploaded = "";
  it("a run: full ipa-backup, encrypted, uploaded; retention deletes only this job's old objects; no plain copy stays", () => {
    const before = s.objects();
    const r = backup();
    expect(r).toMatchObject({ status: 0 });
    const added = s.objects().filter((o) => !before.includes(o));
    expect(added).toHaveLength(1);
    uploaded = added[0];
    expect(uploaded).toMatch(/^ipa-full-\d{4}(-\d{2}){5}\.tar\.gpg$/);
    const calls = readFileSync(s.calls, "utf8");
    // A full backup (no --data, so no --online: the CA's keys are in it).
    expect(calls).toMatch(/^ipa-backup $/m);
    const cipher = readFileSync(path.join(s.bucket, "fmc-backups/flatcarmicrocloud/prod/freeipa/freeipa1", uploaded));
    expect(cipher.includes(Buffer.from("header of the test server"))).toBe(false);
    // An OpenPGP packet stream (a symmetric-key session key packet first), not a tar archive.
    expect(cipher[0] & 0x80).toBe(0x80);
    expect(cipher.subarray(257, 262).toString()).not.toBe("ustar");
    // Retention: the 11-day-old object of this job is gone; the 2-day-old one, the foreign names stay.
    const after = s.objects();
    expect(after.filter((o) => o.startsWith("ipa-full-") && o.endsWith(".tar.gpg"))).toHaveLength(2);
    expect(after).toEqual(expect.arrayContaining(["ipa-full-notes.txt", "someone-elses.tar.gpg", uploaded]));
    expect(readdirSync(s.at(IPA_BACKUP_DIR))).toEqual([]);
    expect(r.output).not.toContain(SECRETS.backupPassphrase.value);
  });

  it("the restore helper lists, fetches and decrypts the newest backup into ipa-backup's directory, refusing to overwrite", () => {
    const list = restore("--list");
    expect(list.status).toBe(0);
    expect(list.output.trim().split("\n").pop()).toBe(uploaded.replace(/\.tar\.gpg$/, ""));
    const r = restore("--fetch-latest");
    expect(r).toMatchObject({ status: 0 });
    const name = uploaded.replace(/\.tar\.gpg$/, "");
    expect(readFileSync(s.at(`${IPA_BACKUP_DIR}/${name}/header`), "utf8")).toBe("header of the test server\n");
    expect(statSync(s.at(`${IPA_BACKUP_DIR}/${name}/ipa/files.tar`)).size).toBe(4096);
    expect(r.output).toContain(`next: ipa-restore ${s.at(IPA_BACKUP_DIR)}/${name}`);
    expect(restore("--fetch", name)).toMatchObject({ status: 1, output: expect.stringContaining("exists already") });
    expect(restore("--fetch", "../../etc/passwd")).toMatchObject({ status: 1, output: expect.stringContaining("is not a backup name") });
    rmSync(s.at(`${IPA_BACKUP_DIR}/${name}`), { recursive: true });
  });

  it("a wrong passphrase decrypts nothing and leaves nothing behind", () => {
    const good = readFileSync(s.at(FREEIPA_BACKUP_FILES.passphrase));
    writeFileSync(s.at(FREEIPA_BACKUP_FILES.passphrase), "another passphrase entirely\n");
    try {
      expect(restore("--fetch-latest")).toMatchObject({ status: 1, output: expect.stringContaining("decryption failed") });
      expect(readdirSync(s.at(IPA_BACKUP_DIR))).toEqual([]);
    } finally {
      writeFileSync(s.at(FREEIPA_BACKUP_FILES.passphrase), good);
    }
  });

  it("a failed ipa-backup fails the run, uploads nothing and restarts IPA's services when they are down", () => {
    s.stub("ipactl", [`echo "ipactl $*" >>${s.calls}`, '[ "$1" != status ]']);
    const before = s.objects();
    const r = backup({ IPA_BACKUP_FAIL: "1" });
    expect(r.status).toBe(1);
    expect(r.output).toContain("ipa-backup failed");
    expect(s.objects()).toEqual(before);
    expect(readFileSync(s.calls, "utf8")).toMatch(/^ipactl start$/m);
  });

  it("fmc-backup-metric keeps the last success and the last failure side by side", () => {
    const dir = s.at("/metrics");
    mkdirSync(dir, { recursive: true });
    const writer = s.at("/fmc-backup-metric");
    writeFileSync(writer, loadScript("backup-metric.sh"), { mode: 0o755 });
    expect(s.run(writer, ["freeipa"], { FMC_METRICS_DIR: dir, SERVICE_RESULT: "success" }).status).toBe(0);
    const first = readFileSync(path.join(dir, "fmc_backup_freeipa.prom"), "utf8");
    const success = Number(new RegExp(`^${BACKUP_SUCCESS_METRIC}\\{kind="freeipa"\\} (\\d+)$`, "m").exec(first)?.[1]);
    expect(Math.abs(success - Date.now() / 1000)).toBeLessThan(60);
    expect(first).not.toContain("failure");
    expect(s.run(writer, ["freeipa"], { FMC_METRICS_DIR: dir, SERVICE_RESULT: "exit-code" }).status).toBe(0);
    const second = readFileSync(path.join(dir, "fmc_backup_freeipa.prom"), "utf8");
    expect(second).toContain(`${BACKUP_SUCCESS_METRIC}{kind="freeipa"} ${success}\n`);
    expect(second).toMatch(/^fmc_backup_last_failure_timestamp_seconds\{kind="freeipa"\} \d+$/m);
    expect(readdirSync(dir)).toEqual(["fmc_backup_freeipa.prom"]);
    expect(s.run(writer, ["../x"], { FMC_METRICS_DIR: dir }).status).toBe(2);
  });
});

(process.getuid?.() === 0 ? describe : describe.skip)("the backups command on the VM (scratch root, stand-ins)", () => {
  let s: Scratch;
  const firewall = () => readFileSync(s.at("/firewall.rules"), "utf8");
  beforeAll(() => {
    s = new Scratch();
    mkdirSync(s.at("/proc/sys/kernel"), { recursive: true });
    writeFileSync(s.at("/proc/sys/kernel/hostname"), "freeipa1.example.internal\n");
    mkdirSync(s.at("/var/lib/flatcarmicrocloud"), { recursive: true });
    writeFileSync(s.at("/var/lib/flatcarmicrocloud/first-boot.done"), "");
    mkdirSync(s.at("/etc/ipa"), { recursive: true });
    writeFileSync(s.at("/etc/ipa/default.conf"), "");
    writeFileSync(s.at("/firewall.rules"), "");
    s.stub("cloud-init", ["exit 0"]);
    s.stub("rpm", [`echo "rpm $*" >>${s.calls}`, "exit 0"]);
    s.stub("dnf", [`echo "dnf $*" >>${s.calls}`, "exit 1"]);
    s.stub("systemctl", [`echo "systemctl $*" >>${s.calls}`, "exit 0"]);
    // firewalld's permanent rich rules, kept in a file.
    s.stub("firewall-cmd", [
      `rules=${s.at("/firewall.rules")}`,
      `echo "firewall-cmd $*" >>${s.calls}`,
      "for a in \"$@\"; do case \"$a\" in",
      '  --list-rich-rules) cat "$rules" ;;',
      '  --query-rich-rule=*) grep -qxF "${a#*=}" "$rules"; exit ;;',
      '  --add-rich-rule=*) echo "${a#*=}" >>"$rules" ;;',
      '  --remove-rich-rule=*) grep -vxF "${a#*=}" "$rules" >"$rules.new" || true; mv "$rules.new" "$rules" ;;',
      "esac; done",
    ]);
  });
  afterAll(() => s?.cleanup());

  const command = (settings: typeof on, input: string) => {
    const file = s.at("/backups-command.sh");
    // (The script puts FMC_ROOT in front of every VM path itself.)
    writeFileSync(file, renderFreeipaBackupsScript("freeipa1", settings, EXPORTER));
    return s.run(file, [], {}, input);
  };

  it("backups on: credentials and passphrase in 0600 files only, the timer and exporter on, the port for the node network", () => {
    const r = command(on, STDIN);
    expect(r).toMatchObject({ status: 0 });
    for (const secret of Object.values(SECRETS)) expect(r.output).not.toContain(secret.value);
    const mode = (p: string) => (statSync(s.at(p)).mode & 0o777).toString(8);
    expect(mode(FREEIPA_BACKUP_FILES.rcloneConfig)).toBe("600");
    expect(mode(FREEIPA_BACKUP_FILES.passphrase)).toBe("600");
    expect(mode("/etc/flatcarmicrocloud/freeipa-backup")).toBe("700");
    expect(readFileSync(s.at(FREEIPA_BACKUP_FILES.rcloneConfig), "utf8")).toContain("access_key_id = AKIAIPATEST\nsecret_access_key = ipa-secret-key-value\n");
    expect(readFileSync(s.at(FREEIPA_BACKUP_FILES.passphrase), "utf8")).toBe(`${SECRETS.backupPassphrase.value}\n`);
    const calls = readFileSync(s.calls, "utf8");
    expect(calls).toContain("systemctl enable --now fmc-freeipa-backup.timer");
    expect(calls).toContain("systemctl enable fmc-node-exporter.service");
    // The target was listed with these settings; no backup was started by the deploy.
    expect(calls).toMatch(/^rclone .*lsf .*fmc-target:fmc-backups\/flatcarmicrocloud\/prod\/freeipa\/freeipa1\/$/m);
    expect(calls).not.toContain("fmc-freeipa-backup.service");
    expect(firewall()).toBe('rule family="ipv4" source address="10.17.4.0/24" port port="9100" protocol="tcp" accept\n');
    expect(existsSync(s.at(METRIC_WRITER))).toBe(true);
  });

  it("a second run with the same settings changes nothing", () => {
    const r = command(on, STDIN);
    expect(r).toMatchObject({ status: 0 });
    expect(r.output).toContain("backups on: 0 changes (none)");
  });

  it("without the three stdin lines it stops before writing anything", () => {
    expect(command(on, "only-one-line\n")).toMatchObject({ status: 1, output: expect.stringContaining("expected three lines on stdin") });
  });

  it("backups off: credentials, units, exporter and its firewall hole leave the VM; the bucket is not touched", () => {
    writeFileSync(s.calls, "");
    const r = command(off, "");
    expect(r).toMatchObject({ status: 0 });
    for (const p of Object.values(FREEIPA_BACKUP_FILES)) expect(existsSync(s.at(p))).toBe(false);
    expect(existsSync(s.at(METRIC_WRITER))).toBe(false);
    expect(firewall()).toBe("");
    const calls = readFileSync(s.calls, "utf8");
    expect(calls).toContain("systemctl disable --now fmc-freeipa-backup.timer");
    expect(calls).not.toMatch(/^rclone/m);
  });
});
