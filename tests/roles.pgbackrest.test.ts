/**
 * pgBackRest on the PostgreSQL VM (infra/roles/pgbackrest.ts): the rendered config, units and
 * scripts (shellcheck, systemd-analyze), and the after-boot command under the mock engine: the
 * credentials only on its stdin (a secret), none in its command text, the command present with
 * backups off too (it then removes the VM's backup config), no first-boot input touched.
 */
import * as pulumi from "@pulumi/pulumi";
import { spawnSync } from "child_process";
import { parseBackupSettings, RawBackupConfig } from "../config/backup";
import { Infra } from "../infra";
import { GuestRoles } from "../infra/guest-roles";
import { backupCommand, renderArchiveConf, renderBackupUnits, renderPgbackrestConf, renderPostgresqlBackupsScript } from "../infra/roles/pgbackrest";
import { loadScript } from "../infra/roles/shell";
import { Harness, isSecretAt, startHarness } from "./helpers/pulumi-harness";
import { TEST_SSH_PRIVATE_KEY } from "./helpers/stacks";
import { hasCommand, prodSettings, prodTopology, shellcheck, vm } from "./roles.helpers";
import { vmExporter } from "../infra/roles/backup-metrics";
import { machineOutputs } from "./helpers/machine-outputs";

const SECRETS = {
  backupS3AccessKeyId: { value: "AKIAUNITTEST", secret: true },
  backupS3SecretAccessKey: { value: "unit-secret-key-value", secret: true },
  backupPassphrase: { value: "unit test passphrase long enough", secret: true },
};
const TARGET: RawBackupConfig = { backupS3Endpoint: "https://nas.example.net:9000", backupS3Bucket: "fmc-backups" };
const on = parseBackupSettings(TARGET, SECRETS, "prod");
const off = parseBackupSettings({}, {}, "prod");
const EXPORTER = vmExporter(vm(prodTopology(), "postgresql1"), prodTopology());

describe("rendered files", () => {
  it("pgbackrest.conf: S3 target, path style, encryption, time-based retention, no secret", () => {
    if (!on.target) throw new Error("no target");
    const conf = renderPgbackrestConf(on.target, on);
    expect(conf).toContain("[main]\npg1-path=/var/lib/pgsql/data\n");
    for (const line of [
      "repo1-type=s3",
      "repo1-path=/flatcarmicrocloud/prod/postgresql",
      "repo1-s3-endpoint=nas.example.net",
      "repo1-storage-port=9000",
      "repo1-s3-bucket=fmc-backups",
      "repo1-s3-region=us-east-1",
      "repo1-s3-uri-style=path",
      "repo1-cipher-type=aes-256-cbc",
      "repo1-retention-full-type=time",
      "repo1-retention-full=14",
    ]) {
      expect(conf.split("\n")).toContain(line);
    }
    expect(conf).not.toMatch(/repo1-storage-ca-file|s3-key|cipher-pass/);
    // [global] comes last: the command appends the three secret lines to it.
    expect(conf.lastIndexOf("[")).toBe(conf.indexOf("[global]"));
  });

  it("WAL archiving through pgBackRest, at least once a minute", () => {
    expect(renderArchiveConf()).toBe(
      "# FlatcarMicroCloud: WAL archiving through pgBackRest (written by the backups command).\n" +
        "archive_mode = on\narchive_command = 'pgbackrest --config=/etc/pgbackrest/pgbackrest.conf --stanza=main archive-push %p'\narchive_timeout = 60\n",
    );
  });

  it("timers from the schedules; the services run the backup as postgres", () => {
    const units = renderBackupUnits(parseBackupSettings({ ...TARGET, backupPostgresqlFullSchedule: "sa 03:00", backupPostgresqlDiffSchedule: "every 12h" }, SECRETS, "prod"));
    expect(units.fullTimer).toContain("OnCalendar=Sat *-*-* 03:00:00 UTC\n");
    expect(units.diffTimer).toContain("OnCalendar=*-*-* 00/12:00:00 UTC\n");
    expect(units.fullService).toContain(`User=postgres\nGroup=postgres\nExecStart=${backupCommand("full")}\n`);
    expect(units.diffService).toContain("--type=diff backup\n");
    // Each run's end, success or not, reaches Prometheus (infra/roles/backup-metrics.ts), as root.
    for (const unit of [units.fullService, units.diffService]) expect(unit).toContain("\nExecStopPost=+/usr/local/sbin/fmc-backup-metric postgresql\n");
  });

  (hasCommand("systemd-analyze") ? it : it.skip)("systemd accepts the timers' calendar events", () => {
    const units = renderBackupUnits(on);
    for (const text of [units.fullTimer, units.diffTimer]) {
      const r = spawnSync("systemd-analyze", ["calendar", /OnCalendar=(.*)/.exec(text)?.[1] ?? ""], { encoding: "utf8" });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    }
  });

  it("the scripts pass shellcheck, backups on and off; no secret is in them", () => {
    for (const settings of [on, off]) expect(shellcheck(renderPostgresqlBackupsScript("postgresql1", settings, EXPORTER))).toBe("");
    expect(shellcheck(loadScript("postgresql-pitr.sh"))).toBe("");
    const script = renderPostgresqlBackupsScript("postgresql1", on, EXPORTER);
    for (const s of Object.values(SECRETS)) expect(script).not.toContain(s.value);
    expect(script).toContain("BACKUPS_ON=1");
    expect(renderPostgresqlBackupsScript("postgresql1", off, EXPORTER)).toContain("BACKUPS_ON=0");
    // The metrics exporter on the database VM's cluster-network address, its port for that network only.
    expect(script).toContain("EXPORTER_SOURCES=('10.17.4.0/24')");
    expect(script).toContain("--web.listen-address=10.17.4.13:9100");
    expect(script).toMatch(/^exporter_on$/m);
  });
});

describe("the after-boot command (mock engine)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ stack: "prod", outputsFor: machineOutputs });
    const topology = prodTopology();
    const settings = prodSettings(topology);
    const roles = (backup: "on" | "off") =>
      new GuestRoles(`roles-${backup}`, {
        topology,
        settings,
        backup:
          backup === "on"
            ? { settings: on, credentials: pulumi.secret({ accessKeyId: "AKIAUNITTEST", secretAccessKey: "unit-secret-key-value", passphrase: "unit test passphrase long enough" }) }
            : { settings: off },
      });
    for (const backup of ["on", "off"] as const) {
      const r = roles(backup);
      const infra = new Infra(`infra-${backup}`, { topology, roleFragments: (vm) => r.fragmentsFor(vm), sshJumpHost: settings.sshJumpHost });
      r.reconcile({ nodes: infra.nodes, sshPrivateKey: pulumi.secret(TEST_SSH_PRIVATE_KEY) });
    }
    await h.settle();
  });

  it("with backups on: the credentials are the command's stdin, a secret, and in no other input", () => {
    const cmd = h.byName("roles-on-postgresql1-backups");
    expect(isSecretAt(cmd.rawInputs, ["stdin"])).toBe(true);
    expect(cmd.inputs.stdin).toBe("AKIAUNITTEST\nunit-secret-key-value\nunit test passphrase long enough\n");
    expect(cmd.inputs.create).toBe(cmd.inputs.update);
    const rest = Object.fromEntries(Object.entries(cmd.inputs).filter(([k]) => k !== "stdin" && k !== "connection"));
    expect(JSON.stringify(rest)).not.toMatch(/unit-secret-key-value|passphrase long/);
    expect(cmd.additionalSecretOutputs).toContain("stdin");
  });

  it("FreeIPA's backups command: the same credentials on its stdin only, after the install", () => {
    const cmd = h.byName("roles-on-freeipa1-backups");
    expect(isSecretAt(cmd.rawInputs, ["stdin"])).toBe(true);
    expect(cmd.inputs.stdin).toBe("AKIAUNITTEST\nunit-secret-key-value\nunit test passphrase long enough\n");
    expect(cmd.inputs.create).toBe(cmd.inputs.update);
    expect(String(cmd.inputs.create)).toContain("fmc-freeipa-backup.timer");
    const rest = Object.fromEntries(Object.entries(cmd.inputs).filter(([k]) => k !== "stdin" && k !== "connection"));
    expect(JSON.stringify(rest)).not.toMatch(/unit-secret-key-value|passphrase long/);
    expect(cmd.additionalSecretOutputs).toContain("stdin");
    expect(cmd.dependencies).toEqual(expect.arrayContaining([h.byName("roles-on-freeipa1-install").urn]));
    expect(h.byName("roles-off-freeipa1-backups").inputs.stdin).toBeUndefined();
  });

  it("with backups off: the command is there, without stdin (it removes the VM's backup config)", () => {
    const cmd = h.byName("roles-off-postgresql1-backups");
    expect(cmd.inputs.stdin).toBeUndefined();
    expect(String(cmd.inputs.create)).toContain("BACKUPS_ON=0");
  });
});
