/**
 * The PostgreSQL role's SQL, pg_hba.conf and backup/restore scripts against a real (throw-away)
 * PostgreSQL server: the role SQL runs twice (idempotent), pg_hba parses, and a nightly dump
 * restores. Skipped on a developer machine without the PostgreSQL server binaries, never in CI.
 */
import { execFileSync, spawnSync } from "child_process";
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { CloudConfig } from "../infra/cloudinit";
import { POSTGRESQL_FILES } from "../infra/roles/postgresql";
import { loadScript } from "../infra/roles/shell";
import { cloudConfig, fileContent, hasCommand, prodSettings, prodTopology, SECRETS, vm } from "./roles.helpers";

const isRoot = process.getuid?.() === 0;
const pgUser = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
const available = isRoot && pgUser.status === 0 && hasCommand("initdb") && hasCommand("pg_ctl") && hasCommand("psql");
// The role's scripts run as root on the VM and switch to postgres, so the test needs root too. CI
// running as root (this project's CI; .ci/run installs the server) must run it: there a missing
// server is a failure, not a skip. Hosted runners without root skip it.
const maybe = available || (process.env.CI && isRoot) ? describe : describe.skip;

maybe("PostgreSQL role against a live server", () => {
  const topology = prodTopology();
  const config: CloudConfig = cloudConfig(vm(topology, "postgresql1"), topology, prodSettings(topology));
  const uid = Number(pgUser.stdout.trim());
  const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
  const root = mkdtempSync(path.join(tmpdir(), "fmc-pg-"));
  const data = path.join(root, "data");
  const backups = path.join(root, "backups");
  const port = String(20000 + (process.pid % 10000));
  const env = { ...process.env, PGHOST: root, PGPORT: port };
  const asPostgres = (cmd: string, args: string[], input?: string) =>
    execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { env, input: input ?? "", encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], timeout: 30000 });
  /** A role script with its env file pointing at this test's copy. */
  const script = (file: string, envFile: string) => {
    const target = path.join(root, path.basename(file));
    writeFileSync(target, fileContent(config, file).replace("/etc/flatcarmicrocloud/postgresql.env", envFile));
    chmodSync(target, 0o755);
    return target;
  };

  beforeAll(() => {
    chmodSync(root, 0o755);
    chownSync(root, uid, gid);
    asPostgres("initdb", ["-D", data, "-A", "peer", "-U", "postgres"]);
    // The server's output goes to a log file: an inherited pipe would keep execFileSync waiting forever.
    execFileSync(
      "runuser",
      ["-u", "postgres", "--", "pg_ctl", "-D", data, "-l", path.join(root, "server.log"), "-s", "-w", "-t", "30",
        "-o", `-c listen_addresses='' -c unix_socket_directories='${root}' -p ${port}`, "start"],
      { env, stdio: "ignore", timeout: 40000 },
    );
  });

  afterAll(() => {
    spawnSync("runuser", ["-u", "postgres", "--", "pg_ctl", "-D", data, "-s", "-m", "immediate", "stop"], { env, stdio: "ignore", timeout: 30000 });
    rmSync(root, { recursive: true, force: true });
  });

  test("pg_hba.conf parses without errors", () => {
    writeFileSync(path.join(data, "pg_hba.conf"), fileContent(config, POSTGRESQL_FILES.hba));
    const errors = asPostgres("psql", ["-X", "-At", "-d", "postgres", "-c", "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL"]);
    expect(errors.trim()).toBe("0");
    asPostgres("psql", ["-X", "-q", "-d", "postgres", "-c", "SELECT pg_reload_conf()"]);
  });

  test("the role SQL creates role and database, and a second run changes nothing", () => {
    // The SQL the app-role command carries (after boot, the password on its stdin).
    const sql = `\\set password '${SECRETS.postgresPassword}'\n${loadScript("postgresql-app-role.sql")}`;
    const run = () => asPostgres("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "role=microservices", "-v", "db=microservices", "-d", "postgres"], sql);
    run();
    run();
    const owner = asPostgres("psql", ["-X", "-At", "-d", "postgres", "-c", "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'microservices'"]);
    expect(owner.trim()).toBe("microservices");
    const verifier = asPostgres("psql", ["-X", "-At", "-d", "postgres", "-c", "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'microservices'"]);
    expect(verifier.trim()).toBe("t");
  });

  test("a nightly dump restores the database (restore procedure)", () => {
    execFileSync("install", ["-d", "-o", "postgres", "-g", "postgres", "-m", "0700", backups]);
    const envFile = path.join(root, "postgresql.env");
    writeFileSync(
      envFile,
      fileContent(config, POSTGRESQL_FILES.env).replace("PG_BACKUP_DIR='/var/lib/pgsql/backups'", `PG_BACKUP_DIR='${backups}'`),
    );
    const psqlApp = (q: string) => asPostgres("psql", ["-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", "microservices", "-c", q]);
    psqlApp("SET ROLE microservices; CREATE TABLE orders (id int PRIMARY KEY, item text); INSERT INTO orders VALUES (1, 'sensor')");

    asPostgres(script(POSTGRESQL_FILES.backup, envFile), []);
    const dumps = readdirSync(backups).filter((f) => /^microservices-\d{8}T\d{6}Z\.dump$/.test(f));
    expect(dumps).toHaveLength(1);
    expect(readdirSync(backups).some((f) => /^globals-.*\.sql\.gz$/.test(f))).toBe(true);

    psqlApp("DELETE FROM orders");
    execFileSync(script(POSTGRESQL_FILES.restore, envFile), [path.join(backups, dumps[0])], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30000 });
    expect(psqlApp("SELECT item FROM orders").trim()).toBe("sensor");
    expect(psqlApp("SELECT tableowner FROM pg_tables WHERE tablename = 'orders'").trim()).toBe("microservices");
  });
});
