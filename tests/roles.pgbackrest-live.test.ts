/**
 * PostgreSQL backups and the restore drill with real tools (bench/pg-drill.ts): Debian's PostgreSQL
 * and pgBackRest, moto's S3 server on 127.0.0.1 behind TLS with a throw-away CA. The role's backups
 * command configures pgBackRest from its stdin's secrets, turns WAL archiving on and installs the
 * restore drill; a full backup, rows, a noted time, more rows, the data directory destroyed, a
 * restore to that time, the rows compared. Then backups off: config and archiving gone from the
 * VM, the repository in the bucket untouched. Skipped only off CI without the tools; in CI (.ci/run
 * installs them) a missing tool is a failure.
 */
import { execFileSync } from "child_process";
import { readFileSync } from "fs";
import { Drill, DRILL_SECRETS, drillToolsMissing, restoreToPointInTime } from "../bench/pg-drill";
import { PGBACKREST_CONFIG, PG_ARCHIVE_CONF, PG_DATA } from "../infra/roles/pgbackrest";

const missing = drillToolsMissing();
const maybe = missing.length === 0 || process.env.CI ? describe : describe.skip;

maybe("PostgreSQL backups with pgBackRest against a real S3 server", () => {
  const d = new Drill();
  beforeAll(() => {
    if (missing.length > 0) throw new Error(`missing for the drill: ${missing.join(", ")}`);
    d.start();
  }, 120_000);
  afterAll(() => d.stop());

  test("the backups command configures pgBackRest and WAL archiving; the secrets only in the 0600 file", () => {
    const r = d.backupsCommand(d.settings());
    expect({ status: r.status, output: r.output }).toEqual({ status: 0, output: expect.stringContaining("backups on:") });
    for (const secret of Object.values(DRILL_SECRETS)) {
      expect(r.script).not.toContain(secret);
      expect(r.output).not.toContain(secret);
    }
    expect(d.fileMode(PGBACKREST_CONFIG)).toEqual({ mode: "600", owner: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim()) });
    const conf = readFileSync(d.at(PGBACKREST_CONFIG), "utf8");
    expect(conf).toContain(`repo1-s3-key-secret=${DRILL_SECRETS.secretAccessKey}`);
    expect(conf).toContain(`repo1-cipher-pass=${DRILL_SECRETS.passphrase}`);
    expect(d.sql("SHOW archive_mode")).toBe("on");
    expect(d.sql("SHOW archive_command")).toContain("archive-push %p");
    expect(readFileSync(d.systemctlLog, "utf8")).toMatch(/^restart postgresql$/m);
    // No backup yet: the first full one is started (the timer unit, in the background).
    expect(readFileSync(d.systemctlLog, "utf8")).toMatch(/^start --no-block fmc-pgbackrest-full\.service$/m);
    // Encrypted before it leaves the host: pgBackRest's repository info says so.
    expect(d.pgbackrest("info", "--output=json")).toContain('"cipher":"aes-256-cbc"');
  }, 300_000);

  test("a second run changes nothing and restarts nothing", () => {
    const before = readFileSync(d.systemctlLog, "utf8").split("\n").filter((l) => l === "restart postgresql").length;
    const r = d.backupsCommand(d.settings());
    expect({ status: r.status }).toEqual({ status: 0 });
    expect(r.output).toContain("backups on: 0 changes");
    expect(readFileSync(d.systemctlLog, "utf8").split("\n").filter((l) => l === "restart postgresql").length).toBe(before);
  }, 300_000);

  test("the drill refuses to restore over a running server", () => {
    const r = d.pitr(["--time", "2026-01-01 00:00:00+00"]);
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/PostgreSQL is running .* nothing was changed/);
    expect(d.sql("SELECT 1")).toBe("1");
  });

  test("backup, rows, a noted time, more rows, data directory destroyed, restore to that time: the rows of that time", () => {
    const result = restoreToPointInTime(d, { rows: 2000 });
    expect(result.restoredMatches).toBe(true);
    expect(result.restoredRows).toBe(result.rowsBefore);
    expect(result.rowsAfter).not.toBe(result.rowsBefore);
    expect(d.sql("SELECT pg_is_in_recovery()")).toBe("f");
  }, 600_000);

  test("backups off: config, credentials and archiving leave the VM; the repository stays", () => {
    const keys = d.bucketKeys();
    expect(keys.some((k) => k.startsWith("flatcarmicrocloud/drill/postgresql/backup/main/"))).toBe(true);
    const r = d.backupsCommand({ ...d.settings(), target: undefined });
    expect({ status: r.status, output: r.output }).toEqual({ status: 0, output: expect.stringContaining("backups off:") });
    expect(() => readFileSync(d.at(PGBACKREST_CONFIG))).toThrow();
    expect(() => readFileSync(d.at(`${PG_DATA}/${PG_ARCHIVE_CONF}`))).toThrow();
    expect(d.sql("SHOW archive_mode")).toBe("off");
    expect(d.bucketKeys()).toEqual(expect.arrayContaining(keys));
  }, 300_000);
});
