/**
 * FlatcarMicroCloud: config -> infra -> cluster -> platform, then the stack outputs.
 */
import { connectionTo, K3sCluster } from "./cluster";
import { SshFirstContact } from "./cluster/ssh-first-contact";
import { loadStackConfig } from "./config";
import { deploys } from "./config/topology";
import { Infra } from "./infra";
import { GuestRoles } from "./infra/guest-roles";
import { HostSettingsDelivery } from "./infra/host-settings";
import { Platform, platformFacts } from "./platform";

// Config: every key validated; a bad stack config stops here, before anything is created.
const config = loadStackConfig();
const { topology } = config;

// Stage 1: networks, storage, images and VMs on the KVM host; the Rocky VMs' roles (bastion, load
// balancer, FreeIPA, PostgreSQL) arrive in their first-boot config, passwords as secrets.
const roles = new GuestRoles("guest-roles", { topology, settings: config.roles });
const infra = new Infra("infra", {
  topology,
  roleFragments: (vm) => roles.fragmentsFor(vm),
  sshJumpHost: config.roles.sshJumpHost,
});
// `deployUpTo` stops before the stages that reach into the VMs (SSH, K3s, Helm).
const upTo = topology.deployUpTo;
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
if (reachesVms) {
  new HostSettingsDelivery("host-settings", { topology, nodes: reachable, sshPrivateKey: config.cluster.sshPrivateKey });
}

// Stage 2: K3s over SSH on the Flatcar VMs; its kubeconfig becomes the Kubernetes provider.
const cluster =
  reconciled && deploys(upTo, "cluster")
    ? new K3sCluster("cluster", {
        nodes: reachable,
        settings: config.cluster.settings,
        sshPrivateKey: config.cluster.sshPrivateKey,
        apiGatewayConfigured: reconciled.loadBalancerBackends,
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
      })
    : undefined;

// Stack outputs. Every password and the kubeconfig are secrets.
const bastion = infra.nodes.find((n) => n.role === "bastion");

export const nodes = infra.nodes;
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
export const apiEndpoint = cluster?.apiEndpoint;
export const kubeconfig = cluster?.kubeconfig;
export const k3sNodes = cluster?.nodeNames;
export const urls = platform?.urls;
export const endpoints = platform?.endpoints;
export const passwords = platform?.passwords;
export const platformCapacity = platform?.capacity;
