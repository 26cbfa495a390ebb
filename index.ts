/**
 * FlatcarMicroCloud: config -> infra -> cluster -> platform -> apps, then the stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { Apps } from "./apps";
import { assertStackFits } from "./apps/capacity";
import { appDatabase } from "./apps/facts";
import { connectionTo, K3sCluster } from "./cluster";
import { clusterDnsFor } from "./cluster/cluster-dns";
import { SshFirstContact } from "./cluster/ssh-first-contact";
import { loadStackConfig } from "./config";
import { deploys } from "./config/topology";
import { Infra } from "./infra";
import { GuestRoles } from "./infra/guest-roles";
import { admitDayTwoChange, previousDeployment } from "./infra/deployment-record";
import { HostSettingsDelivery } from "./infra/host-settings";
import { plannedDeployment } from "./infra/machines";
import { Platform, platformFacts } from "./platform";

// Config: every key validated; a bad stack config stops here, before anything is created.
const config = loadStackConfig();
const { topology } = config;
// `deployUpTo` stops before the stages that reach into the VMs (SSH, K3s, Helm).
const upTo = topology.deployUpTo;
// Room: the platform and every app at its maximum replicas must fit the schedulable nodes. Only a
// stack that deploys the platform needs it (the lab's stage-1-only topology has no Ceph node).
const capacity = deploys(upTo, "platform") ? assertStackFits(topology, config.platform, config.apps.apps) : undefined;

// Stage 1: networks, storage, images and VMs on the KVM host; the Rocky VMs' roles (bastion, load
// balancer, FreeIPA, PostgreSQL) arrive in their first-boot config, passwords as secrets.
const appHosts = [...new Set(config.apps.apps.flatMap((a) => (a.ingress ? [a.ingress.host] : [])))];
const roles = new GuestRoles("guest-roles", { topology, settings: config.roles, appHosts });
// Day two: what this run deploys, compared with what the last run recorded (docs/day-two.md).
// Changes a live stack must not take (losing data, a disk, etcd quorum, more K3s nodes at once than
// k3sNodeChangesPerUp) are refused here, before stage 1 touches anything.
const { servers: k3sServers, agents: k3sAgents, k3sNodeChangesPerUp } = config.cluster.settings;
const previous = previousDeployment();
// A stack deployed before the Ceph state disk existed gets it one storage node per run (attaching
// it re-creates the VM): infra/ceph-state-disk.ts.
const planned = previous.apply((prev) =>
  plannedDeployment(prev.record, topology, config.roles, { servers: k3sServers, agents: k3sAgents, k3sNodeChangesPerUp }, prev.rootHashes),
);
planned.apply(({ stateDisks, firstBoot }) => {
  if (firstBoot.transition.length > 0) {
    void pulumi.log.warn(
      `first boot: ${firstBoot.transition.join(", ")} keep the first boot they were built with (the last run was by an earlier program, which recorded no first-boot inputs); from this run on, a change of their own config renders their first boot afresh (docs/day-two.md, "First-boot revisions")`,
    );
  }
  if (stateDisks.pending.length > 0) {
    void pulumi.log.warn(
      `Ceph state disk: attached in this run to ${stateDisks.attached.join(", ") || "no storage node"}; still waiting: ${stateDisks.pending.join(", ")} (one K3s node change per run, k3sNodeChangesPerUp): run \`pulumi up\` again once Ceph is healthy`,
    );
  }
});
const record = planned.apply((p) => p.record);
const admitted = admitDayTwoChange(previous.apply((p) => p.record), record, topology, { servers: k3sServers, agents: k3sAgents, k3sNodeChangesPerUp });
const infra = new Infra("infra", {
  admitted,
  cephStateDisks: planned.apply((p) => p.stateDisks.attached),
  firstBootHashes: planned.apply((p) => p.firstBoot.hashes),
  topology,
  roleFragments: (vm) => roles.fragmentsFor(vm),
  sshJumpHost: config.roles.sshJumpHost,
});
const reachesVms = deploys(upTo, "guest-roles");
// Nothing dials a VM through the bastion before the bastion saw its sshd answer steadily.
const reachable = reachesVms
  ? new SshFirstContact("ssh-first-contact", { nodes: infra.nodes, sshPrivateKey: config.cluster.sshPrivateKey }).nodes
  : infra.nodes;
// What changes while the VMs live on (the load balancer's backends, FreeIPA's records of every VM,
// the VPN's peers) is delivered after first boot over SSH: changing it updates, and replaces no VM.
const reconciled = reachesVms ? roles.reconcile({ nodes: reachable, sshPrivateKey: config.cluster.sshPrivateKey }) : undefined;
// Stack-wide values every VM shares (the operator's SSH key, NTP, resolvers) are not first-boot
// data either: delivered and rotated after boot, they change no VM's identity.
// The resolvers switch to FreeIPA alone once its records are in (nothing in stage 2 waits for that).
if (reconciled) {
  new HostSettingsDelivery("host-settings", {
    topology,
    nodes: reachable,
    sshPrivateKey: config.cluster.sshPrivateKey,
    resolversServing: reconciled.dnsRecords,
  });
}
// FreeIPA's ACME service, for cert-manager; the command prints the FreeIPA CA certificate.
const acme = reachesVms ? roles.enableAcme({ nodes: reachable, sshPrivateKey: config.cluster.sshPrivateKey }) : undefined;

// Stage 2: K3s over SSH on the Flatcar VMs; its kubeconfig becomes the Kubernetes provider.
const cluster =
  reconciled && deploys(upTo, "cluster")
    ? new K3sCluster("cluster", {
        nodes: reachable,
        settings: config.cluster.settings,
        sshPrivateKey: config.cluster.sshPrivateKey,
        apiGatewayConfigured: reconciled.loadBalancerBackends,
        // Pods resolve the domain through FreeIPA too, once its records are in.
        clusterDns: clusterDnsFor(topology),
        dnsRecordsServed: reconciled.dnsRecords,
      })
    : undefined;

// Stage 3: the platform as pinned Helm releases on the new cluster.
const platform =
  cluster && deploys(upTo, "platform")
    ? new Platform("platform", {
        provider: cluster.provider,
        clusterLifetime: cluster.lifetime,
        ...platformFacts(topology),
        settings: config.platform,
        appHosts,
        acme: acme && { ready: acme.command, caCertificate: acme.caCertificate, dnsRecordsServed: reconciled?.dnsRecords ?? [] },
      })
    : undefined;

// Stage 4: the user's apps (stack config `apps`) on the platform's services and the database VM.
const apps =
  cluster && platform
    ? new Apps("apps", {
        provider: cluster.provider,
        settings: config.apps,
        services: platform.services,
        database: appDatabase(topology, config.roles.postgres),
        credentials: pulumi.secret(
          pulumi.all([platform.passwords, roles.postgresPassword]).apply(([p, postgresPassword]) => ({
            postgresPassword,
            redisPassword: p.redis,
            redisSentinelPassword: p.redisSentinel,
            mqttUser: platform.endpoints.mqttUser,
            mqttPassword: p.mqtt,
          })),
        ),
        // The apps name the database and other VMs by their FreeIPA names.
        after: [platform, ...cluster.clusterDnsReady],
        clusterLifetime: cluster.lifetime,
      })
    : undefined;

// Stack outputs. Every password and the kubeconfig are secrets.
const bastion = infra.nodes.find((n) => n.role === "bastion");

export const nodes = infra.nodes;
/** Read back by the next run's day-two check (infra/deployment-record.ts). */
export const deployment = record;
export const wireguardPublicKey =
  bastion && reconciled
    ? roles.readWireguardPublicKey(bastion.domainId, connectionTo(bastion, config.cluster.sshPrivateKey), bastion.name)
    : undefined;
const database = infra.nodes.find((n) => n.role === "postgresql");
export const postgres = database && {
  // FreeIPA answers each client with the address on its own network.
  host: database.fqdn,
  port: 5432,
  database: config.roles.postgres.database,
  user: config.roles.postgres.role,
  password: roles.postgresPassword,
};
export const freeipaAdminPassword = roles.freeipaAdminPassword;
/** The FreeIPA CA certificate (PEM): trust it to reach every route over HTTPS (README). */
export const tlsCaCertificate = acme?.caCertificate;
export const apiEndpoint = cluster?.apiEndpoint;
export const kubeconfig = cluster?.kubeconfig;
export const k3sNodes = cluster?.nodeNames;
export const urls = platform?.urls;
export const endpoints = platform?.endpoints;
export const passwords = platform?.passwords;
export const platformCapacity = platform?.capacity;
export const appEndpoints = apps?.endpoints;
/** Each routed app's first URL (what `npm run smoke` reads). */
export const appUrls = apps && Object.fromEntries(Object.entries(apps.endpoints).flatMap(([name, e]) => (e.urls.length > 0 ? [[name, e.urls[0]]] : [])));
export const capacityBudget = capacity && {
  platformRequests: capacity.platform,
  appsRequests: capacity.apps,
  freeForMoreApps: capacity.free,
  allocatable: capacity.report.allocatable,
};
