/**
 * Networks across hosts (issue 19 item 2, config/network-span.ts): a NAT network lives on one host, a
 * bridge network on every host with a VM on it; VMs that must talk but share only another host's NAT
 * network are refused before anything is created, naming the VMs, their hosts and the network.
 */
import { bridgeOn, checkNetworkHosts, checkNetworkPlacement, hostLocalOnly, linkBetween, networkHost, SpanTopology, SpanVm } from "../config/network-span";
import { networkArgs } from "../infra/machines";
import { networksOn } from "../infra/placement";
import { NetworkSpec, NicSpec, Role } from "../config/topology";
import { parseTopology, RawStackConfig } from "../config/validate";
import { ONE_HOST_KEYS } from "../config/hosts";
import { rawStack } from "./helpers/stacks";
import { problemsOf } from "./helpers/problems";

const nat = (name: string, host?: string): NetworkSpec => ({ name, mode: "nat", cidr: "10.0.0.0/24", gateway: "10.0.0.1", dns: [], ...(host ? { host } : {}) });
const lan: NetworkSpec = { name: "lan", mode: "bridge", cidr: "192.168.0.0/24", bridge: "br0", gateway: "192.168.0.1", dns: [] };

function nic(network: string, primary = false): NicSpec {
  return { network, address: "10.0.0.9", prefix: 24, mac: "52:54:00:00:00:01", iface: "nic0", primary };
}
function vm(name: string, role: Role, host: string, networks: string[]): SpanVm {
  return { name, role, host, nics: networks.map((n, i) => nic(n, i === 0)) };
}
function topology(vms: SpanVm[], networks: NetworkSpec[] = [nat("kube"), lan], clusterNetwork = "lan"): SpanTopology {
  return { hosts: [{ name: "pro1" }, { name: "pro2" }, { name: "pro3" }], networks, vms, clusterNetwork };
}

describe("where each network is defined", () => {
  const t = topology([vm("server1", "k3s-server", "pro1", ["kube", "lan"]), vm("worker4", "k3s-agent", "pro3", ["lan"])], [nat("kube"), nat("side", "pro3"), lan]);

  it("a NAT network lives on its host (default the first); a bridge network on none in particular", () => {
    expect(networkHost(t, t.networks[0])).toBe("pro1");
    expect(networkHost(t, t.networks[1])).toBe("pro3");
    expect(networkHost(t, lan)).toBeUndefined();
  });

  it("a bridge network's bridge per host: hostBridges where it differs, else bridge", () => {
    const spec = { ...lan, hostBridges: { pro2: "br-lan" } };
    expect(bridgeOn(spec, "pro1")).toBe("br0");
    expect(bridgeOn(spec, "pro2")).toBe("br-lan");
  });
});

describe("pairs that must talk", () => {
  it("share only a NAT network across hosts: refused, naming both VMs, their hosts and the network", () => {
    const t = topology([vm("server1", "k3s-server", "pro1", ["kube", "lan"]), vm("ipa1", "freeipa", "pro2", ["kube"])]);
    expect(hostLocalOnly(t, t.vms[0], t.vms[1], "K3s nodes use freeipa")).toBe(
      "server1 (host pro1) and ipa1 (host pro2) must talk (K3s nodes use freeipa) but share only kube, a NAT network of host pro1 " +
        "that does not leave that host: put both on a bridge network (mode: bridge), the LAN segment or VLAN every host's bridge is on (docs/multi-host-networks.md)",
    );
  });

  it("on one host, a NAT network carries their traffic", () => {
    const t = topology([vm("server1", "k3s-server", "pro1", ["kube"]), vm("ipa1", "freeipa", "pro1", ["kube"])]);
    expect(linkBetween(t, t.vms[0], t.vms[1])).toEqual({ network: t.networks[0] });
    expect(hostLocalOnly(t, t.vms[0], t.vms[1], "")).toBeUndefined();
  });

  it("across hosts, a bridge network carries it even when a host-local network comes first", () => {
    const t = topology([vm("server1", "k3s-server", "pro1", ["kube", "lan"]), vm("worker4", "k3s-agent", "pro2", ["kube", "lan"])]);
    expect(linkBetween(t, t.vms[0], t.vms[1])).toEqual({ network: lan });
    expect(hostLocalOnly(t, t.vms[0], t.vms[1], "")).toBeUndefined();
  });

  it("sharing nothing is left to the callers' own message", () => {
    const t = topology([vm("server1", "k3s-server", "pro1", ["kube"]), vm("worker4", "k3s-agent", "pro2", ["lan"])]);
    expect(linkBetween(t, t.vms[0], t.vms[1])).toBeUndefined();
    expect(hostLocalOnly(t, t.vms[0], t.vms[1], "")).toBeUndefined();
  });
});

describe("placement rules", () => {
  it("a NIC on another host's NAT network is refused, naming the key, the VM, both hosts and the network", () => {
    const t = topology([vm("server1", "k3s-server", "pro1", ["lan"]), vm("ipa1", "freeipa", "pro2", ["lan", "kube"])]);
    expect(checkNetworkPlacement(t)).toEqual([
      {
        key: "vms[1].nics[1].network",
        problem:
          "ipa1 runs on host pro2 but kube is a NAT network of host pro1 (networks[0].host): libvirt creates a NAT network on its own host only; " +
          "give ipa1 a NIC on a bridge network instead, or a NAT network of pro2",
      },
    ]);
  });

  it("a NAT cluster network with K3s nodes on two hosts is refused under clusterNetwork", () => {
    const t = topology([vm("server1", "k3s-server", "pro1", ["kube"]), vm("worker4", "k3s-agent", "pro2", ["kube"])], [nat("kube"), lan], "kube");
    const problems = checkNetworkPlacement(t);
    expect(problems.map((p) => p.key)).toEqual(["vms[1].nics[0].network", "clusterNetwork"]);
    expect(problems[1].problem).toBe(
      "kube is a NAT network of host pro1, but K3s nodes run on pro1, pro2 (worker4 on pro2): the cluster network must reach every host with K3s nodes; " +
        "make it a bridge network (mode: bridge) on the LAN segment or VLAN all hosts share (docs/multi-host-networks.md)",
    );
  });

  it("a NAT network of the host its VMs run on, and a bridge cluster network across hosts, are accepted", () => {
    const t = topology(
      [vm("server1", "k3s-server", "pro1", ["kube", "lan"]), vm("worker4", "k3s-agent", "pro3", ["side", "lan"])],
      [nat("kube"), nat("side", "pro3"), lan],
    );
    expect(checkNetworkPlacement(t)).toEqual([]);
  });

  it("unknown hosts in networks[].host and networks[].hostBridges are refused", () => {
    const t = topology([vm("server1", "k3s-server", "pro1", ["lan"])], [nat("kube", "pro9"), { ...lan, hostBridges: { pro8: "br1" } }]);
    expect(checkNetworkHosts(t)).toEqual([
      { key: "networks[0].host", problem: 'unknown host "pro9" (hosts: pro1, pro2, pro3)' },
      { key: "networks[1].hostBridges", problem: 'unknown host "pro8" (hosts: pro1, pro2, pro3)' },
    ]);
  });
});

describe("the stack config, through parseTopology", () => {
  type Raw = RawStackConfig & { networks: Record<string, unknown>[]; vms: (Record<string, unknown> & { name: string })[]; hosts?: unknown[] };
  const edit = (raw: Raw, change: (r: Raw) => void): Raw => {
    change(raw);
    return raw;
  };
  const prodWith = (change: (raw: Raw) => void): RawStackConfig => edit(structuredClone(rawStack("prod")) as Raw, change);
  const host = (name: string, libvirtUri: string, addresses: string[]) => ({
    name,
    libvirtUri,
    threads: 24,
    memoryGiB: 35,
    reservedMemoryGiB: 1,
    addresses,
    pools: [{ name: "disk1", path: "/var/lib/libvirt/images/flatcarmicrocloud-prod" }],
  });
  /** prod on the seed's host and a second ProLiant, worker3 moved there. */
  const twoHosts = (change: (raw: Raw) => void = () => undefined): RawStackConfig =>
    prodWith((r) => {
      for (const key of ONE_HOST_KEYS) delete (r as unknown as Record<string, unknown>)[key];
      r.hosts = [host("pro1", "qemu:///system", ["192.168.0.15"]), host("pro2", "qemu+ssh://root@192.168.0.30/system", ["192.168.0.30"])];
      (r.vms.find((v) => v.name === "worker3") as Record<string, unknown>).host = "pro2";
      change(r);
    });
  const parse = (raw: RawStackConfig) => problemsOf(() => parseTopology(raw, "prod"));
  /** The cluster network kube_network_03 as a bridge onto a VLAN both hosts' br-kube carry. */
  const bridged = (r: Raw) => {
    r.networks[2] = { name: "kube_network_03", mode: "bridge", bridge: "br-kube", cidr: "10.17.4.0/24", gateway: "10.17.4.1" };
  };

  it("refuses a K3s node on another host than its NAT cluster network, naming the VMs, hosts and network", () => {
    const problems = parse(twoHosts());
    expect(problems).toContain(
      "vms[8].nics[0].network: worker3 runs on host pro2 but kube_network_03 is a NAT network of host pro1 (networks[2].host): " +
        "libvirt creates a NAT network on its own host only; give worker3 a NIC on a bridge network instead, or a NAT network of pro2",
    );
    expect(problems).toContain(
      "clusterNetwork: kube_network_03 is a NAT network of host pro1, but K3s nodes run on pro1, pro2 (worker3 on pro2): the cluster network must reach " +
        "every host with K3s nodes; make it a bridge network (mode: bridge) on the LAN segment or VLAN all hosts share (docs/multi-host-networks.md)",
    );
    // Every pair that must talk: worker3 and the services and servers, the bastion and worker3.
    const pairs = problems.filter((p) => p.startsWith("vms: ")).map((p) => /^vms: (\S+) \(host (\S+)\) and (\S+) \(host (\S+)\).*share only (\S+),/.exec(p)?.slice(1));
    expect(pairs).toEqual([
      ["worker3", "pro2", "freeipa1", "pro1", "kube_network_03"],
      ["worker3", "pro2", "postgresql1", "pro1", "kube_network_03"],
      ["worker3", "pro2", "loadbalancer1", "pro1", "kube_network_03"],
      ["worker3", "pro2", "bootstrap1", "pro1", "kube_network_03"],
      ["worker3", "pro2", "master1", "pro1", "kube_network_03"],
      ["bastion1", "pro1", "worker3", "pro2", "kube_network_03"],
    ]);
    expect(problems).toHaveLength(8);
  });

  it("refuses a service VM on another host that shares only a NAT network with the K3s nodes", () => {
    const problems = parse(
      twoHosts((r) => {
        bridged(r);
        // freeipa1 joins worker3 on pro2 but keeps only its NAT legs of pro1's networks.
        (r.vms.find((v) => v.name === "freeipa1") as Record<string, unknown>).host = "pro2";
      }),
    );
    expect(problems).toContain(
      "vms[2].nics[0].network: freeipa1 runs on host pro2 but kube_network_02 is a NAT network of host pro1 (networks[1].host): " +
        "libvirt creates a NAT network on its own host only; give freeipa1 a NIC on a bridge network instead, or a NAT network of pro2",
    );
    expect(problems.filter((p) => p.startsWith("vms: ")).some((p) => p.startsWith("vms: bootstrap1 (host pro1) and freeipa1 (host pro2)"))).toBe(false);
  });

  it("accepts the cluster network bridged across both hosts, and a NAT network of the second host for its own VMs", () => {
    const t = parseTopology(
      twoHosts((r) => {
        bridged(r);
        r.networks.push({ name: "pro2_nat", mode: "nat", host: "pro2", cidr: "10.17.6.0/24" });
        const worker3 = r.vms.find((v) => v.name === "worker3") as unknown as { nics: unknown[] };
        worker3.nics = [...worker3.nics, { network: "pro2_nat", address: "10.17.6.26" }];
      }),
      "prod",
    );
    // Defined (infra/placement.ts networksOn): pro2's NAT network on pro2 only, the bridge on both.
    const on = (host: string) => networksOn(t, { name: host }).map((n) => n.name);
    expect(on("pro1")).toEqual(["br0", "kube_network_02", "kube_network_03"]);
    expect(on("pro2")).toEqual(["kube_network_03", "pro2_nat"]);
  });

  it("a bridge network attaches to each host's own bridge: hostBridges where it differs", () => {
    const t = parseTopology(
      twoHosts((r) => {
        bridged(r);
        r.networks[2].hostBridges = { pro2: "br0" };
      }),
      "prod",
    );
    expect(networkArgs(t.networks[2], t, "pro1")).toMatchObject({ mode: "bridge", bridge: "br-kube" });
    expect(networkArgs(t.networks[2], t, "pro2")).toMatchObject({ mode: "bridge", bridge: "br0" });
    // A one-host stack's bridge network is as before.
    const one = parseTopology(rawStack("prod"), "prod");
    expect(networkArgs(one.networks[0], one)).toEqual({ name: "br0", mode: "bridge", bridge: "br0", autostart: true });
  });

  it("refuses a network's host or hostBridges that names no host", () => {
    const problems = parse(
      twoHosts((r) => {
        bridged(r);
        r.networks[1].host = "pro9";
        r.networks[2].hostBridges = { pro8: "br1" };
      }),
    );
    expect(problems).toEqual(['networks[1].host: unknown host "pro9" (hosts: pro1, pro2)', 'networks[2].hostBridges: unknown host "pro8" (hosts: pro1, pro2)']);
  });

  it("a bridge network has no host; a NAT network no hostBridges", () => {
    const raw = prodWith((r) => {
      r.networks[0].host = "pro1";
      r.networks[1].hostBridges = { pro1: "br1" };
    });
    expect(parse(raw)).toEqual([
      "networks[0].host: only a NAT network lives on one host; a bridge network reaches every host with a VM on it (hostBridges names its bridge where it differs)",
      "networks[1].hostBridges: only a bridge network attaches to host bridges",
    ]);
  });

  it("hostBridges must map host names to bridge names", () => {
    expect(parse(prodWith((r) => (r.networks[0].hostBridges = { pro2: 7 })))).toEqual(["networks[0].hostBridges: must be a map of host name to bridge name"]);
  });

  it("a one-host stack parses as before: no network gets a host or hostBridges", () => {
    const t = parseTopology(rawStack("prod"), "prod");
    expect(t.networks.every((n) => n.host === undefined && n.hostBridges === undefined)).toBe(true);
    expect(networksOn(t, t.hosts[0])).toEqual(t.networks);
  });
});
