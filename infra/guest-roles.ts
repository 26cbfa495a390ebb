/**
 * The guest roles' secrets and their delivery: generates the passwords (FreeIPA admin and Directory
 * Manager, PostgreSQL's application role) and hands each Rocky VM its role fragments, which carry
 * none: the cloud-init disk is a file on the host that provider 0.8.3 creates world-readable (mode
 * 0644, libvirt/volume_def.go newDefVolume). Every password stays a Pulumi secret and reaches its VM
 * after boot, on the stdin of a remote command (FreeIPA's install, PostgreSQL's application role).
 *
 * First boot carries only what a VM needs about itself. What depends on the whole topology (the load
 * balancer's backends, FreeIPA's records of the other VMs) or comes and goes (the bastion's VPN
 * peers) is delivered after boot by `reconcile`, idempotent remote commands: adding or removing a VM
 * or a peer updates them and replaces no VM.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { InfraNode } from "../nodes";
import { connectionTo } from "../ssh";
import { BackupConfig, BackupKind, parseBackupSettings } from "../config/backup";
import { RoleSettings } from "../config/roles";
import { Topology, VmSpec, vmsWithRole } from "../config/topology";
import { CloudConfigFragment } from "./cloudinit";
import { BASTION_FILES, renderWireguardPeersScript } from "./roles/bastion";
import { renderFreeipaAcmeScript, renderFreeipaRecordsScript } from "./roles/freeipa";
import { roleFragments } from "./roles";
import { renderFreeipaInstallScript } from "./roles/freeipa";
import { renderPostgresqlAppRoleScript } from "./roles/postgresql";
import { renderHaproxyConfig, renderLoadBalancerBackendsScript } from "./roles/loadbalancer";
import { renderPostgresqlBackupsScript } from "./roles/pgbackrest";
import { VM_EXPORTER_PORT, vmExporter } from "./roles/backup-metrics";
import { BackupMonitoring, watchedBackupKinds } from "../config/backup-freshness";
import { renderFreeipaBackupsScript } from "./roles/freeipa-backup";
import { sudoCommand } from "./roles/reconcile";

/** The commands `reconcile` creates, by what they configure (callers wait only for what they need). */
export interface Reconciled {
  /** One per FreeIPA server: ipa-server-install with the passwords on stdin (the records and ACME wait for it). */
  freeipaInstalls: command.remote.Command[];
  /** One per PostgreSQL server: the microservices' role and database, the password on stdin. */
  databaseRoles: command.remote.Command[];
  /** One per load balancer: its HAProxy backends. */
  loadBalancerBackends: command.remote.Command[];
  /** One per FreeIPA server: the records of every VM. */
  dnsRecords: command.remote.Command[];
  /** One per bastion: its WireGuard peers. */
  vpnPeers: command.remote.Command[];
  /** One per PostgreSQL VM: pgBackRest to the backup target, or its removal when backups are off. */
  postgresqlBackups: command.remote.Command[];
  /** One per FreeIPA VM: the scheduled ipa-backup to the target, or its removal when backups are off. */
  freeipaBackups: command.remote.Command[];
}

export interface GuestRolesArgs {
  topology: Topology;
  settings: RoleSettings;
  /** Hosts of the apps' routes (stage 4): FreeIPA resolves them to the load balancer too. */
  appHosts?: string[];
  /** The backup target and schedules (credentials as a secret Output); backups off when absent. */
  backup?: BackupConfig;
}

export interface ReconcileArgs {
  /** Stage 1's nodes: where each command connects, and the domain id that re-runs it on a new VM. */
  nodes: InfraNode[];
  /** The stack's SSH private key (secret). */
  sshPrivateKey: pulumi.Input<string>;
}

/**
 * Letters and digits only: the passwords pass through shell, psql and the IPA installer, and 32 of
 * them carry about 190 bits.
 */
function password(name: string, parent: pulumi.Resource): pulumi.Output<string> {
  const generated = new random.RandomPassword(
    name,
    { length: 32, special: false, minLower: 2, minUpper: 2, minNumeric: 2 },
    { parent },
  );
  // The provider marks `result` secret; wrapping it keeps it secret whatever engine runs this (mocks too).
  return pulumi.secret(generated.result);
}

export class GuestRoles extends pulumi.ComponentResource {
  /** Password of the FreeIPA `admin` user (secret); undefined without a FreeIPA VM. */
  readonly freeipaAdminPassword?: pulumi.Output<string>;
  /** Password of FreeIPA's `cn=Directory Manager` (secret). */
  readonly freeipaDirectoryManagerPassword?: pulumi.Output<string>;
  /** Password of the PostgreSQL application role (secret); undefined without a PostgreSQL VM. */
  readonly postgresPassword?: pulumi.Output<string>;

  private readonly baseName: string;
  private readonly appHosts: string[];
  private readonly topology: Topology;
  private readonly settings: RoleSettings;
  private readonly backup?: BackupConfig;
  /** FreeIPA's install commands, once `reconcile` made them: the ACME command waits for them too. */
  private freeipaInstalls: command.remote.Command[] = [];

  constructor(name: string, args: GuestRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flatcarmicrocloud:infra:GuestRoles", name, {}, opts);
    this.baseName = name;
    this.appHosts = args.appHosts ?? [];
    this.topology = args.topology;
    this.settings = args.settings;
    this.backup = args.backup;
    const has = (role: "freeipa" | "postgresql") => vmsWithRole(args.topology, role).length > 0;
    if (has("freeipa")) {
      this.freeipaAdminPassword = password(`${name}-freeipa-admin`, this);
      this.freeipaDirectoryManagerPassword = password(`${name}-freeipa-directory-manager`, this);
    }
    if (has("postgresql")) this.postgresPassword = password(`${name}-postgres-app`, this);
    this.registerOutputs({
      freeipaAdminPassword: this.freeipaAdminPassword,
      freeipaDirectoryManagerPassword: this.freeipaDirectoryManagerPassword,
      postgresPassword: this.postgresPassword,
    });
  }

  /** The role fragments of `vm`, for renderRockyUserData: no secret in them, reviewable in a preview. */
  fragmentsFor(vm: VmSpec): CloudConfigFragment[] {
    return roleFragments(vm, this.topology, this.settings);
  }

  /**
   * The WireGuard public key of a bastion, read once its first boot finished. `bastionReady` changes
   * when the bastion is replaced (e.g. its domain id), which reads the new key; `connection` comes
   * from the SSH helper below the stages (../ssh.ts; through the jump host or not).
   */
  readWireguardPublicKey(
    bastionReady: pulumi.Input<string>,
    connection: pulumi.Input<command.types.input.remote.ConnectionArgs>,
    bastionName: string | undefined = vmsWithRole(this.topology, "bastion")[0]?.name,
  ): pulumi.Output<string> {
    if (!bastionName) throw new Error("GuestRoles: the topology has no bastion VM");
    // `cloud-init status --wait` exits non-zero on recoverable errors too (cloud-init >= 23.4);
    // the key file existing is what matters, and `test -s` checks it.
    const read = new command.remote.Command(
      `${this.baseName}-${bastionName}-wireguard-public-key`,
      {
        connection,
        create: `sudo -n timeout 900 cloud-init status --wait >/dev/null || true; sudo test -s ${BASTION_FILES.wireguardPublicKey} && sudo cat ${BASTION_FILES.wireguardPublicKey}`,
        triggers: [bastionReady],
      },
      { parent: this },
    );
    return read.stdout.apply((key) => key.trim());
  }

  /**
   * The topology-wide role data and the VPN peers, delivered after first boot by idempotent remote
   * commands (one per load balancer, per FreeIPA server and per bastion). Each waits for its VM's
   * first boot itself (SSH dial retries, then `cloud-init status --wait`), runs again whenever its
   * input changes (a VM or a peer added or removed: `update` is the same script as `create`) and from
   * scratch on a replaced VM (its domain id is the trigger). Returns the commands, for anything that
   * must wait for them.
   */
  reconcile(args: ReconcileArgs): Reconciled {
    const nodeOf = (vm: VmSpec): InfraNode => {
      const node = args.nodes.find((n) => n.name === vm.name);
      if (!node) throw new Error(`GuestRoles.reconcile: stage 1 has no node ${vm.name}`);
      return node;
    };
    const reconciled: Reconciled = { freeipaInstalls: [], databaseRoles: [], loadBalancerBackends: [], dnsRecords: [], vpnPeers: [], postgresqlBackups: [], freeipaBackups: [] };

    for (const lb of vmsWithRole(this.topology, "loadbalancer")) {
      const node = nodeOf(lb);
      const script = sudoCommand(renderLoadBalancerBackendsScript(lb), "fmc-loadbalancer-backends");
      reconciled.loadBalancerBackends.push(
        new command.remote.Command(
          `${this.baseName}-${lb.name}-backends`,
          {
            connection: connectionTo(node, args.sshPrivateKey),
            create: script,
            update: script,
            // The complete haproxy.cfg: a new or removed K3s node changes it, and only it.
            stdin: renderHaproxyConfig(lb, this.topology),
            triggers: [node.domainId],
          },
          { parent: this },
        ),
      );
    }

    for (const ipa of vmsWithRole(this.topology, "freeipa")) {
      const node = nodeOf(ipa);
      const adminPassword = this.freeipaAdminPassword;
      const dmPassword = this.freeipaDirectoryManagerPassword;
      if (!adminPassword || !dmPassword) throw new Error(`GuestRoles: ${ipa.name} needs the FreeIPA passwords, which were not generated`);
      // The install needs both passwords: on stdin (a secret input), never in user-data or argv. On
      // a server already installed (a re-run, a live VM) it changes nothing that is right.
      const installScript = sudoCommand(renderFreeipaInstallScript(ipa), "fmc-freeipa-install");
      const install = new command.remote.Command(
        `${this.baseName}-${ipa.name}-install`,
        {
          connection: connectionTo(node, args.sshPrivateKey),
          create: installScript,
          update: installScript,
          stdin: pulumi.secret(pulumi.all([adminPassword, dmPassword]).apply(([a, d]) => `${a}\n${d}\n`)),
          triggers: [node.domainId],
        },
        { parent: this, additionalSecretOutputs: ["stdin"] },
      );
      reconciled.freeipaInstalls.push(install);
      // The record list is in the script (reviewable in a preview's diff); the password is the only
      // thing on stdin, a secret input, so the diff of the records is never hidden behind it.
      const script = sudoCommand(renderFreeipaRecordsScript(ipa, this.topology, this.appHosts), "fmc-freeipa-records");
      reconciled.dnsRecords.push(
        new command.remote.Command(
          `${this.baseName}-${ipa.name}-records`,
          {
            connection: connectionTo(node, args.sshPrivateKey),
            create: script,
            update: script,
            stdin: pulumi.secret(adminPassword.apply((p) => `${p}\n`)),
            triggers: [node.domainId],
          },
          { parent: this, additionalSecretOutputs: ["stdin"], dependsOn: [install] },
        ),
      );
    }
    this.freeipaInstalls = reconciled.freeipaInstalls;

    for (const pg of vmsWithRole(this.topology, "postgresql")) {
      const node = nodeOf(pg);
      const appPassword = this.postgresPassword;
      if (!appPassword) throw new Error(`GuestRoles: ${pg.name} needs the PostgreSQL password, which was not generated`);
      const script = sudoCommand(renderPostgresqlAppRoleScript(pg, this.settings), "fmc-postgresql-app-role");
      reconciled.databaseRoles.push(
        new command.remote.Command(
          `${this.baseName}-${pg.name}-app-role`,
          {
            connection: connectionTo(node, args.sshPrivateKey),
            create: script,
            update: script,
            stdin: pulumi.secret(appPassword.apply((p) => `${p}\n`)),
            triggers: [node.domainId],
          },
          { parent: this, additionalSecretOutputs: ["stdin"] },
        ),
      );
    }

    for (const bastion of vmsWithRole(this.topology, "bastion")) {
      const node = nodeOf(bastion);
      // The peer list (names, public keys, addresses: public data) is in the script, so a preview
      // shows which peer comes or goes. The bastion is reached directly (its route has no proxy).
      const script = sudoCommand(renderWireguardPeersScript(bastion, this.settings), "fmc-bastion-peers");
      reconciled.vpnPeers.push(
        new command.remote.Command(
          `${this.baseName}-${bastion.name}-wireguard-peers`,
          {
            connection: connectionTo(node, args.sshPrivateKey),
            create: script,
            update: script,
            triggers: [node.domainId],
          },
          { parent: this },
        ),
      );
    }
    const backup = this.backupSettings();
    for (const pg of vmsWithRole(this.topology, "postgresql")) {
      const script = renderPostgresqlBackupsScript(pg.name, backup.settings, vmExporter(pg, this.topology));
      reconciled.postgresqlBackups.push(this.backupsCommand(pg, nodeOf(pg), args.sshPrivateKey, script, "fmc-postgresql-backups", []));
    }
    reconciled.freeipaInstalls.forEach((install, i) => {
      const ipa = vmsWithRole(this.topology, "freeipa")[i];
      const script = renderFreeipaBackupsScript(ipa.name, backup.settings, vmExporter(ipa, this.topology));
      reconciled.freeipaBackups.push(this.backupsCommand(ipa, nodeOf(ipa), args.sshPrivateKey, script, "fmc-freeipa-backups", [install]));
    });
    return reconciled;
  }

  /**
   * What the platform's backup alerts watch: PostgreSQL's and FreeIPA's kinds (with backups on and
   * such a VM in the topology) plus `alsoProduced` (kinds other stages produce, e.g. K3s's etcd
   * snapshots), and the exporter of each of those VMs, which their backups commands start. Nothing
   * with backups off.
   */
  backupMonitoring(alsoProduced: BackupKind[] = []): BackupMonitoring {
    const { settings } = this.backupSettings();
    const vms = (["postgresql", "freeipa"] as const).flatMap((role) => vmsWithRole(this.topology, role));
    if (!settings.target) return { kinds: [], vmTargets: [] };
    return {
      kinds: watchedBackupKinds(settings, [...new Set([...vms.map((vm) => vm.role as BackupKind), ...alsoProduced])]),
      vmTargets: vms.map((vm) => ({ vm: vm.name, address: vmExporter(vm, this.topology).address, port: VM_EXPORTER_PORT })),
    };
  }

  /** The stack's backup settings; with none given, backups are off (every VM's command removes them). */
  private backupSettings(): BackupConfig {
    return this.backup ?? { settings: parseBackupSettings({}, {}, this.topology.stack) };
  }

  /**
   * A VM's backups command: pgBackRest on a PostgreSQL VM (infra/roles/pgbackrest.ts), the scheduled
   * ipa-backup on a FreeIPA VM (infra/roles/freeipa-backup.ts), each with the metrics exporter
   * Prometheus reads their freshness from. The target, schedules and retention are in the script (a
   * preview shows them); the access key, secret key and passphrase are its stdin, a secret input and
   * output. Every stack gets the command: with backups off it removes the VM's backup config, timers
   * and exporter (and deletes nothing in the bucket). A changed target, schedule or retention runs
   * `update` (the same script) in place; a new VM (domain id) runs it from scratch.
   */
  private backupsCommand(vm: VmSpec, node: InfraNode, sshPrivateKey: pulumi.Input<string>, rendered: string, name: string, after: pulumi.Resource[]): command.remote.Command {
    const { settings, credentials } = this.backupSettings();
    const script = sudoCommand(rendered, name);
    if (settings.target && !credentials) throw new Error(`GuestRoles: backups are on but ${vm.name} got no credentials`);
    const stdin = settings.target && credentials ? credentials : undefined;
    return new command.remote.Command(
      `${this.baseName}-${vm.name}-backups`,
      {
        connection: connectionTo(node, sshPrivateKey),
        create: script,
        update: script,
        ...(stdin ? { stdin: pulumi.secret(stdin.apply((c) => `${c.accessKeyId}\n${c.secretAccessKey}\n${c.passphrase}\n`)) } : {}),
        triggers: [node.domainId],
      },
      { parent: this, additionalSecretOutputs: ["stdin"], dependsOn: after },
    );
  }

  /**
   * FreeIPA's ACME service, enabled after first boot by an idempotent remote command on the (first)
   * FreeIPA server, which prints the FreeIPA CA certificate: cert-manager's issuer trusts it and the
   * stack exports it. Undefined without a FreeIPA VM. Runs again when the script changes (`update`)
   * and from scratch on a replaced VM (its domain id is the trigger); the certificate stays the same.
   */
  enableAcme(args: ReconcileArgs): { command: command.remote.Command; caCertificate: pulumi.Output<string> } | undefined {
    const ipa = vmsWithRole(this.topology, "freeipa")[0];
    if (!ipa) return undefined;
    const node = args.nodes.find((n) => n.name === ipa.name);
    if (!node) throw new Error(`GuestRoles.enableAcme: stage 1 has no node ${ipa.name}`);
    const script = sudoCommand(renderFreeipaAcmeScript(ipa, this.topology), "fmc-freeipa-acme");
    const acme = new command.remote.Command(
      `${this.baseName}-${ipa.name}-acme`,
      { connection: connectionTo(node, args.sshPrivateKey), create: script, update: script, triggers: [node.domainId] },
      { parent: this, dependsOn: this.freeipaInstalls },
    );
    return { command: acme, caCertificate: acme.stdout.apply((pem) => pem.trim() + "\n") };
  }
}
