/**
 * Stage 2: K3s on the VMs stage 1 created, over SSH, then a Kubernetes provider for stage 3.
 *
 * Per node, five commands, each named after what it does and following one identity of the VM
 * (docs/day-two.md):
 *   <node>-shutdown    on the machine running Pulumi: nothing on create; delete powers the guest
 *                      off cleanly through libvirt before its domain is deleted (per VM);
 *   <node>-boot        waits for boot to finish and records the machine id (per VM: domain id);
 *   <node>-membership  on another server: nothing on create; delete removes the node from
 *                      Kubernetes and etcd (per machine: root volume id);
 *   <node>-k3s         installs / upgrades / reconfigures K3s (delete: uninstalls it; per machine);
 *   <node>-member      on another server: waits for the node, sets labels and taints, uncordons
 *                      it after its own drain (delete: cordons and drains it, failing the run when
 *                      the drain does not finish or, on a storage node, Ceph is not clean; per VM,
 *                      so a VM re-created on the same disk is drained before and uncordoned after).
 * Resizing a node re-creates its VM only: drain, new VM on the same disks, K3s starts, uncordon. A
 * new root disk is a new machine: drain, remove the old node, install and join afresh. Removing a
 * node from the config drains, uninstalls and removes it. `pulumi destroy` skips all of that.
 * Order: the first server runs cluster-init; the other servers join one at a time; the agents join
 * in parallel once every server is up. The same order is the upgrade order (Kubernetes' version
 * skew policy: kubelets never newer than the API servers). When the API endpoint is the load
 * balancer, one more step on it (`api-gateway`) waits until HAProxy forwards the API; the provider
 * waits for it, the kubeconfig read and every member step. The scripts are rendered in
 * ./scripts.ts and ./k3s-config.ts; this component only wires resources.
 */
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { BackupConfig } from "../config/backup";
import { ClusterSettings } from "../config/cluster";
import { K3S_API_PORT } from "../ports";
import { ClusterDnsSpec, COREDNS_CUSTOM, COREDNS_DEPLOYMENT, COREDNS_ROLL_ANNOTATION, corednsBlockHash, renderCorednsServerBlock } from "./cluster-dns";
import { etcdSnapshotConfig } from "./etcd-snapshots";
import { K3sNodeKind, nodeLabels, renderK3sConfig } from "./k3s-config";
import { NodeMirror, nodeStdin } from "./registries";
import { rewriteKubeconfig } from "./kubeconfig";
import {
  renderInstallK3s,
  renderDrainNode,
  renderShutdownVm,
  renderReadKubeconfig,
  renderReconcileNode,
  renderRemoveNode,
  renderUninstallK3s,
  renderWaitForApiGateway,
  renderWaitForBoot,
} from "./scripts";
import { InfraNode } from "../nodes";
import { remoteCommand, shellQuote } from "../shell";
import { connectionTo } from "../ssh";
import { renderCephStateDiskScript } from "../infra/ceph-state-disk";

export type { InfraNode } from "../nodes";
export { STORAGE_NODE_LABEL } from "./k3s-config";

export interface K3sClusterArgs {
  /**
   * Stage 1's nodes (all VMs): those named in `settings` become K3s nodes; the load balancer whose
   * address (or FQDN) is `settings.apiHost` gets the API gateway wait.
   */
  nodes: InfraNode[];
  settings: ClusterSettings;
  /** The stack's SSH private key (secret); each node's route (direct or via the bastion) comes from stage 1. */
  sshPrivateKey: pulumi.Input<string>;
  /** What configures the load balancer's forwarding (its HAProxy backends): the gateway wait follows it. */
  apiGatewayConfigured?: pulumi.Resource[];
  /**
   * FreeIPA's zones and addresses for the pods' resolver (./cluster-dns.ts, `clusterDnsFor`); none
   * without FreeIPA, and then CoreDNS keeps K3s's defaults.
   */
  clusterDns?: ClusterDnsSpec;
  /** What puts FreeIPA's records in place (its records command): pods are pointed at FreeIPA after it. */
  dnsRecordsServed?: pulumi.Resource[];
  /**
   * The backup target and schedules: K3s's etcd snapshots on `backupEtcdSchedule`, uploaded to the
   * target when there is one (./etcd-snapshots.ts). Absent: K3s's own default snapshots, local.
   */
  backup?: BackupConfig;
  /**
   * The mirror every node pulls the public registries through (./registries.ts: its registries.yaml,
   * CA and, for the air gap, `disable-default-registry-endpoint`); none: containerd's defaults.
   * Secret (the mirror's credentials). A change rewrites the files and restarts K3s in place, on each
   * node whose files change.
   */
  nodeMirror?: pulumi.Input<NodeMirror | undefined>;
  /**
   * The stack config's `k3sToken` (secret): the token every node gets instead of the generated one
   * (config/k3s-token.ts). The generated one stays in the stack either way: it is the cluster's
   * lifetime (deletedWith), and the day-two check refuses a change of the token a live cluster
   * runs with (infra/k3s-token-day-two.ts).
   */
  token?: pulumi.Input<string>;
}

export interface NodeNames {
  servers: string[];
  agents: string[];
  /** Ceph OSD nodes, labelled with STORAGE_NODE_LABEL. */
  storage: string[];
}

export class K3sCluster extends pulumi.ComponentResource {
  /** `https://<load balancer or first server>:6443`. */
  declare readonly apiEndpoint: string;
  /** Admin kubeconfig pointing at `apiEndpoint` (secret). */
  declare readonly kubeconfig: pulumi.Output<string>;
  declare readonly nodeNames: NodeNames;
  /**
   * Kubernetes provider for stage 3; configured once every node is Ready and labelled and, when the
   * API endpoint is the load balancer, once the API answers through it.
   */
  declare readonly provider: k8s.Provider;
  /**
   * Deleted only when the cluster is: the shared token. What runs on the cluster is `deletedWith`
   * it, so `pulumi destroy` does not wait on deletes the cluster's own destruction makes moot.
   */
  declare readonly lifetime: pulumi.Resource;
  /**
   * Done once CoreDNS runs with FreeIPA's zones (its pods rolled onto the current block), or
   * nothing to wait for without FreeIPA: what resolves topology names from pods waits for it.
   */
  declare readonly clusterDnsReady: pulumi.Resource[];
  /**
   * The K3s server token (secret): a restore from an etcd snapshot needs it besides the snapshot
   * (K3s encrypts its bootstrap data in etcd, the Secrets' encryption key among it, with the token).
   * Keep a copy off the host (`pulumi stack output k3sToken --show-secrets`, docs/backups.md).
   */
  declare readonly token: pulumi.Output<string>;

  constructor(name: string, args: K3sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flatcarmicrocloud:cluster:K3sCluster", name, {}, opts);
    const { settings } = args;
    const servers = settings.servers.map((n) => k3sNode(args.nodes, n, "k3s-server"));
    const agents = settings.agents.map((n) => k3sNode(args.nodes, n, "k3s-agent"));
    const storage = new Set(settings.storageNodes);
    const first = servers[0];
    const apiEndpoint = `https://${settings.apiHost}:${K3S_API_PORT}`;

    // Shared by every node; changes only if the resource is replaced, i.e. never on a live cluster.
    const token = new random.RandomPassword(`${name}-token`, { length: 48, special: false }, { parent: this });
    // The token K3s runs with: the configured one (a rebuilt stack's old token), else the generated
    // one. It reaches the nodes only in their config.yaml (the install step's secret stdin, whose
    // change updates in place: triggers hold the root disk only).
    // Derived from the generated token either way, so every step keeps its dependency on it.
    const configured = args.token;
    const k3sToken = pulumi.secret(configured !== undefined ? pulumi.all([configured, token.result]).apply(([t]) => t) : token.result);
    // The etcd snapshot keys carry the target's credentials: they travel inside the secret stdin.
    const backup = args.backup;
    const etcdSnapshots = backup && pulumi.secret(pulumi.output(backup.credentials).apply((c) => etcdSnapshotConfig(backup.settings, c)));
    // The install script's stdin: config.yaml, then the registry mirror's files (./registries.ts).
    const nodeConfig = (node: InfraNode, kind: K3sNodeKind) =>
      pulumi.secret(pulumi.all([k3sToken, etcdSnapshots, args.nodeMirror])).apply(([t, snapshots, mirror]) =>
        nodeStdin(
          renderK3sConfig({
            node,
            kind,
            token: t,
            serverUrl: `https://${first.clusterAddress}:${K3S_API_PORT}`,
            tlsSans: settings.tlsSans,
            storage: storage.has(node.name),
            etcdSnapshots: snapshots,
            disableDefaultRegistryEndpoint: mirror?.airGap === true,
          }),
          mirror,
        ),
      );

    // Cluster membership is managed from a server: only servers hold the admin kubeconfig. For the
    // first server that is another server, so its own VM can be re-created while the API answers.
    const managerOf = (node: InfraNode): InfraNode => servers.find((s) => s !== node) ?? first;
    // Destroying the cluster destroys everything on it: these steps' deletes (drain, uninstall,
    // node removal) only matter while the cluster lives on, so `pulumi destroy` skips them.
    const lifecycle = { parent: this, deletedWith: token };

    const cephStateDiskStep = (node: InfraNode, connection: ReturnType<typeof connectionTo>, boot: command.remote.Command) => {
      const disk = node.stateDisk;
      if (!disk) return undefined;
      const script = remoteCommand(renderCephStateDiskScript({ name: node.name, stateDisk: disk }), { name: "ceph-state-disk", root: true });
      // Not attached yet (rolled in one node per run): nothing to do; attaching it re-creates the
      // domain, whose new id runs the script.
      const waiting = remoteCommand(`echo ${shellQuote(`${node.name}: Ceph state disk not attached yet; a later pulumi up attaches it`)} >&2`, { name: "ceph-state-disk", root: false });
      const create = node.stateDiskAttached ? node.stateDiskAttached.apply((attached) => (attached ? script : waiting)) : script;
      return new command.remote.Command(
        `${name}-${node.name}-ceph-state`,
        // Per VM: every (re)creation of the domain runs it again (a no-op once mounted).
        { connection, create, update: create, triggers: [node.domainId] },
        { parent: this, dependsOn: [boot], deleteBeforeReplace: true },
      );
    };

    const installs = new Map<InfraNode, command.remote.Command>();
    const install = (node: K3sInfraNode, kind: K3sNodeKind, after: pulumi.Resource[]): command.remote.Command => {
      const connection = connectionTo(node, args.sshPrivateKey);
      // The last step before the provider deletes the node's domain (which would power a running
      // guest off hard): on the machine running Pulumi, over libvirt, the guest powers off cleanly
      // and the step waits until it is shut off (bounded; it fails rather than force it). Per VM,
      // like the boot step, which depends on it: every step on the node (drain, Ceph state,
      // uninstall) is deleted before it. Nothing on create. Skipped on destroy, like the drain.
      const shutdown = new command.local.Command(
        `${name}-${node.name}-shutdown`,
        {
          delete: remoteCommand(renderShutdownVm({ libvirtUri: settings.libvirtUris[node.name], domain: node.name }), { name: "shutdown-vm", root: false }),
          triggers: [node.domainId],
        },
        { ...lifecycle, deleteBeforeReplace: true },
      );
      const boot = new command.remote.Command(
        `${name}-${node.name}-boot`,
        {
          connection,
          create: remoteCommand(renderWaitForBoot(node), { name: "wait-for-boot", root: false }),
          triggers: [node.domainId],
        },
        { parent: this, deleteBeforeReplace: true, dependsOn: [shutdown] },
      );
      // Storage nodes: Ceph's state directory onto its own disk, before K3s is installed (a new
      // node) or while the node is drained (an existing one re-created with the disk: the member
      // step, which uncordons it, waits for K3s's step, which waits for this one).
      const stateDisk = cephStateDiskStep(node, connection, boot);
      // The node's place in the cluster, tied to its disk: a new root disk (a new machine) first
      // removes the old node from Kubernetes (and etcd), so the new machine can join under the same
      // name. Nothing to do on create. The single server has nobody to remove it from.
      const manager = managerOf(node);
      const membership = new command.remote.Command(
        `${name}-${node.name}-membership`,
        {
          connection: connectionTo(manager, args.sshPrivateKey),
          delete: manager === node ? undefined : remoteCommand(renderRemoveNode({ nodeName: node.name }), { name: "remove-node", root: true }),
          triggers: [node.rootVolumeId],
        },
        { ...lifecycle, deleteBeforeReplace: true, dependsOn: node === first ? [] : [installs.get(first) as command.remote.Command] },
      );
      const script = remoteCommand(
        renderInstallK3s({
          nodeName: node.name,
          kind,
          version: settings.k3sVersion,
          nodeIp: node.clusterAddress,
          expectedIface: node.clusterIface,
          peerServers: servers.filter((s) => s !== node).map((s) => `https://${s.clusterAddress}:${K3S_API_PORT}`),
        }),
        { name: "install-k3s", root: true },
      );
      const installed = new command.remote.Command(
        `${name}-${node.name}-k3s`,
        {
          connection,
          // The same script on update: a new version or config re-runs it in place (no uninstall).
          create: script,
          update: script,
          delete: boot.stdout.apply((machineId) =>
            remoteCommand(renderUninstallK3s({ nodeName: node.name, kind, machineId }), { name: "uninstall-k3s", root: true }),
          ),
          stdin: nodeConfig(node, kind),
          // K3s and its data live on the root disk: only a new disk (a new machine) installs from
          // scratch. A VM re-created on the same disk (a resize) keeps K3s, which starts on boot.
          triggers: [node.rootVolumeId],
        },
        { ...lifecycle, dependsOn: [boot, membership, ...(stateDisk ? [stateDisk] : []), ...after], deleteBeforeReplace: true, additionalSecretOutputs: ["stdin"] },
      );
      installs.set(node, installed);
      return installed;
    };

    // Servers one at a time: each waits for the previous one to be Ready (on install and on upgrade).
    const serverInstalls: command.remote.Command[] = [];
    servers.forEach((node, i) => {
      serverInstalls.push(install(node, i === 0 ? "init-server" : "server", serverInstalls.slice(-1)));
    });
    for (const node of agents) install(node, "agent", serverInstalls.slice(-1));

    // Per node, the step around its VM: re-created on the same disk (its domain id changes), the
    // engine deletes this step first (deleteBeforeReplace on the domain replaces what takes its id
    // in `triggers`), which drains the node; the new step waits for it to be Ready, uncordons it and
    // sets its labels and taints.
    const members = [...servers, ...agents].map((node) => {
      const manager = managerOf(node);
      const reconcile = remoteCommand(
        renderReconcileNode({ nodeName: node.name, labels: nodeLabels(node, storage.has(node.name)), taints: node.taints }),
        { name: "reconcile-node", root: true },
      );
      return new command.remote.Command(
        `${name}-${node.name}-member`,
        {
          connection: connectionTo(manager, args.sshPrivateKey),
          create: reconcile,
          update: reconcile,
          // The single server drains itself: its API answers until its VM goes down. A drain that
          // cannot finish, or (storage nodes) a Ceph that is not clean, fails the run: the VM stays.
          delete: remoteCommand(renderDrainNode({ nodeName: node.name, storage: storage.has(node.name) }), { name: "drain-node", root: true }),
          triggers: [node.domainId],
        },
        { ...lifecycle, dependsOn: [installs.get(node) as command.remote.Command, installs.get(manager) as command.remote.Command], deleteBeforeReplace: true },
      );
    });

    const onFirstServer = connectionTo(first, args.sshPrivateKey);
    const readKubeconfig = new command.remote.Command(
      `${name}-kubeconfig`,
      {
        connection: onFirstServer,
        create: remoteCommand(renderReadKubeconfig(settings.k3sVersion), { name: "read-kubeconfig", root: true }),
        logging: "none",
        // pulumi-command sends a command's previous stdout along with every later run (SSH setenv
        // PULUMI_COMMAND_STDOUT), unless told not to: here that is the admin kubeconfig.
        addPreviousOutputInEnv: false,
        // New credentials come with a new machine; a re-created VM on the same disk keeps them.
        triggers: [first.rootVolumeId],
      },
      { parent: this, dependsOn: [serverInstalls[0]], additionalSecretOutputs: ["stdout"] },
    );
    const kubeconfig = pulumi.secret(readKubeconfig.stdout.apply((text) => rewriteKubeconfig(text, apiEndpoint, settings.clusterName)));

    // The kubeconfig names the load balancer: stage 3 may start only once HAProxy forwards the API
    // to a server. Probed on the load balancer itself once every server is installed, and again
    // whenever the load balancer's VM is replaced.
    const gateway = apiGatewayOf(args.nodes, settings.apiHost);
    const gatewayReady =
      gateway &&
      new command.remote.Command(
        `${name}-api-gateway`,
        {
          connection: connectionTo(gateway.node, args.sshPrivateKey),
          create: remoteCommand(renderWaitForApiGateway({ address: gateway.address }), { name: "wait-for-api-gateway", root: false }),
          triggers: [gateway.node.domainId],
        },
        { parent: this, dependsOn: [...serverInstalls, ...(args.apiGatewayConfigured ?? [])] },
      );

    const provider = new k8s.Provider(
      `${name}-provider`,
      // A fixed identifier: a re-read kubeconfig updates the provider instead of replacing it and
      // every resource stage 3 created with it.
      { kubeconfig, clusterIdentifier: settings.clusterName },
      { parent: this, dependsOn: [readKubeconfig, ...members, ...(gatewayReady ? [gatewayReady] : [])] },
    );

    // Pods resolve FreeIPA's zones through FreeIPA (./cluster-dns.ts says why). K3s's addon
    // controller re-applies its CoreDNS manifest on every K3s start with a three-way merge patch
    // (kubectl-apply semantics, against the manifest it last applied): keys it never set, like this
    // annotation, are neither reverted nor diffed, and K3s never touches coredns-custom. The
    // ConfigMap has K3s's fixed name: a changed block replaces it (ConfigMap data is immutable to
    // the provider) delete-first; the roll annotation then restarts CoreDNS onto it, once.
    const clusterDnsReady: pulumi.Resource[] = [];
    if (args.clusterDns) {
      const block = renderCorednsServerBlock(args.clusterDns);
      const onCluster = { parent: this, provider, deletedWith: token };
      const custom = new k8s.core.v1.ConfigMap(
        `${name}-coredns-custom`,
        { metadata: { namespace: COREDNS_CUSTOM.namespace, name: COREDNS_CUSTOM.name }, data: { [COREDNS_CUSTOM.key]: block } },
        { ...onCluster, dependsOn: args.dnsRecordsServed ?? [], deleteBeforeReplace: true },
      );
      // Server-side apply of this one key (the provider's own field manager): waits for the rollout.
      const roll = new k8s.apps.v1.DeploymentPatch(
        `${name}-coredns-roll`,
        {
          metadata: { namespace: COREDNS_DEPLOYMENT.namespace, name: COREDNS_DEPLOYMENT.name },
          spec: { template: { metadata: { annotations: { [COREDNS_ROLL_ANNOTATION]: corednsBlockHash(block) } } } },
        },
        { ...onCluster, dependsOn: [custom] },
      );
      clusterDnsReady.push(roll);
    }

    this.apiEndpoint = apiEndpoint;
    this.clusterDnsReady = clusterDnsReady;
    this.kubeconfig = kubeconfig;
    this.nodeNames = { servers: [...settings.servers], agents: [...settings.agents], storage: [...settings.storageNodes] };
    this.provider = provider;
    this.lifetime = token;
    this.token = k3sToken;
    this.registerOutputs({ apiEndpoint, kubeconfig, nodeNames: this.nodeNames });
  }
}

/**
 * The load balancer the API endpoint names, and the address to probe on it: `apiHost` when it is
 * one of the load balancer's addresses, its first address when `apiHost` is its FQDN. None when the
 * endpoint is a server (dev: no load balancer) or a host stage 1 does not know.
 */
function apiGatewayOf(nodes: InfraNode[], apiHost: string): { node: InfraNode; address: string } | undefined {
  for (const node of nodes.filter((n) => n.role === "loadbalancer")) {
    if (node.addresses.some((a) => a.address === apiHost)) return { node, address: apiHost };
    if (node.fqdn === apiHost) return { node, address: node.primaryAddress };
    // A loopback API host is an SSH tunnel to the load balancer (a remote Pulumi machine).
    if (/^(127\.\d+\.\d+\.\d+|localhost)$/.test(apiHost)) return { node, address: node.primaryAddress };
  }
  return undefined;
}

/** A K3s node: a VM with an address and interface on the cluster network. */
type K3sInfraNode = InfraNode & { clusterAddress: string; clusterIface: string };

function k3sNode(nodes: InfraNode[], name: string, role: "k3s-server" | "k3s-agent"): K3sInfraNode {
  const node = nodes.find((n) => n.name === name);
  if (!node) throw new Error(`K3sCluster: the cluster settings name ${name}, but stage 1 has no such node`);
  if (node.role !== role) throw new Error(`K3sCluster: ${name} has role ${node.role} in stage 1, expected ${role}`);
  if (!node.clusterAddress || !node.clusterIface) {
    throw new Error(`K3sCluster: ${name} has no address on the cluster network`);
  }
  return { ...node, clusterAddress: node.clusterAddress, clusterIface: node.clusterIface };
}
