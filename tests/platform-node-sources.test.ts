/**
 * "Node" peers of the platform's NetworkPolicies: kube-router (K3s's policy controller) matches pod
 * IPs against ipBlocks, so an ingress rule for the nodes' host-network traffic must name the addresses
 * that traffic really has (each node's flannel.1 address, `.0` of its pod subnet) and no address a
 * pod can have; egress to the nodes names the nodes' own addresses (platform/node-sources.ts).
 */
import { parsePlatformSettings } from "../config/platform";
import { parseIpv4 } from "../config/net";
import { parseTopology } from "../config/validate";
import { k3sClusterFacts } from "../cluster/facts";
import { namespaceAllows, renderNetworkPolicies } from "../platform/network-policies";
import { flannelNodeAddresses } from "../platform/node-sources";
import { planPlatform } from "../platform/plan";
import { rawStack } from "./helpers/stacks";

const topology = parseTopology(rawStack("prod"), "prod");
const plan = planPlatform({ ...k3sClusterFacts(topology), settings: parsePlatformSettings({}, topology) });

/** True when `address` lies in `cidr` (any prefix, /0 and /32 included). */
function contains(cidr: string, address: string): boolean {
  const [base, len] = cidr.split("/");
  const start = parseIpv4(base) as number;
  const ip = parseIpv4(address) as number;
  return ip >= start && ip < start + 2 ** (32 - Number(len));
}

/** Addresses the pods of node subnets get (host-local IPAM: .2 and up), a sample across the range. */
const POD_ADDRESSES = ["10.42.0.2", "10.42.0.17", "10.42.1.5", "10.42.2.254", "10.42.200.9", "10.42.255.100"];

describe("the nodes' flannel.1 addresses", () => {
  it("are .0 of every /24 the cluster range holds, and never a pod's", () => {
    const addresses = flannelNodeAddresses();
    expect(addresses).toHaveLength(256);
    expect(addresses.slice(0, 3)).toEqual(["10.42.0.0/32", "10.42.1.0/32", "10.42.2.0/32"]);
    expect(addresses[255]).toBe("10.42.255.0/32");
    for (const pod of POD_ADDRESSES) expect(addresses.some((a) => contains(a, pod))).toBe(false);
    // cni0's .1 is not needed: kube-router accepts a node's traffic to its own pods before any policy.
    expect(addresses.some((a) => contains(a, "10.42.3.1"))).toBe(false);
  });

  it("refuse a node mask that does not fit the range", () => {
    expect(() => flannelNodeAddresses("10.42.0.0/16", 8)).toThrow(/do not fit/);
  });
});

describe("node peers of the platform's policies (prod)", () => {
  const docs = renderNetworkPolicies(plan);
  const policy = (ns: string, name: string) => docs.find((d) => d.namespace === ns && d.name === name)?.spec as {
    ingress?: { from: { ipBlock?: { cidr: string } }[] }[];
    egress?: { to: { ipBlock?: { cidr: string } }[] }[];
  };
  const cidrsOf = (peers: { ipBlock?: { cidr: string } }[]) => peers.map((p) => p.ipBlock?.cidr).filter((c): c is string => c !== undefined);

  it.each([
    ["rook-ceph", "allow-from-nodes"],
    ["monitoring", "allow-webhook"],
    ["cert-manager", "allow-webhook"],
  ])("%s %s admits every node's flannel address and no pod", (ns, name) => {
    const from = cidrsOf(policy(ns, name).ingress![0].from);
    expect(from).toEqual(flannelNodeAddresses());
    expect(from).not.toContain("10.42.0.0/16");
    for (const pod of POD_ADDRESSES) expect(from.filter((c) => contains(c, pod))).toEqual([]);
  });

  it("no ingress ipBlock of any namespace admits pods, except the public entry points (world)", () => {
    for (const [ns, allows] of Object.entries(namespaceAllows(plan))) {
      for (const allow of allows.filter((a) => a.direction === "ingress")) {
        for (const peer of allow.peers) {
          if (peer.kind !== "cidr" || peer.cidr === "0.0.0.0/0") continue;
          for (const pod of POD_ADDRESSES) expect([ns, allow.name, peer.cidr, contains(peer.cidr, pod)]).toEqual([ns, allow.name, peer.cidr, false]);
        }
      }
    }
  });

  it("egress to the nodes names the K3s nodes' own addresses only", () => {
    const nodes = ["10.17.4.14/32", "10.17.4.21/32", "10.17.4.24/32", "10.17.4.25/32", "10.17.4.26/32"];
    expect(cidrsOf(policy("rook-ceph", "allow-to-nodes").egress![0].to)).toEqual(nodes);
    expect(cidrsOf(policy("monitoring", "allow-scrape-nodes").egress![0].to)).toEqual(nodes);
  });
});
