/**
 * The PostgreSQL restore drill with real tools on this machine (issue 18 item 7): a real PostgreSQL
 * (Debian's), real pgBackRest (Debian's `pgbackrest`), and a real S3-compatible server on 127.0.0.1
 * (moto's server, PyPI `moto[server]`, pinned in .ci/run) behind TLS (HAProxy terminates it) with a
 * throw-away CA that the target's CA option names. The role's own scripts do the work, rendered for the VM and pointed at a
 * scratch directory: the backups command (infra/roles/scripts/postgresql-backups.sh, with stand-ins
 * only for systemctl, cloud-init and rpm) configures pgBackRest and WAL archiving; the full backup
 * runs the timer unit's command; `fmc-postgresql-pitr` restores.
 *
 * backup -> rows -> a noted time -> more rows -> data directory destroyed -> restore to that time ->
 * rows compared, the restore timed (RTO). Used by tests/roles.pgbackrest-live.test.ts (small data)
 * and by `npm run drill:postgresql` (bench/drill-postgresql.js, a stated data size, figures printed).
 */
import { execFileSync, spawnSync } from "child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { BackupSettings, parseBackupSettings } from "../config/backup";
import { VmExporter } from "../infra/roles/backup-metrics";
import { backupCommand, PG_DATA, PGBACKREST_CONFIG, renderPostgresqlBackupsScript } from "../infra/roles/pgbackrest";
import { S3StandIn, s3StandInToolsMissing } from "./s3-standin";

export const DRILL_SECRETS = { accessKeyId: "AKIAFMCDRILL", secretAccessKey: "drill-secret-key-0123456789", passphrase: "drill passphrase for the restore test 42" };
export const DRILL_BUCKET = "fmc-drill";
/** The metrics exporter's settings in the drill (systemd and firewalld are stand-ins here). */
export const DRILL_EXPORTER: VmExporter = { vm: "postgresql1", address: "127.0.0.1", sources: ["127.0.0.0/8"] };

export interface DrillOptions {
  /** Rows of ~100 bytes written before the backup (the data size). */
  rows: number;
  log?: (line: string) => void;
}

const PG_BIN = (() => {
  const found = spawnSync("sh", ["-c", "ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1"], { encoding: "utf8" }).stdout.trim();
  return found || "/usr/lib/postgresql/15/bin";
})();
export function drillToolsMissing(): string[] {
  const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root");
  if (spawnSync("id", ["-u", "postgres"]).status !== 0) missing.push("the postgres user");
  if (!existsSync(path.join(PG_BIN, "initdb"))) missing.push("PostgreSQL server (initdb)");
  for (const cmd of ["pgbackrest", "runuser"]) if (!has(cmd)) missing.push(cmd);
  return [...missing, ...s3StandInToolsMissing()];
}

/** A throw-away scratch machine: CA, S3 server, PostgreSQL, stand-in commands. */
export class Drill {
  readonly root = mkdtempSync(path.join(tmpdir(), "fmc-pgdrill-"));
  readonly sock = path.join(this.root, "run");
  readonly data = path.join(this.root, "var/lib/pgsql/data");
  readonly pgPort = String(21000 + (process.pid % 9000));
  readonly s3Port = String(31000 + (process.pid % 9000));
  readonly stubs = path.join(this.root, "stubs");
  readonly systemctlLog = path.join(this.root, "systemctl.log");
  readonly s3 = new S3StandIn(this.at("tls"), Number(this.s3Port), DRILL_BUCKET);
  readonly log: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;

  constructor(options: { log?: (line: string) => void } = {}) {
    this.log = options.log ?? (() => undefined);
    this.env = { ...process.env, PGHOST: this.sock, PGPORT: this.pgPort, PATH: `${this.stubs}:${PG_BIN}:${process.env.PATH ?? ""}` };
  }

  /** Where a path of the VM lives in the scratch root. */
  at(vmPath: string): string {
    return path.join(this.root, vmPath);
  }

  private run(cmd: string, args: string[], input = ""): string {
    return execFileSync(cmd, args, { env: this.env, input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], timeout: 300_000 });
  }

  asPostgres(cmd: string, args: string[], input = ""): string {
    return this.run("runuser", ["-u", "postgres", "--", cmd, ...args], input);
  }

  sql(query: string, db = "postgres"): string {
    return this.asPostgres("psql", ["-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", query]).trim();
  }

  private pgCtlOptions(): string {
    return `-c listen_addresses='' -c unix_socket_directories='${this.sock}' -p ${this.pgPort}`;
  }

  pgCtl(action: "start" | "stop" | "restart", mode = "fast"): void {
    this.run("runuser", ["-u", "postgres", "--", "pg_ctl", "-D", this.data, "-l", path.join(this.sock, "server.log"), "-s", "-w", "-t", "120", "-m", mode, "-o", this.pgCtlOptions(), action]);
  }

  /** CA, server certificate, S3 server with the bucket, an empty PostgreSQL, stand-ins. */
  start(): void {
    chmodSync(this.root, 0o755);
    mkdirSync(this.sock, { recursive: true });
    chownSync(this.sock, uid("postgres"), gid("postgres"));
    mkdirSync(this.stubs, { recursive: true });
    this.s3.start();

    mkdirSync(path.dirname(this.data), { recursive: true });
    for (const dir of ["var", "var/lib", "var/lib/pgsql"]) chmodSync(this.at(dir), 0o755);
    chownSync(this.at("var/lib/pgsql"), uid("postgres"), gid("postgres"));
    this.asPostgres("initdb", ["-D", this.data, "-A", "peer", "-U", "postgres"]);
    // What fmc-postgresql-setup leaves: the role's settings in conf.d.
    writeFileSync(path.join(this.data, "postgresql.conf"), `${readFileSync(path.join(this.data, "postgresql.conf"), "utf8")}\ninclude_dir = 'conf.d'\n`);
    mkdirSync(path.join(this.data, "conf.d"));
    chownSync(path.join(this.data, "conf.d"), uid("postgres"), gid("postgres"));
    this.pgCtl("start");

    // Stand-ins for what this machine is not (a Rocky VM under systemd); everything else is real.
    const stub = (name: string, body: string) => {
      writeFileSync(path.join(this.stubs, name), `#!/bin/bash\n${body}\n`);
      chmodSync(path.join(this.stubs, name), 0o755);
    };
    stub("cloud-init", "exit 0");
    // firewalld (the metrics exporter's port): no rule listed, every query answers "present".
    stub("firewall-cmd", "exit 0");
    // What a VM whose first boot finished has (fmc-first-boot's record).
    mkdirSync(this.at("/var/lib/flatcarmicrocloud"), { recursive: true });
    writeFileSync(this.at("/var/lib/flatcarmicrocloud/first-boot.done"), "");
    stub("dnf", 'echo "dnf $* (not expected in the drill)" >&2; exit 1');
    stub("rpm", `case "$*" in *--qf*) pgbackrest version | sed 's/^pgBackRest //' | tr -d '\\n' ;; *) exit 0 ;; esac`);
    stub(
      "systemctl",
      [
        `echo "$*" >>${this.systemctlLog}`,
        'case "$*" in',
        `  "restart postgresql") exec runuser -u postgres -- pg_ctl -D ${this.data} -l ${path.join(this.sock, "server.log")} -s -w -t 120 -m fast -o "${this.pgCtlOptions()}" restart ;;`,
        `  "start postgresql") exec runuser -u postgres -- pg_ctl -D ${this.data} -l ${path.join(this.sock, "server.log")} -s -w -t 120 -o "${this.pgCtlOptions()}" start ;;`,
        "esac",
        "exit 0",
      ].join("\n"),
    );
  }

  settings(): BackupSettings {
    return parseBackupSettings(
      { backupS3Endpoint: `https://localhost:${this.s3Port}`, backupS3Bucket: DRILL_BUCKET, backupS3CaCertificate: readFileSync(this.s3.caFile, "utf8") },
      Object.fromEntries(Object.entries({ backupS3AccessKeyId: DRILL_SECRETS.accessKeyId, backupS3SecretAccessKey: DRILL_SECRETS.secretAccessKey, backupPassphrase: DRILL_SECRETS.passphrase }).map(([k, v]) => [k, { value: v, secret: true }])),
      "drill",
    );
  }

  /** The VM's paths, moved into the scratch root; the VM's name is this machine's. */
  localize(text: string): string {
    let out = text;
    for (const p of [PG_DATA, "/var/lib/flatcarmicrocloud", "/etc/pgbackrest", "/etc/systemd/system", "/usr/local/sbin", "/etc/flatcarmicrocloud", "/var/log/pgbackrest", "/var/lib/pgbackrest", "/var/spool/pgbackrest"]) {
      out = out.split(p).join(this.at(p));
    }
    out = out.split("pg1-socket-path=/run/postgresql").join(`pg1-socket-path=${this.sock}\npg1-port=${this.pgPort}`);
    const host = readFileSync("/proc/sys/kernel/hostname", "utf8").trim().split(".")[0];
    return out.replace(/^FMC_VM_NAME='[^']*'$/m, `FMC_VM_NAME='${host}'`);
  }

  /** The backups command as Pulumi runs it on the VM: the script, the three secret lines on stdin. */
  backupsCommand(settings: BackupSettings): { status: number | null; output: string; script: string } {
    const script = this.localize(renderPostgresqlBackupsScript("postgresql1", settings, DRILL_EXPORTER));
    const stdin = settings.target ? `${DRILL_SECRETS.accessKeyId}\n${DRILL_SECRETS.secretAccessKey}\n${DRILL_SECRETS.passphrase}\n` : "";
    const r = spawnSync("bash", ["-c", script, "fmc-postgresql-backups"], { env: this.env, input: stdin, encoding: "utf8", timeout: 300_000 });
    return { status: r.status, output: `${r.stdout}${r.stderr}`, script };
  }

  /** The full backup as the timer's unit runs it (as postgres). */
  fullBackup(): void {
    const [cmd, ...args] = this.localize(backupCommand("full")).split(" ");
    this.asPostgres(cmd, args);
  }

  pgbackrest(...args: string[]): string {
    return this.asPostgres("pgbackrest", [`--config=${this.at(PGBACKREST_CONFIG)}`, "--stanza=main", ...args]);
  }

  /** fmc-postgresql-pitr as the backups command installed it (its env file names this machine's paths). */
  pitr(args: string[]): { status: number | null; output: string } {
    const r = spawnSync("bash", [this.at("/usr/local/sbin/fmc-postgresql-pitr"), ...args], { env: this.env, encoding: "utf8", timeout: 600_000 });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  }

  /** Object keys in the drill bucket. */
  bucketKeys(): string[] {
    return this.s3.bucketKeys();
  }

  fileMode(vmPath: string): { mode: string; owner: number } {
    const s = statSync(this.at(vmPath));
    return { mode: (s.mode & 0o777).toString(8), owner: s.uid };
  }

  stop(): void {
    spawnSync("runuser", ["-u", "postgres", "--", "pg_ctl", "-D", this.data, "-s", "-m", "immediate", "stop"], { env: this.env, stdio: "ignore", timeout: 60_000 });
    this.s3.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

function uid(user: string): number {
  return Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
}
function gid(user: string): number {
  return Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
}

export interface DrillResult {
  rowsBefore: number;
  rowsAfter: number;
  restoredRows: number;
  restoredMatches: boolean;
  dataBytes: number;
  backupSeconds: number;
  restoreSeconds: number;
  target: string;
}

/** The whole drill on a started Drill whose backups command has run: returns the figures. */
export function restoreToPointInTime(d: Drill, options: DrillOptions): DrillResult {
  const log = options.log ?? (() => undefined);
  d.sql("CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, item text NOT NULL, at timestamptz NOT NULL DEFAULT now())");
  d.sql(`INSERT INTO orders (id, item) SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, ${options.rows}) g`);
  const dataBytes = Number(d.sql("SELECT pg_database_size('postgres')"));
  log(`data: ${options.rows} rows, database ${(dataBytes / 1024 / 1024).toFixed(1)} MiB`);
  let t0 = Date.now();
  d.fullBackup();
  const backupSeconds = (Date.now() - t0) / 1000;
  log(`full backup: ${backupSeconds.toFixed(1)} s`);

  d.sql(`INSERT INTO orders (id, item) SELECT g, 'after backup' FROM generate_series(${options.rows + 1}, ${options.rows + 100}) g`);
  const expected = d.sql("SELECT count(*) || ':' || md5(string_agg(id || item, ',' ORDER BY id)) FROM orders");
  const rowsBefore = Number(d.sql("SELECT count(*) FROM orders"));
  // The noted time: after the commit above, before the rows below.
  spawnSync("sleep", ["1.1"]);
  const target = d.sql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");
  spawnSync("sleep", ["1.1"]);
  d.sql(`INSERT INTO orders (id, item) SELECT g, 'too late' FROM generate_series(${options.rows + 101}, ${options.rows + 200}) g`);
  d.sql("DELETE FROM orders WHERE id <= 10");
  const rowsAfter = Number(d.sql("SELECT count(*) FROM orders"));
  // The WAL holding the rows and the target time reaches the repository (archive_timeout would do it within a minute).
  d.sql("SELECT pg_switch_wal()");
  d.pgbackrest("--log-level-console=warn", "check");

  // The disaster: the server dies and its data directory is gone.
  d.pgCtl("stop", "immediate");
  rmSync(d.data, { recursive: true, force: true });
  log(`data directory destroyed; restoring to ${target}`);
  t0 = Date.now();
  const r = d.pitr(["--time", target]);
  const restoreSeconds = (Date.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`fmc-postgresql-pitr failed (${r.status}):\n${r.output}`);
  log(`restore to the point in time: ${restoreSeconds.toFixed(1)} s`);
  const restored = d.sql("SELECT count(*) || ':' || md5(string_agg(id || item, ',' ORDER BY id)) FROM orders");
  return {
    rowsBefore,
    rowsAfter,
    restoredRows: Number(restored.split(":")[0]),
    restoredMatches: restored === expected,
    dataBytes,
    backupSeconds,
    restoreSeconds,
    target,
  };
}
