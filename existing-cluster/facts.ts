/**
 * The cluster facts of an existing cluster (`ClusterFacts`, ../cluster-facts.ts), from its
 * `existingNodes` list: the same shape the K3s stage derives from the VM topology, so the capacity
 * check and the platform's plan run unchanged, before anything is created.
 *
 * What an existing cluster does not have, the facts leave out: no FreeIPA (certificates come from the
 * issuer `tlsIssuer` names, a CA the program makes or the user's ACME server, else routes use
 * Traefik's default certificate; the user's DNS serves the names), no load balancer VM (the
 * ingress Service is a NodePort on every node, or a LoadBalancer: ingressServiceType), and kured
 * only where every node is Flatcar (existingNodes[].os).
 */
import { ClusterFacts, ClusterNode } from "../cluster-facts";
import { ExistingClusterSettings, ExistingNode } from "../config/existing-cluster";
import { INGRESS } from "../ports";

function clusterNode(n: ExistingNode): ClusterNode {
  return {
    name: n.name,
    role: n.role === "server" ? "k3s-server" : "k3s-agent",
    address: n.address,
    taints: [...n.taints],
    cephDevice: n.cephDevice,
    allocatable: { ...n.allocatable },
  };
}

export function existingClusterFacts(settings: ExistingClusterSettings, domain: string): ClusterFacts {
  const { serviceType, address } = settings.ingress;
  // A LoadBalancer Service answers on the public ports; NodePorts on the fixed ones (ports.ts).
  const ports = serviceType === "LoadBalancer" ? { httpsPort: INGRESS.https.publicPort, mqttPort: INGRESS.mqtt.publicPort } : { httpsPort: INGRESS.https.nodePort, mqttPort: INGRESS.mqtt.nodePort };
  return {
    domain,
    nodes: settings.nodes.map(clusterNode),
    // The user's own entry: whether MQTT reaches the LAN there is the user's network's business.
    ingress: { address, serviceType, mqttAddress: address, ...ports },
    podCidr: settings.podCidr,
    flatcarReboots: settings.nodes.length > 0 && settings.nodes.every((n) => n.os === "flatcar"),
    // The issuer the user chose (tlsIssuer); HTTP-01 reaches the hosts at the user's ingress address.
    tls: settings.tls && (settings.tls.issuer === "acme" ? { issuer: "acme", acme: settings.tls.acme, ingressAddress: address } : { issuer: "selfSigned", ingressAddress: address }),
  };
}

/**
 * The `existingNodes` entries (stack config, as YAML/JSON takes them) that describe the nodes of
 * `facts`: for a cluster K3s made from a VM topology and now deployed onto as an existing cluster
 * (the lab's KWOK nodes sized as the stack's K3s nodes). Reading them back gives the same nodes.
 */
export function existingNodesConfig(facts: Pick<ClusterFacts, "nodes" | "flatcarReboots">): Record<string, unknown>[] {
  return facts.nodes.map((n) => ({
    name: n.name,
    role: n.role === "k3s-server" ? "server" : "agent",
    address: n.address,
    allocatable: { cpu: `${n.allocatable.cpuMilli}m`, memory: `${n.allocatable.memoryMiB}Mi` },
    ...(n.taints.length > 0 ? { taints: [...n.taints] } : {}),
    ...(n.cephDevice ? { cephDevice: n.cephDevice } : {}),
    os: facts.flatcarReboots ? "flatcar" : "other",
  }));
}
