/**
 * The off-host backup target and schedules (config/backup.ts, config/backup-schedule.ts): defaults,
 * every bad value refused naming its key, the secret keys refused in plain text (without their value
 * in the message), and each schedule as systemd and cron read it (systemd-analyze checks the
 * calendar events for real).
 */
import { execFileSync, spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parse } from "yaml";
import { BACKUP_CONFIG_KEYS, BACKUP_DEFAULTS, BACKUP_SECRET_KEYS, loadBackupSettings, parseBackupSettings, RawBackupConfig, RawBackupSecrets } from "../config/backup";
import { longestGapHours, parseBackupSchedule, toCron, toOnCalendar } from "../config/backup-schedule";
import { ConfigError } from "../config/validate";
import { resolveOutput, startHarness } from "./helpers/pulumi-harness";
import { problemsOf as problemsOfParse } from "./helpers/problems";
import { hasCommand } from "./roles.helpers";
import { requireTool } from "./helpers/tools";
import { stackConfig } from "./helpers/stacks";

const SECRETS: RawBackupSecrets = {
  backupS3AccessKeyId: { value: "AKIAFMCTEST", secret: true },
  backupS3SecretAccessKey: { value: "s3cr3t/Key+value", secret: true },
  backupPassphrase: { value: "correct horse battery staple 42", secret: true },
};
const TARGET: RawBackupConfig = { backupS3Endpoint: "https://s3.example.net:9000", backupS3Bucket: "fmc-backups" };

const problemsOf = (raw: RawBackupConfig, secrets: RawBackupSecrets = SECRETS) => problemsOfParse(() => parseBackupSettings(raw, secrets, "prod"));

let ca = "";
let leaf = "";
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), "fmc-backup-ca-"));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=fmc test CA",
      "-addext", "basicConstraints=critical,CA:TRUE", "-keyout", join(dir, "ca.key"), "-out", join(dir, "ca.pem")], { stdio: "ignore" });
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=leaf",
      "-addext", "basicConstraints=critical,CA:FALSE", "-keyout", join(dir, "leaf.key"), "-out", join(dir, "leaf.pem")], { stdio: "ignore" });
    ca = readFileSync(join(dir, "ca.pem"), "utf8");
    leaf = readFileSync(join(dir, "leaf.pem"), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("parseBackupSettings", () => {
  it("is off without an endpoint, with the documented schedules", () => {
    const s = parseBackupSettings({}, {}, "prod");
    expect(s.target).toBeUndefined();
    expect(s.postgresql.full.text).toBe("su 01:30");
    expect(s.postgresql.diff.text).toBe("mo,tu,we,th,fr,sa 01:30");
    expect(s.postgresql.retentionDays).toBe(14);
    expect([s.etcd.text, s.freeipa.text, s.volumes.text]).toEqual(["every 6h", "02:00", "03:00"]);
    expect([s.etcd.retentionDays, s.freeipa.retentionDays, s.volumes.retentionDays]).toEqual([7, 14, 7]);
  });

  it("reads a complete target", () => {
    const s = parseBackupSettings({ ...TARGET, backupS3Region: "eu-central-1", backupS3PathStyle: "false", backupS3CaCertificate: ca }, SECRETS, "prod");
    expect(s.target).toEqual({
      endpoint: "https://s3.example.net:9000",
      host: "s3.example.net",
      port: 9000,
      bucket: "fmc-backups",
      region: "eu-central-1",
      pathStyle: false,
      caCertificate: ca.trim() + "\n",
      prefix: "flatcarmicrocloud/prod",
    });
    expect(parseBackupSettings({ ...TARGET, backupS3Endpoint: "https://s3.example.net" }, SECRETS, "dev").target).toMatchObject({ port: 443, region: "us-east-1", pathStyle: true, prefix: "flatcarmicrocloud/dev" });
  });

  it("refuses a bad target, naming each key", () => {
    expect(problemsOf({ backupS3Endpoint: "http://s3.example.net", backupS3Bucket: "Bad_Bucket" })).toEqual([
      expect.stringMatching(/^backupS3Endpoint: .*TLS is required/),
      expect.stringMatching(/^backupS3Bucket: "Bad_Bucket" is not an S3 bucket name/),
    ]);
    expect(problemsOf({ backupS3Endpoint: "https://s3.example.net/path" })).toEqual([
      expect.stringMatching(/^backupS3Endpoint: .*https:\/\/host\[:port\]/),
      "backupS3Bucket: is required",
    ]);
    expect(problemsOf({ ...TARGET, backupS3Endpoint: "https://s3.example.net:70000" })).toEqual([expect.stringMatching(/^backupS3Endpoint: port 70000/)]);
    expect(problemsOf({ ...TARGET, backupS3Region: "EU West" })).toEqual([expect.stringMatching(/^backupS3Region: /)]);
    expect(problemsOf({ ...TARGET, backupS3PathStyle: "yes" })).toEqual([expect.stringMatching(/^backupS3PathStyle: must be true or false/)]);
    expect(problemsOf({ ...TARGET, backupS3Bucket: "fmc.backups", backupS3PathStyle: false })).toEqual([expect.stringMatching(/^backupS3Bucket: .*dots/)]);
  });

  it("refuses a CA option that is not a CA certificate", () => {
    expect(problemsOf({ ...TARGET, backupS3CaCertificate: "not a pem" })).toEqual([expect.stringMatching(/^backupS3CaCertificate: is not a PEM certificate/)]);
    expect(problemsOf({ ...TARGET, backupS3CaCertificate: leaf })).toEqual([expect.stringMatching(/^backupS3CaCertificate: certificate 1 \(CN=leaf\) is not a CA/)]);
    const broken = ca.replace(/\n([A-Za-z0-9+/]{10})/, "\n!!!!!!!!!!");
    expect(problemsOf({ ...TARGET, backupS3CaCertificate: broken })).toEqual([expect.stringMatching(/^backupS3CaCertificate: certificate 1 does not parse/)]);
  });

  it("requires the credentials and the passphrase with a target, as secrets", () => {
    expect(problemsOf(TARGET, {})).toEqual(BACKUP_SECRET_KEYS.map((k) => expect.stringMatching(new RegExp(`^${k}: is required with backupS3Endpoint; set it with \`pulumi config set --secret ${k}`))));
  });

  it("refuses each secret key stored in plain text, without printing its value", () => {
    for (const key of BACKUP_SECRET_KEYS) {
      const secrets = { ...SECRETS, [key]: { value: SECRETS[key]?.value ?? "", secret: false } };
      const problems = problemsOf(TARGET, secrets);
      expect(problems).toEqual([expect.stringMatching(new RegExp(`^${key}: is stored in plain text in the stack config; .*pulumi config set --secret ${key}`))]);
      expect(problems.join("\n")).not.toContain(SECRETS[key]?.value);
    }
    // Even with backups off: a plain-text credential in the stack file is refused all the same.
    expect(problemsOf({}, { backupS3SecretAccessKey: { value: "x", secret: false } })).toEqual([expect.stringMatching(/^backupS3SecretAccessKey: is stored in plain text/)]);
  });

  it("refuses a short passphrase and a multi-line secret", () => {
    expect(problemsOf(TARGET, { ...SECRETS, backupPassphrase: { value: "short", secret: true } })).toEqual([expect.stringMatching(/^backupPassphrase: must be at least 20 characters/)]);
    expect(problemsOf(TARGET, { ...SECRETS, backupS3AccessKeyId: { value: "AKIA\nX", secret: true } })).toEqual([expect.stringMatching(/^backupS3AccessKeyId: must be one line/)]);
  });

  it("warns about target keys while backups are off", () => {
    expect(parseBackupSettings({ backupS3Bucket: "fmc-backups" }, SECRETS, "prod").warnings).toEqual([
      expect.stringMatching(/^backups are off \(no backupS3Endpoint\): backupS3Bucket, backupS3AccessKeyId, .* existing backups in the bucket are kept$/),
    ]);
  });

  it("refuses bad schedules and retention, naming each key", () => {
    expect(
      problemsOf({ backupEtcdSchedule: "every 5h", backupFreeipaSchedule: "25:00", backupVolumesSchedule: "xx 01:00", backupVolumesRetentionDays: 0, backupEtcdRetentionDays: 4000 }),
    ).toEqual([
      expect.stringMatching(/^backupEtcdSchedule: .*must divide 24/),
      "backupEtcdRetentionDays: 4000 days is more than ten years",
      expect.stringMatching(/^backupFreeipaSchedule: "25:00" is not a schedule/),
      expect.stringMatching(/^backupVolumesSchedule: .*unknown day xx/),
      expect.stringMatching(/^backupVolumesRetentionDays: must be a positive whole number/),
    ]);
    expect(problemsOf({ backupPostgresqlFullSchedule: "su 01:30", backupPostgresqlDiffSchedule: "01:30" })).toEqual([
      expect.stringMatching(/^backupPostgresqlDiffSchedule: runs at the same time as backupPostgresqlFullSchedule on su/),
    ]);
  });
});

describe("backup schedules", () => {
  const cases: [string, string, string, number][] = [
    ["01:30", "*-*-* 01:30:00 UTC", "30 1 * * *", 24],
    ["su 01:30", "Sun *-*-* 01:30:00 UTC", "30 1 * * 0", 168],
    ["mo,tu,we,th,fr,sa 01:30", "Mon,Tue,Wed,Thu,Fri,Sat *-*-* 01:30:00 UTC", "30 1 * * 1,2,3,4,5,6", 48],
    ["sa,mo 23:05", "Mon,Sat *-*-* 23:05:00 UTC", "5 23 * * 1,6", 120],
    ["every 6h", "*-*-* 00/6:00:00 UTC", "0 */6 * * *", 6],
    ["every 24h", "*-*-* 00:00:00 UTC", "0 0 * * *", 24],
  ];
  it.each(cases)("%s: OnCalendar %s, cron %s, longest gap %d h", (text, onCalendar, cron, gap) => {
    const s = parseBackupSchedule(text);
    if (typeof s === "string") throw new Error(s);
    expect([toOnCalendar(s), toCron(s), longestGapHours(s)]).toEqual([onCalendar, cron, gap]);
  });

  // CI always runs it (.ci/packages installs systemd); elsewhere where systemd-analyze is installed.
  (hasCommand("systemd-analyze") || process.env.CI ? it : it.skip)("systemd accepts every OnCalendar value (systemd-analyze calendar)", () => {
    requireTool("systemd-analyze");
    for (const [text] of cases) {
      const s = parseBackupSchedule(text);
      if (typeof s === "string") throw new Error(s);
      const r = spawnSync("systemd-analyze", ["calendar", toOnCalendar(s)], { encoding: "utf8" });
      expect({ text, status: r.status, stderr: r.stderr }).toEqual({ text, status: 0, stderr: "" });
    }
  });
});

describe("loadBackupSettings (stack config through pulumi.Config)", () => {
  const secretValues = Object.fromEntries(BACKUP_SECRET_KEYS.map((k) => [k, SECRETS[k]?.value]));

  it("hands the credentials on as one secret Output", async () => {
    await startHarness({ stack: "prod", config: stackConfig("prod", { ...TARGET, ...secretValues }), secretKeys: [...BACKUP_SECRET_KEYS] });
    const { settings, credentials } = loadBackupSettings("prod");
    expect(settings.target?.bucket).toBe("fmc-backups");
    if (!credentials) throw new Error("no credentials");
    const resolved = await resolveOutput(credentials);
    expect(resolved.secret).toBe(true);
    expect(resolved.value).toEqual({ accessKeyId: "AKIAFMCTEST", secretAccessKey: "s3cr3t/Key+value", passphrase: "correct horse battery staple 42" });
  });

  it("refuses the keys set without --secret", async () => {
    await startHarness({ stack: "prod", config: stackConfig("prod", { ...TARGET, ...secretValues }), secretKeys: ["backupPassphrase"] });
    let problems: string[] = [];
    try {
      loadBackupSettings("prod");
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems = e.problems;
    }
    expect(problems.map((p) => p.split(":")[0])).toEqual(["backupS3AccessKeyId", "backupS3SecretAccessKey"]);
  });

  it("treats Pulumi.yaml's empty defaults as unset: backups off", async () => {
    const declared = (parse(readFileSync(join(__dirname, "..", "Pulumi.yaml"), "utf8")) as { config: Record<string, { default?: unknown }> }).config;
    const defaults = Object.fromEntries([...BACKUP_CONFIG_KEYS, ...BACKUP_SECRET_KEYS].map((k) => [k, declared[k].default]));
    await startHarness({ stack: "prod", config: stackConfig("prod", defaults) });
    const { settings, credentials } = loadBackupSettings("prod");
    expect(settings.target).toBeUndefined();
    expect(credentials).toBeUndefined();
    // The declared defaults are the documented ones.
    for (const [key, value] of Object.entries(BACKUP_DEFAULTS)) expect({ key, value: declared[key].default }).toEqual({ key, value });
  });
});
