/**
 * What the pods' resolver (K3s's CoreDNS) is told about the topology's own names, from plain data.
 *
 * K3s's CoreDNS forwards everything outside `cluster.local` to the upstreams of the node's
 * resolv.conf, which a CoreDNS pod copies when it starts (`dnsPolicy: Default`): a pod started
 * before the host settings step switched the node to FreeIPA keeps libvirt's dnsmasq, which answers
 * the domain local-only (NXDOMAIN for grafana, traefik, ceph, the app hosts, every later FreeIPA
 * record). The VMs resolve the domain through FreeIPA alone (infra/roles/resolvers.ts); pods must get
 * the same answers. K3s's Corefile imports `/etc/coredns/custom/*.server` from the optional ConfigMap
 * `kube-system/coredns-custom`, which its Deployment mounts there: one server block in it sends the
 * domain and the VM networks' reverse zones to FreeIPA directly, whatever the node's resolv.conf
 * says. Everything else (internet names) still follows the node's resolvers.
 *
 * CoreDNS's `reload` plugin watches only the Corefile, not the files it imports (coredns/coredns#2633),
 * so a changed block reaches running pods only when they restart: the CoreDNS Deployment's pod
 * template carries the block's hash (`corednsRollAnnotation`), which rolls the pods when, and only
 * when, the block changes.
 */
import { createHash } from "crypto";
import { fqdn, nicOn, reachableNic, Topology, vmsWithRole } from "../config/topology";
import { reverseZone, vmReverseZones } from "../infra/roles/freeipa";
import { K3S_NETWORK } from "../ports";

/** K3s's optional ConfigMap of CoreDNS extensions, and the key (file) this program owns in it. */
export const COREDNS_CUSTOM = { namespace: "kube-system", name: "coredns-custom", key: "flatcarmicrocloud.server" } as const;
/** K3s's CoreDNS Deployment (its packaged manifest, applied by K3s's addon controller). */
export const COREDNS_DEPLOYMENT = { namespace: "kube-system", name: "coredns" } as const;
/** Pod-template annotation whose value is the block's SHA-256: a new value rolls the CoreDNS pods. */
export const COREDNS_ROLL_ANNOTATION = "flatcarmicrocloud.io/coredns-custom-sha256";
/** Seconds CoreDNS caches FreeIPA's answers (K3s's own block caches 30 s too). */
export const CLUSTER_DNS_CACHE_SECONDS = 30;

export interface ClusterDnsSpec {
  /** Zones FreeIPA is authoritative for: the domain, then the VM networks' reverse zones. */
  zones: string[];
  /** FreeIPA's addresses as pods reach them (through their node, on the cluster network). */
  upstreams: string[];
}

/**
 * FreeIPA's zones and addresses for the pods; undefined when the topology has no FreeIPA (then
 * the node's resolvers answer the domain, as on the VMs). Upstreams: each FreeIPA VM's address on
 * the cluster network, or, for one without a leg there, the addresses the K3s nodes reach it on
 * (CoreDNS's health checks skip one a node cannot reach). Reverse zones that hold the pod or
 * service range stay with K3s's own block (its `kubernetes` plugin answers those PTRs).
 */
export function clusterDnsFor(topology: Topology): ClusterDnsSpec | undefined {
  const servers = vmsWithRole(topology, "freeipa");
  if (servers.length === 0) return undefined;
  const nodes = topology.vms.filter((vm) => vm.role === "k3s-server" || vm.role === "k3s-agent");
  const upstreams = servers.flatMap((ipa) => {
    const onCluster = nicOn(ipa, topology.clusterNetwork);
    if (onCluster) return [onCluster.address];
    return nodes.map((node) => reachableNic(node, ipa)?.address).filter((a): a is string => a !== undefined);
  });
  if (upstreams.length === 0) {
    throw new Error(`cluster DNS: no K3s node reaches FreeIPA (${servers.map((s) => fqdn(s, topology.domain)).join(", ")}) on any network`);
  }
  const clusterZones = [K3S_NETWORK.clusterCidr, K3S_NETWORK.serviceCidr].map(reverseZone);
  const holdsClusterRange = (zone: string) => clusterZones.some((z) => z === zone || z.endsWith(`.${zone}`));
  const reverse = vmReverseZones(topology).filter((z) => !holdsClusterRange(z));
  return { zones: [topology.domain, ...reverse].map((z) => z.replace(/\.$/, "")), upstreams: [...new Set(upstreams)] };
}

/** The `.server` file: one CoreDNS server block for FreeIPA's zones. */
export function renderCorednsServerBlock(spec: ClusterDnsSpec): string {
  if (spec.zones.length === 0 || spec.upstreams.length === 0) throw new Error("cluster DNS: a server block needs zones and upstreams");
  for (const zone of spec.zones) {
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(zone)) throw new Error(`cluster DNS: "${zone}" is not a DNS zone name`);
  }
  for (const address of spec.upstreams) {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) throw new Error(`cluster DNS: upstream "${address}" is not an IPv4 address`);
  }
  return [
    "# Written by FlatcarMicroCloud (Pulumi, stage 2): FreeIPA's zones go to FreeIPA, as on the VMs.",
    `${spec.zones.map((z) => `${z}:53`).join(" ")} {`,
    "    errors",
    `    cache ${CLUSTER_DNS_CACHE_SECONDS}`,
    `    forward . ${spec.upstreams.join(" ")}`,
    "}",
    "",
  ].join("\n");
}

/** The value of COREDNS_ROLL_ANNOTATION for a block: changes exactly when the block does. */
export function corednsBlockHash(block: string): string {
  return createHash("sha256").update(block).digest("hex");
}
