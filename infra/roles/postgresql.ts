/**
 * PostgreSQL: the central database of the microservices. PostgreSQL from a pinned AppStream module
 * stream, listening on the VM's addresses, reachable from the K3s node networks with
 * scram-sha-256 only, one role and database with a generated password, and a nightly dump.
 */
import { RoleSettings } from "../../config/roles";
import { Topology, VmSpec } from "../../config/topology";
import { CloudConfigFragment } from "../cloudinit";
import { renderFirewallScript } from "./firewall";
import { nodeNetworksOf } from "./networks";
import { renderCatchUpTimer } from "./systemd-timer";
import { renderReconcileScript } from "./reconcile";
import { configFile, executable, loadScript, renderEnvFile, ROLE_ETC, SBIN } from "./shell";
import { POSTGRESQL_MODULE_STREAM } from "../../versions";

export const POSTGRESQL_PORT = 5432;
export const POSTGRESQL_BACKUP_DIR = "/var/lib/pgsql/backups";
export const BACKUP_UNIT = "fmc-postgresql-backup";

export const POSTGRESQL_FILES = {
  env: `${ROLE_ETC}/postgresql.env`,
  conf: `${ROLE_ETC}/postgresql/10-flatcarmicrocloud.conf`,
  hba: `${ROLE_ETC}/postgresql/pg_hba.conf`,
  /** Drop-in: the server binds to fixed addresses, so it must start after the network is up. */
  networkOnline: "/etc/systemd/system/postgresql.service.d/10-network-online.conf",
  service: `/etc/systemd/system/${BACKUP_UNIT}.service`,
  timer: `/etc/systemd/system/${BACKUP_UNIT}.timer`,
  setup: `${SBIN}/fmc-postgresql-setup`,
  backup: `${SBIN}/fmc-postgresql-backup`,
  restore: `${SBIN}/fmc-postgresql-restore`,
  firewall: `${SBIN}/fmc-firewall`,
} as const;

/** The networks allowed to connect: those of the VM's networks where K3s nodes live. */
export function clientNetworks(vm: VmSpec, topology: Topology): string[] {
  const cidrs = nodeNetworksOf(vm, topology).map((n) => n.cidr);
  if (cidrs.length === 0) throw new Error(`PostgreSQL VM ${vm.name} shares no network with the K3s nodes`);
  return cidrs;
}

export function renderPostgresqlConf(vm: VmSpec): string {
  return [
    "# FlatcarMicroCloud: included from postgresql.conf (include_dir = 'conf.d').",
    `listen_addresses = '${["localhost", ...vm.nics.map((n) => n.address)].join(",")}'`,
    `port = ${POSTGRESQL_PORT}`,
    "password_encryption = 'scram-sha-256'",
    "",
  ].join("\n");
}

export function renderPgHba(vm: VmSpec, topology: Topology): string {
  const row = (type: string, address: string, method: string) => `${type.padEnd(8)}all       all       ${address.padEnd(16)}${method}`;
  return [
    `# FlatcarMicroCloud pg_hba.conf for ${vm.name}: local peer, the K3s node networks with scram-sha-256 only.`,
    "# Any other source matches no line and is refused.",
    "# TYPE  DATABASE  USER      ADDRESS         METHOD",
    row("local", "", "peer"),
    row("host", "127.0.0.1/32", "scram-sha-256"),
    row("host", "::1/128", "scram-sha-256"),
    ...clientNetworks(vm, topology).map((cidr) => row("host", cidr, "scram-sha-256")),
    "",
  ].join("\n");
}

export function renderBackupUnits(settings: RoleSettings): { service: string; timer: string } {
  const service = [
    "[Unit]",
    "Description=FlatcarMicroCloud nightly PostgreSQL dump",
    "Requires=postgresql.service",
    "After=postgresql.service",
    "",
    "[Service]",
    "Type=oneshot",
    "User=postgres",
    "Group=postgres",
    `ExecStart=${POSTGRESQL_FILES.backup}`,
    "NoNewPrivileges=yes",
    "PrivateTmp=yes",
    "ProtectSystem=strict",
    `ReadWritePaths=${POSTGRESQL_BACKUP_DIR}`,
    "",
  ].join("\n");
  const timer = renderCatchUpTimer(
    "FlatcarMicroCloud nightly PostgreSQL dump",
    `*-*-* ${settings.postgres.backupTime}:00`,
    "A VM that was off at that time dumps as soon as it is back.",
  );
  return { service, timer };
}

export function renderPostgresqlEnv(vm: VmSpec, settings: RoleSettings): string {
  return renderEnvFile(`PostgreSQL server ${vm.name}`, {
    PG_MODULE_STREAM: POSTGRESQL_MODULE_STREAM,
    PG_DATABASE: settings.postgres.database,
    PG_ROLE: settings.postgres.role,
    PG_BACKUP_DIR: POSTGRESQL_BACKUP_DIR,
    PG_BACKUP_RETENTION_DAYS: settings.postgres.backupRetentionDays,
  });
}

/**
 * The app-role command's script: waits for first boot and the server, then creates the
 * microservices' role and database when missing and sets the role's password, which is the first
 * line of stdin (scripts/postgresql-app-role.sql, carried in the script so a live VM runs the
 * current one).
 */
export function renderPostgresqlAppRoleScript(vm: VmSpec, settings: RoleSettings): string {
  return renderReconcileScript({
    vmName: vm.name,
    purpose: `PostgreSQL role and database of the microservices on ${vm.name}; the password is the first line of stdin.`,
    body: "postgresql-app-role.sh",
    vars: { PG_ROLE: settings.postgres.role, PG_DATABASE: settings.postgres.database, FMC_ROLE_SQL: loadScript("postgresql-app-role.sql").replace(/\n$/, "") },
  });
}

export function postgresqlFragment(vm: VmSpec, topology: Topology, settings: RoleSettings): CloudConfigFragment {
  const firewall = renderFirewallScript(vm.name, {
    services: ["ssh"],
    ports: [],
    restricted: [{ sources: clientNetworks(vm, topology), port: `${POSTGRESQL_PORT}/tcp` }],
  });
  const units = renderBackupUnits(settings);
  return {
    // postgresql-server comes from the module stream, enabled by the setup script first.
    packages: ["firewalld"],
    write_files: [
      configFile(POSTGRESQL_FILES.env, renderPostgresqlEnv(vm, settings)),
      configFile(POSTGRESQL_FILES.conf, renderPostgresqlConf(vm)),
      configFile(POSTGRESQL_FILES.networkOnline, "[Unit]\nWants=network-online.target\nAfter=network-online.target\n"),
      configFile(POSTGRESQL_FILES.hba, renderPgHba(vm, topology)),
      configFile(POSTGRESQL_FILES.service, units.service),
      configFile(POSTGRESQL_FILES.timer, units.timer),
      executable(POSTGRESQL_FILES.firewall, firewall),
      executable(POSTGRESQL_FILES.setup, loadScript("postgresql-setup.sh")),
      executable(POSTGRESQL_FILES.backup, loadScript("postgresql-backup.sh")),
      executable(POSTGRESQL_FILES.restore, loadScript("postgresql-restore.sh")),
    ],
    steps: [
      { name: "firewall", command: [POSTGRESQL_FILES.firewall] },
      { name: "postgresql-setup", command: [POSTGRESQL_FILES.setup] },
    ],
  };
}
