/**
 * FlatcarMicroCloud: config -> infra -> cluster -> platform -> apps, then the stack outputs.
 * Stages 1-2 build the cluster on the KVM host, or a stack with `kubeconfig` deploys stages 3-4 onto
 * a cluster the user already has; either way stage 3 starts from the same cluster facts.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Apps } from "./apps";
import { assertStackFits } from "./apps/capacity";
import { appDatabase } from "./apps/facts";
import { ClusterFacts } from "./cluster-facts";
import { connectionTo, K3sCluster } from "./cluster";
import { clusterDnsFor } from "./cluster/cluster-dns";
import { k3sClusterFacts } from "./cluster/facts";
import { SshFirstContact } from "./cluster/ssh-first-contact";
import { ExistingClusterStackConfig, loadStackConfig, VmStackConfig } from "./config";
import { deploys } from "./config/topology";
import { ExistingCluster } from "./existing-cluster";
import { existingClusterFacts } from "./existing-cluster/facts";
import { Infra } from "./infra";
import { GuestRoles } from "./infra/guest-roles";
import { admitDayTwoChange, holdsEarlierNodeSteps, previousDeployment } from "./infra/deployment-record";
import { HostSettingsDelivery } from "./infra/host-settings";
import { plannedDeployment } from "./infra/machines";
import { Platform, PlatformArgs } from "./platform";

// Config: every key validated; a bad stack config stops here, before anything is created.
const config = loadStackConfig();
const appHosts = [...new Set(config.apps.apps.flatMap((a) => (a.ingress ? [a.ingress.host] : [])))];
// Cluster facts: what stage 3 needs about the nodes, from the VM topology (K3s) or from the
// existing cluster's `existingNodes`, known before anything is created.
const facts: ClusterFacts = config.target === "vms" ? k3sClusterFacts(config.topology) : existingClusterFacts(config.existing.settings, config.domain);
// `deployUpTo` stops before the stages that reach into the VMs (SSH, K3s, Helm).
const deploysPlatform = config.target === "existing" || deploys(config.topology.deployUpTo, "platform");
const deploysApps = config.target === "existing" || deploys(config.topology.deployUpTo, "apps");
// Room: the platform and every app at its maximum replicas must fit the schedulable nodes. Only a
// stack that deploys the platform needs it (the lab's stage-1-only topology has no Ceph node).
const capacity = deploysPlatform ? assertStackFits(facts, config.platform, config.apps.apps) : undefined;

/** The cluster stages 3-4 deploy onto: its provider and what they wait for. */
interface TargetCluster {
  provider: k8s.Provider;
  /** Deleted only with the cluster (the K3s stage's token): the platform's and apps' objects go with it. */
  lifetime?: pulumi.Resource;
  /** What the apps wait for besides the platform (pods resolving the VMs' names through FreeIPA). */
  appsAfter: pulumi.Resource[];
  /** FreeIPA's ACME service for cert-manager (VM topologies with FreeIPA). */
  acme?: PlatformArgs["acme"];
}

// Stages 1-2: the VMs and K3s on the KVM host. Hands on the cluster (if this run deploys it), the
// app database (the PostgreSQL VM) and the stack outputs these stages own.
function onKvmHost(config: VmStackConfig) {
  const { topology } = config;
  const upTo = topology.deployUpTo;
  // Stage 1: networks, storage, images and VMs on the KVM host; the Rocky VMs' roles (bastion, load
  // balancer, FreeIPA, PostgreSQL) arrive in their first-boot config; their passwords never do (the
  // cloud-init disk is world-readable on the host): they arrive after boot, on a command's stdin.
  const roles = new GuestRoles("guest-roles", { topology, settings: config.roles, appHosts, backup: config.backup });
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
      freeipaInstalled: reconciled.freeipaInstalls,
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
          backup: config.backup,
        })
      : undefined;

  const bastion = infra.nodes.find((n) => n.role === "bastion");
  const database = infra.nodes.find((n) => n.role === "postgresql");
  return {
    cluster: cluster && <TargetCluster>{
      provider: cluster.provider,
      lifetime: cluster.lifetime,
      // The apps name the database and other VMs by their FreeIPA names, and log in with the
      // database role its after-boot command creates.
      appsAfter: [...cluster.clusterDnsReady, ...(reconciled?.databaseRoles ?? [])],
      acme: acme && { ready: acme.command, caCertificate: acme.caCertificate, dnsRecordsServed: reconciled?.dnsRecords ?? [] },
    },
    database: { spec: appDatabase(topology, config.roles.postgres), password: roles.postgresPassword },
    outputs: {
      nodes: infra.nodes,
      deployment: record,
      wireguardPublicKey:
        bastion && reconciled
          ? roles.readWireguardPublicKey(bastion.domainId, connectionTo(bastion, config.cluster.sshPrivateKey), bastion.name)
          : undefined,
      postgres: database && {
        // FreeIPA answers each client with the address on its own network.
        host: database.fqdn,
        port: 5432,
        database: config.roles.postgres.database,
        user: config.roles.postgres.role,
        password: roles.postgresPassword,
      },
      freeipaAdminPassword: roles.freeipaAdminPassword,
      tlsCaCertificate: acme?.caCertificate,
      apiEndpoint: cluster?.apiEndpoint,
      kubeconfig: cluster?.kubeconfig,
      k3sNodes: cluster?.nodeNames,
      k3sToken: cluster?.token,
    },
  };
}

// Or stages 1-2 replaced: the cluster the user already has, through its kubeconfig. No VM, no SSH,
// no FreeIPA (no ACME issuer, no DNS records: the user's DNS serves the platform's names).
function onExistingCluster(config: ExistingClusterStackConfig) {
  const existing = new ExistingCluster("existing-cluster", { kubeconfig: config.existing.kubeconfig, previous: previousDeployment().apply((p) => p.record) });
  return { cluster: <TargetCluster>{ provider: existing.provider, appsAfter: [] }, kubeconfig: existing.kubeconfig };
}

const kvm = config.target === "vms" ? onKvmHost(config) : undefined;
const existing = config.target === "existing" ? onExistingCluster(config) : undefined;
const cluster = kvm?.cluster ?? existing?.cluster;

// Stage 3: the platform as pinned Helm releases on the cluster.
const platform =
  cluster && deploysPlatform
    ? new Platform("platform", {
        provider: cluster.provider,
        clusterLifetime: cluster.lifetime,
        ...facts,
        settings: config.platform,
        appHosts,
        acme: cluster.acme,
        alerts: config.alerts,
      })
    : undefined;

// Stage 4: the user's apps (stack config `apps`) on the platform's services and the database VM.
const apps =
  cluster && platform && deploysApps
    ? new Apps("apps", {
        provider: cluster.provider,
        settings: config.apps,
        services: platform.services,
        database: kvm?.database.spec,
        credentials: pulumi.secret(
          pulumi.all([platform.passwords, kvm?.database.password]).apply(([p, postgresPassword]) => ({
            postgresPassword,
            redisPassword: p.redis,
            redisSentinelPassword: p.redisSentinel,
            mqttUser: platform.endpoints.mqttUser,
            mqttPassword: p.mqtt,
          })),
        ),
        after: [platform, ...cluster.appsAfter],
        clusterLifetime: cluster.lifetime,
      })
    : undefined;

// Stack outputs. Every password and the kubeconfig are secrets.
const out = kvm?.outputs;
export const nodes = out?.nodes;
/** Read back by the next run's day-two check (infra/deployment-record.ts). */
export const deployment = out?.deployment;
export const wireguardPublicKey = out?.wireguardPublicKey;
export const postgres = out?.postgres;
export const freeipaAdminPassword = out?.freeipaAdminPassword;
/** The FreeIPA CA certificate (PEM): trust it to reach every route over HTTPS (README). */
export const tlsCaCertificate = out?.tlsCaCertificate;
export const apiEndpoint = out?.apiEndpoint;
export const kubeconfig = out?.kubeconfig ?? existing?.kubeconfig;
/** The cluster's node names: K3s's, or the existing cluster's `existingNodes`. */
export const k3sNodes = out?.k3sNodes ?? (existing && facts.nodes.map((n) => n.name));
/** The K3s server token (secret): an etcd restore needs it besides the snapshot (docs/backups.md). */
export const k3sToken = out?.k3sToken;
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
