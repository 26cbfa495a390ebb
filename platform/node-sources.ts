/**
 * The addresses a node's own (host network) traffic carries when it reaches a pod, as kube-router, K3s's
 * NetworkPolicy controller, sees them: the sources "node" peers of an ingress rule must name.
 *
 * With flannel's VXLAN backend every node N owns one pod subnet 10.42.N.0/24 (its `spec.podCIDR`):
 * - flannel.1 carries the node's address `10.42.N.0/32` (the subnet's first address; flannel's vxlan
 *   backend), and the routes to the other nodes' subnets (`10.42.M.0/24 via 10.42.M.0 dev flannel.1
 *   onlink`) have no `src`, so a host process (the API server calling a webhook, the kubelet, the
 *   kernel RBD client, a hostNetwork pod such as the Ceph CSI node plugin) that reaches a pod on
 *   another node sends from 10.42.N.0. Traffic that leaves with another source (the node's own
 *   address, after kube-proxy's DNAT of a ClusterIP) is masqueraded to that same address: kube-proxy
 *   masquerades host traffic to ClusterIPs (`! -s <clusterCidr>`), and flannel's masquerade rules,
 *   which K3s installs, do the same for anything "headed towards flannel from the host".
 * - cni0 carries `10.42.N.1/24`, the gateway of the node's own pods: the source of the node's traffic
 *   to its own pods (kubelet probes). kube-router accepts that traffic before any policy (its pod
 *   firewall's first rule: `-m addrtype --src-type LOCAL -d <pod> -j ACCEPT`, "traffic to pods when
 *   source is the pod's local node"), so no policy needs to name it.
 * - the node's address on the cluster network (node-ip) is what a pod reaches a hostNetwork endpoint
 *   or the API server at: a destination of egress rules, not a source that crosses to another node.
 *
 * A node's podCIDR is handed out by the controller-manager in registration order (rotating through the
 * range), so it is not known before the cluster exists and changes when a node is re-created: the
 * peers are the first address of every subnet the range can hold. None of them is a pod's (host-local
 * IPAM gives pods .2 and up; .0 and .1 are flannel.1's and cni0's), so no pod matches them.
 */
import { parseCidr, formatIpv4 } from "../config/net";
import { K3S_NETWORK, K3S_NODE_CIDR_MASK } from "../ports";

/** `10.42.N.0/32` for every node subnet N of the cluster range: the nodes' flannel.1 addresses. */
export function flannelNodeAddresses(clusterCidr: string = K3S_NETWORK.clusterCidr, nodeMask: number = K3S_NODE_CIDR_MASK): string[] {
  const range = parseCidr(clusterCidr);
  if (!range || nodeMask < range.prefix || nodeMask > 30) throw new Error(`node subnets /${nodeMask} do not fit the cluster range ${clusterCidr}`);
  const subnets = 2 ** (nodeMask - range.prefix);
  const step = 2 ** (32 - nodeMask);
  return Array.from({ length: subnets }, (_, n) => `${formatIpv4(range.base + n * step)}/32`);
}
