/**
 * Stage 1 as index.ts sees it: the validated VM stack config in, the nodes the next stage reaches
 * over SSH out. In order:
 *   - day two: what this run deploys, against what the last run recorded (docs/day-two.md). A change
 *     a live stack must not take (losing data, a disk, etcd quorum, more K3s nodes at once than
 *     `k3sNodeChangesPerUp`) is refused before stage 1 touches anything;
 *   - the Rocky VMs' roles (`GuestRoles`): their first-boot fragments and generated passwords;
 *   - the libvirt layer (`Infra`): networks, pool, images, VMs;
 *   - after first boot, over SSH: first contact through the bastion (`SshFirstContact`), then what
 *     changes while the VMs live on (the roles' `reconcile`, the host settings, FreeIPA's ACME).
 * A function rather than a component: the resources keep the parents (and so the URNs) they have
 * always had, and a live stack previews no change from this refactoring.
 */
import { BackupMonitoring } from "../config/backup-freshness";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { VmStackConfig } from "../config";
import { deploys } from "../config/topology";
import { InfraNode } from "../nodes";
import { connectionTo } from "../ssh";
import { admitDayTwoChange, DeploymentRecord, holdsEarlierNodeSteps, previousDeployment } from "./deployment-record";
import { GuestRoles, Reconciled } from "./guest-roles";
import { admitK3sToken } from "./k3s-token-day-two";
import { HostSettingsDelivery } from "./host-settings";
import { Infra } from "./index";
import { plannedDeployment } from "./machines";
import { SshFirstContact } from "./ssh-first-contact";

/** FreeIPA's ACME service, for cert-manager's issuer (stage 3). */
export interface AcmeService {
  /** The command that enabled it; the issuer waits for it. */
  ready: command.remote.Command;
  /** FreeIPA's CA certificate (PEM), which the issuer trusts. */
  caCertificate: pulumi.Output<string>;
  /** FreeIPA's records of every VM: the issuer's solver resolves through them. */
  dnsRecordsServed: pulumi.Resource[];
}

/** Stage 1's stack outputs. */
export interface InfraOutputs {
  nodes: InfraNode[];
  /** What this run deploys: read back by the next run's day-two check (./deployment-record.ts). */
  deployment: pulumi.Output<DeploymentRecord>;
  wireguardPublicKey?: pulumi.Output<string>;
  postgres?: { host: string; port: number; database: string; user: string; password?: pulumi.Output<string> };
  freeipaAdminPassword?: pulumi.Output<string>;
  /** The FreeIPA CA certificate (PEM). */
  tlsCaCertificate?: pulumi.Output<string>;
}

export interface InfraStage {
  /** Stage 1's nodes as the next stages reach them: behind the bastion, only after first contact. */
  nodes: InfraNode[];
  /** What the roles deliver after first boot; none when `deployUpTo` stops before the guest roles. */
  reconciled?: Reconciled;
  acme?: AcmeService;
  /** The PostgreSQL application role's password (secret), for the apps. */
  postgresPassword?: pulumi.Output<string>;
  /** The backups the platform's alerts watch, and the VMs whose exporters carry their metric. */
  backups: BackupMonitoring;
  outputs: InfraOutputs;
}

/** `appHosts`: the apps' route hosts, which FreeIPA resolves to the load balancer too. */
export function infraStage(config: VmStackConfig, appHosts: string[]): InfraStage {
  const { topology } = config;
  const sshPrivateKey = config.cluster.sshPrivateKey;
  // The Rocky VMs' roles (bastion, load balancer, FreeIPA, PostgreSQL) arrive in their first-boot
  // config; their passwords never do (the cloud-init disk is world-readable on the host): they
  // arrive after boot, on a command's stdin.
  const roles = new GuestRoles("guest-roles", { topology, settings: config.roles, appHosts, backup: config.backup });
  const { servers, agents, k3sNodeChangesPerUp } = config.cluster.settings;
  const k3s = { servers, agents, k3sNodeChangesPerUp };
  const previous = previousDeployment();
  // A stack deployed before the Ceph state disk existed gets it one storage node per run (attaching
  // it re-creates the VM): ./ceph-state-disk.ts.
  const planned = previous.apply((prev) => plannedDeployment(prev.record, topology, config.roles, k3s, prev.rootHashes));
  pulumi.all([previous, planned]).apply(([prev, { stateDisks, firstBoot }]) => {
    if (firstBoot.transition.length > 0) {
      void pulumi.log.warn(
        `first boot: ${firstBoot.transition.join(", ")} keep the first boot they were built with (the last run was by an earlier program, which recorded no first-boot inputs); from this run on, a change of their own config renders their first boot afresh (docs/day-two.md, "First-boot revisions")`,
      );
    }
    if (stateDisks.pending.length > 0) {
      // A stack whose K3s node steps are an earlier program's gets them updated first (no VM re-created).
      const why = holdsEarlierNodeSteps(prev.record) ? "this run first updates every K3s node's drain steps in place" : "one K3s node change per run, k3sNodeChangesPerUp";
      void pulumi.log.warn(
        `Ceph state disk: attached in this run to ${stateDisks.attached.join(", ") || "no storage node"}; still waiting: ${stateDisks.pending.join(", ")} (${why}): run \`pulumi up\` again once Ceph is healthy`,
      );
    }
  });
  // Where the K3s token comes from (the next run's token check reads it back).
  const k3sTokenSource = config.cluster.k3sToken ? ("config" as const) : ("generated" as const);
  const record = planned.apply((p) => ({ ...p.record, k3sToken: k3sTokenSource }));
  const infra = new Infra("infra", {
    // The day-two problems, and a change of the token a live K3s cluster runs with.
    admitted: pulumi
      .all([admitDayTwoChange(previous.apply((p) => p.record), record, topology, k3s), admitK3sToken(previous, config.cluster.k3sToken)])
      .apply(() => true as const),
    cephStateDisks: planned.apply((p) => p.stateDisks.attached),
    firstBootHashes: planned.apply((p) => p.firstBoot.hashes),
    topology,
    roleFragments: (vm) => roles.fragmentsFor(vm),
    sshJumpHost: config.roles.sshJumpHost,
  });

  const reachesVms = deploys(topology.deployUpTo, "guest-roles");
  // Nothing dials a VM through the bastion before the bastion saw its sshd answer steadily.
  const nodes = reachesVms ? new SshFirstContact("ssh-first-contact", { nodes: infra.nodes, sshPrivateKey }).nodes : infra.nodes;
  // What changes while the VMs live on (the load balancer's backends, FreeIPA's records of every VM,
  // the VPN's peers) is delivered after first boot over SSH: changing it updates, and replaces no VM.
  const reconciled = reachesVms ? roles.reconcile({ nodes, sshPrivateKey }) : undefined;
  // Stack-wide values every VM shares (the operator's SSH key, NTP, resolvers) are not first-boot
  // data either: delivered and rotated after boot, they change no VM's identity. The resolvers
  // switch to FreeIPA alone once its records are in (nothing in stage 2 waits for that).
  if (reconciled) {
    new HostSettingsDelivery("host-settings", { topology, nodes, sshPrivateKey, resolversServing: reconciled.dnsRecords, freeipaInstalled: reconciled.freeipaInstalls });
  }
  // FreeIPA's ACME service, for cert-manager; the command prints the FreeIPA CA certificate.
  const acme = reachesVms ? roles.enableAcme({ nodes, sshPrivateKey }) : undefined;

  const bastion = infra.nodes.find((n) => n.role === "bastion");
  const database = infra.nodes.find((n) => n.role === "postgresql");
  const { postgres } = config.roles;
  return {
    nodes,
    reconciled,
    acme: acme && { ready: acme.command, caCertificate: acme.caCertificate, dnsRecordsServed: reconciled?.dnsRecords ?? [] },
    postgresPassword: roles.postgresPassword,
    // The Rocky VMs' backups (Prometheus scrapes their exporters) and K3s's etcd snapshots (the
    // platform's recording rule reads their records).
    backups: roles.backupMonitoring(["etcd"]),
    outputs: {
      nodes: infra.nodes,
      deployment: record,
      wireguardPublicKey: bastion && reconciled ? roles.readWireguardPublicKey(bastion.domainId, connectionTo(bastion, sshPrivateKey), bastion.name) : undefined,
      // FreeIPA answers each client with the address on its own network.
      postgres: database && { host: database.fqdn, port: 5432, database: postgres.database, user: postgres.role, password: roles.postgresPassword },
      freeipaAdminPassword: roles.freeipaAdminPassword,
      tlsCaCertificate: acme?.caCertificate,
    },
  };
}
