/**
 * Networks across hosts in stage 1, under the mock engine (config/network-span.ts, infra/placement.ts
 * `networksOn`): the cluster network bridged on both hosts, each host's definition on its own bridge
 * (hostBridges), each VM's NIC on its own host's bridge; a NAT network of the second host defined
 * there only, never on the first.
 */
import { machineOutputs } from "./helpers/machine-outputs";
import { Harness, Recorded, startHarness } from "./helpers/pulumi-harness";
import { stackConfig } from "./helpers/stacks";
import { twoHostStack } from "./helpers/two-hosts";

let h: Harness;

beforeAll(async () => {
  const config = twoHostStack((r) => {
    r.deployUpTo = "vms";
    const networks = r.networks as Record<string, unknown>[];
    networks[2] = { ...networks[2], hostBridges: { proliant2: "br0" } };
    networks.push({ name: "pro2_nat", mode: "nat", host: "proliant2", cidr: "10.17.6.0/24" });
    const worker3 = r.vms.find((v) => v.name === "worker3") as { nics: Record<string, unknown>[] };
    worker3.nics = [...worker3.nics, { network: "pro2_nat", address: "10.17.6.26" }];
  }, stackConfig("prod"));
  h = await startHarness({ stack: "prod", config, outputsFor: machineOutputs });
  await import("../index");
  await h.settle();
});

const providerOf = (r: Recorded) => /::([^:]+)::[^:]*$/.exec(r.provider)?.[1];

it("defines each network on the hosts it reaches: NAT on its host only, the bridge on both", () => {
  const networks = h
    .byType("libvirt:index/network:Network")
    .map((n) => [n.name, providerOf(n), n.inputs.mode, n.inputs.bridge])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  expect(networks).toEqual([
    ["infra-br0", "infra-host", "bridge", "br0"],
    ["infra-kube_network_02", "infra-host", "nat", undefined],
    ["infra-kube_network_03", "infra-host", "bridge", "br-kube"],
    ["infra-proliant2/kube_network_03", "infra-host-proliant2", "bridge", "br0"],
    ["infra-proliant2/pro2_nat", "infra-host-proliant2", "nat", undefined],
  ]);
});

it("plugs each VM's NIC on a bridge network into its own host's bridge", () => {
  const nics = (vm: string) => (h.byName(`infra-${vm}`).inputs.networkInterfaces as Record<string, unknown>[]).map((n) => n.bridge ?? "network");
  expect(nics("worker3")).toEqual(["br0", "network"]);
  expect(nics("worker1")).toEqual(["br-kube"]);
});

it("checks each host's own bridge in its preflight, naming the key that gives it there", () => {
  // The script's bridges line, its quoting undone (the command wraps it in single quotes).
  const bridges = (name: string) => /FMC_BRIDGES=\(([^)]*)\)/.exec(String(h.byName(name).inputs.create).replace(/'\\''/g, "'"))?.[1];
  expect(bridges("infra-host-preflight")).toBe("'br0|networks[0].bridge' 'br-kube|networks[2].bridge'");
  // On proliant2 the cluster network's bridge is its hostBridges entry.
  expect(bridges("infra-host-preflight-proliant2/disk1")).toBe("'br0|networks[2].hostBridges.proliant2'");
});
