/**
 * Stage 2: K3s on the VMs stage 1 created, over SSH, then a Kubernetes provider for stage 3.
 *
 * Per node, three remote commands, each named after what it does:
 *   <node>-boot     waits for first boot to finish and records the machine id;
 *   <node>-k3s      installs / upgrades / reconfigures K3s (delete: uninstalls it);
 *   <node>-member   on the first server: waits for the node, sets labels and taints
 *                   (delete: drains the node and deletes it from Kubernetes).
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
import { ClusterSettings } from "../config/cluster";
import { K3S_API_PORT } from "../ports";
import { K3sNodeKind, nodeLabels, renderK3sConfig } from "./k3s-config";
import { rewriteKubeconfig } from "./kubeconfig";
import {
  renderInstallK3s,
  renderReadKubeconfig,
  renderReconcileNode,
  renderRemoveNode,
  renderUninstallK3s,
  renderWaitForApiGateway,
  renderWaitForBoot,
} from "./scripts";
import { connectionTo } from "./ssh";
import { InfraNode } from "./types";
import { remoteCommand } from "../shell";

export type { InfraNode } from "./types";
export { connectionTo } from "./ssh";
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
    const nodeConfig = (node: InfraNode, kind: K3sNodeKind) =>
      pulumi.secret(token.result).apply((t) =>
        renderK3sConfig({
          node,
          kind,
          token: t,
          serverUrl: `https://${first.clusterAddress}:${K3S_API_PORT}`,
          tlsSans: settings.tlsSans,
          storage: storage.has(node.name),
        }),
      );

    const install = (node: InfraNode, kind: K3sNodeKind, after: pulumi.Resource[]): command.remote.Command => {
      const connection = connectionTo(node, args.sshPrivateKey);
      const boot = new command.remote.Command(
        `${name}-${node.name}-boot`,
        {
          connection,
          create: remoteCommand(renderWaitForBoot(node), { name: "wait-for-boot", root: false }),
          triggers: [node.domainId],
        },
        { parent: this, deleteBeforeReplace: true },
      );
      const script = remoteCommand(renderInstallK3s({ nodeName: node.name, kind, version: settings.k3sVersion }), {
        name: "install-k3s",
        root: true,
      });
      return new command.remote.Command(
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
          // A new VM (new domain id) gets K3s from scratch; the old one's uninstall runs first.
          triggers: [node.domainId],
        },
        { parent: this, dependsOn: [boot, ...after], deleteBeforeReplace: true, additionalSecretOutputs: ["stdin"] },
      );
    };

    // Servers one at a time: each waits for the previous one to be Ready (on install and on upgrade).
    const serverInstalls: command.remote.Command[] = [];
    servers.forEach((node, i) => {
      serverInstalls.push(install(node, i === 0 ? "init-server" : "server", serverInstalls.slice(-1)));
    });
    const agentInstalls = agents.map((node) => install(node, "agent", serverInstalls.slice(-1)));

    // Membership is managed from the first server: only there is an admin kubeconfig.
    const onFirstServer = connectionTo(first, args.sshPrivateKey);
    const members = [...servers, ...agents].map((node, i) => {
      const nodeInstall = i < servers.length ? serverInstalls[i] : agentInstalls[i - servers.length];
      return new command.remote.Command(
        `${name}-${node.name}-member`,
        {
          connection: onFirstServer,
          create: remoteCommand(
            renderReconcileNode({ nodeName: node.name, labels: nodeLabels(node, storage.has(node.name)), taints: node.taints }),
            { name: "reconcile-node", root: true },
          ),
          // The first server cannot drain itself out of the cluster it holds; it goes with the stack.
          delete: node === first ? undefined : remoteCommand(renderRemoveNode({ nodeName: node.name }), { name: "remove-node", root: true }),
          triggers: [node.domainId],
        },
        { parent: this, dependsOn: [nodeInstall, serverInstalls[0]], deleteBeforeReplace: true },
      );
    });

    const readKubeconfig = new command.remote.Command(
      `${name}-kubeconfig`,
      {
        connection: onFirstServer,
        create: remoteCommand(renderReadKubeconfig(settings.k3sVersion), { name: "read-kubeconfig", root: true }),
        logging: "none",
        triggers: [first.domainId],
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

    this.apiEndpoint = apiEndpoint;
    this.kubeconfig = kubeconfig;
    this.nodeNames = { servers: [...settings.servers], agents: [...settings.agents], storage: [...settings.storageNodes] };
    this.provider = provider;
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
  }
  return undefined;
}

function k3sNode(nodes: InfraNode[], name: string, role: "k3s-server" | "k3s-agent"): InfraNode {
  const node = nodes.find((n) => n.name === name);
  if (!node) throw new Error(`K3sCluster: the cluster settings name ${name}, but stage 1 has no such node`);
  if (node.role !== role) throw new Error(`K3sCluster: ${name} has role ${node.role} in stage 1, expected ${role}`);
  if (!node.clusterAddress || !node.clusterIface) {
    throw new Error(`K3sCluster: ${name} has no address on the cluster network`);
  }
  return node;
}
