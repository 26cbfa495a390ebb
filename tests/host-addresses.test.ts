/**
 * Item 9: the seed's host table gives the hypervisor's own enp4s0f0 192.168.0.20, the address the
 * seed also gives bastion1. `hostAddresses` lists the host's addresses and the config validation
 * refuses a VM that uses one; the prod stack lists the seed's four and moves bastion1.
 */
import { parseTopology } from "../config/validate";
import { problemsOf } from "./helpers/problems";
import { rawStack } from "./helpers/stacks";

const SEED_HOST_ADDRESSES = ["192.168.0.15", "192.168.0.16", "192.168.0.18", "192.168.0.20"];

function withBastionAt(address: string): Record<string, unknown>[] {
  const vms = rawStack("prod").vms as Record<string, unknown>[];
  return vms.map((vm) =>
    vm.name === "bastion1"
      ? { ...vm, nics: (vm.nics as Record<string, unknown>[]).map((n) => (n.network === "br0" ? { ...n, address } : n)) }
      : vm,
  );
}

describe("hostAddresses", () => {
  it("prod lists the seed's four host addresses and no VM uses one", () => {
    const topology = parseTopology(rawStack("prod"), "prod");
    expect(topology.hosts[0].addresses).toEqual(SEED_HOST_ADDRESSES);
    const vmAddresses = topology.vms.flatMap((vm) => vm.nics.map((n) => n.address));
    expect(vmAddresses.filter((a) => SEED_HOST_ADDRESSES.includes(a))).toEqual([]);
    expect(vmAddresses).toContain("192.168.0.22");
  });

  it("refuses the seed's bastion1 address, naming the VM's key and the host key", () => {
    const problems = problemsOf(() => parseTopology(rawStack("prod", { vms: withBastionAt("192.168.0.20") }), "prod"));
    expect(problems).toEqual([
      expect.stringMatching(/^vms\[0\]\.nics\[0\]\.address: 192\.168\.0\.20 \(bastion1 on br0\) is one of the host's own addresses \(hostAddresses\)/),
    ]);
  });

  it("accepts the seed's address once the host does not hold it", () => {
    const raw = rawStack("prod", { vms: withBastionAt("192.168.0.20"), hostAddresses: ["192.168.0.15"] });
    expect(problemsOf(() => parseTopology(raw, "prod"))).toEqual([]);
  });

  it("defaults to none and rejects a malformed entry", () => {
    expect(parseTopology(rawStack("dev"), "dev").hosts[0].addresses).toEqual([]);
    expect(problemsOf(() => parseTopology(rawStack("prod", { hostAddresses: ["192.168.0.300"] }), "prod"))).toEqual([
      'hostAddresses: "192.168.0.300" is not an IPv4 address',
    ]);
  });
});
