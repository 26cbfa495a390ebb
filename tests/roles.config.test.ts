/** Role settings: defaults, validation against the topology, and the helpers stage 2 and the guests use. */
import { parseRoleSettings, RawRoleConfig } from "../config/roles";
import { Topology } from "../config/topology";
import { loadBalancerListeners } from "../infra/roles/loadbalancer";
import { firstBootResolversFor, resolversFor } from "../infra/roles/resolvers";
import { sshRouteFor } from "../infra/nodes";
import { PEER_KEY, prodSettings, prodTopology, stackConfig, vm } from "./roles.helpers";
import { problemsOf } from "./helpers/problems";

const topology = prodTopology();

const problems = (raw: RawRoleConfig, t: Topology = topology): string[] => problemsOf(() => parseRoleSettings(raw, t));

const peer = (over: Record<string, unknown> = {}) => ({ name: "laptop", publicKey: PEER_KEY, allowedIps: ["10.17.99.2/32"], ...over });

describe("parseRoleSettings", () => {
  test("defaults: VPN on 51820 in 10.17.99.0/24, jump through the bastion, one database with a week of dumps", () => {
    const s = parseRoleSettings({}, topology);
    expect(s.wireguard).toEqual({ port: 51820, subnet: "10.17.99.0/24", prefix: 24, serverAddress: "10.17.99.1", peers: [] });
    expect(s.sshJumpHost).toBe("bastion1");
    expect(s.postgres).toEqual({ database: "microservices", role: "microservices", backupRetentionDays: 7, backupTime: "02:30" });
  });

  test("peers, a bare address meaning /32, and string numbers from the CLI", () => {
    const s = parseRoleSettings({ wireguardPeers: [peer({ allowedIps: ["10.17.99.2"] })], wireguardPort: "51821", sshJumpHost: "none" }, topology);
    expect(s.wireguard.peers).toEqual([{ name: "laptop", publicKey: PEER_KEY, allowedIps: ["10.17.99.2/32"] }]);
    expect(s.wireguard.port).toBe(51821);
    expect(s.sshJumpHost).toBeUndefined();
  });

  test("an unknown peer key format fails with a clear message", () => {
    expect(problems({ wireguardPeers: [peer({ publicKey: "ssh-ed25519 AAAA" })] })).toEqual([
      'wireguardPeers[0].publicKey: "ssh-ed25519 AAAA" is not a WireGuard public key (44 characters of base64 ending in "=", as printed by `wg pubkey`)',
    ]);
    expect(problems({ wireguardPeers: [peer({ publicKey: `${PEER_KEY.slice(0, -2)}z=` })] })).toHaveLength(1);
  });

  test("peer addresses outside the VPN subnet, or the bastion's own, are refused", () => {
    expect(problems({ wireguardPeers: [peer({ allowedIps: ["10.17.4.50"] })] })).toEqual([
      "wireguardPeers[0].allowedIps: 10.17.4.50 is outside the VPN subnet 10.17.99.0/24",
    ]);
    expect(problems({ wireguardPeers: [peer({ allowedIps: ["10.17.99.1/32"] })] })).toEqual([
      "wireguardPeers[0].allowedIps: 10.17.99.1/32 contains the bastion's own VPN address 10.17.99.1",
    ]);
    expect(problems({ wireguardPeers: [peer(), peer({ name: "phone", publicKey: "A".repeat(43) + "=" })] })).toEqual([
      "wireguardPeers: peers laptop and phone share the address 10.17.99.2/32",
    ]);
  });

  test("an out-of-range port fails with a clear message", () => {
    expect(problems({ wireguardPort: 70000 })).toEqual(["wireguardPort: must be a port number from 1 to 65535 (got 70000)"]);
    expect(problems({ wireguardPort: 0 })).toHaveLength(1);
  });

  test("a VPN subnet overlapping a VM network is refused", () => {
    expect(problems({ wireguardSubnet: "10.17.4.0/24" })).toEqual(["wireguardSubnet: 10.17.4.0/24 overlaps network kube_network_03 (10.17.4.0/24)"]);
  });

  test("a load balancer backend outside the load balancer's networks is refused", () => {
    // The same topology with the load balancer's leg on the node network removed.
    const cut: Topology = {
      ...topology,
      vms: topology.vms.map((v) => (v.name === "loadbalancer1" ? { ...v, nics: v.nics.filter((n) => n.network !== "kube_network_03") } : v)),
    };
    const found = problems({}, cut);
    expect(found).toHaveLength(4);
    expect(found[0]).toBe(
      "vms: load balancer loadbalancer1 cannot reach backend master1 (10.17.4.21 on kube_network_03): its networks are kube_network_02, br0",
    );
  });

  test("sshJumpHost must name a bastion", () => {
    expect(problems({ sshJumpHost: "nope" })).toEqual(['sshJumpHost: unknown VM "nope" (use a bastion VM\'s name or "none"); bastion VMs: bastion1']);
    expect(problems({ sshJumpHost: "worker1" })).toEqual(["sshJumpHost: worker1 has role k3s-agent; only a bastion VM is hardened as an SSH entry"]);
  });

  test("database names, retention and backup time are checked", () => {
    expect(problems({ postgresDatabase: "Micro-Services", postgresRole: "postgres", postgresBackupRetentionDays: -1, postgresBackupTime: "25:00" })).toEqual([
      'postgresDatabase: "Micro-Services" must be a lower-case SQL identifier (a-z, 0-9, _; not starting with a digit)',
      "postgresRole: must not be the superuser postgres",
      'postgresBackupRetentionDays: must be a positive whole number (got -1)',
      'postgresBackupTime: "25:00" is not a time of day HH:MM (24 h)',
    ]);
  });

  test("the prod stack's own role config is valid", () => {
    expect(parseRoleSettings(stackConfig("prod") as RawRoleConfig, topology).sshJumpHost).toBe("bastion1");
  });
});

describe("helpers for the other stages", () => {
  const settings = prodSettings(topology);

  test("SSH routes: nodes through the bastion's LAN address, the bastion directly, or all directly with none", () => {
    expect(sshRouteFor(vm(topology, "worker1"), topology, settings.sshJumpHost)).toEqual({
      host: "10.17.4.24",
      user: "core",
      proxy: { host: "192.168.0.22", user: "ops" },
    });
    expect(sshRouteFor(vm(topology, "postgresql1"), topology, settings.sshJumpHost)).toEqual({
      host: "10.17.3.13",
      user: "ops",
      proxy: { host: "192.168.0.22", user: "ops" },
    });
    // Through the bastion, the load balancer is dialled on a VM network, never on its LAN entry
    // (its firewall accepts SSH only from the VM networks).
    expect(sshRouteFor(vm(topology, "loadbalancer1"), topology, settings.sshJumpHost)).toEqual({
      host: "10.17.3.12",
      user: "ops",
      proxy: { host: "192.168.0.22", user: "ops" },
    });
    expect(sshRouteFor(vm(topology, "bastion1"), topology, settings.sshJumpHost)).toEqual({ host: "192.168.0.22", user: "ops" });
    const direct = prodSettings(topology, { sshJumpHost: "none" });
    expect(sshRouteFor(vm(topology, "worker1"), topology, direct.sshJumpHost)).toEqual({ host: "10.17.4.24", user: "core" });
  });

  test("resolvers: one upstream at a time; the network's at first boot, FreeIPA alone once it serves", () => {
    // Never both: dnsmasq answers the domain local-only, and a resolver moves on only on timeouts.
    expect(resolversFor(vm(topology, "worker1"), topology)).toEqual(["10.17.4.11"]);
    expect(resolversFor(vm(topology, "bootstrap1"), topology)).toEqual(["10.17.3.11"]);
    expect(resolversFor(vm(topology, "bastion1"), topology)).toEqual(["10.17.3.11"]);
    expect(resolversFor(vm(topology, "freeipa1"), topology)).toEqual(["10.17.3.1"]);
    expect(firstBootResolversFor(vm(topology, "worker1"), topology)).toEqual(["10.17.4.1"]);
    expect(firstBootResolversFor(vm(topology, "bootstrap1"), topology)).toEqual(["10.17.3.1"]);
    expect(firstBootResolversFor(vm(topology, "bastion1"), topology)).toEqual(["192.168.0.1"]);
    const withoutIpa = { ...topology, vms: topology.vms.filter((v) => v.role !== "freeipa") };
    expect(resolversFor(vm(withoutIpa, "worker1"), withoutIpa)).toEqual(["10.17.4.1"]);
  });

  test("load balancer listeners are derived from the topology, not hand-written", () => {
    const lb = vm(topology, "loadbalancer1");
    const api = loadBalancerListeners(lb, topology).find((l) => l.name === "k3s-api");
    expect(api?.backends.map((b) => b.name)).toEqual(["bootstrap1", "master1"]);
    const moreWorkers: Topology = {
      ...topology,
      vms: [...topology.vms, { ...vm(topology, "worker3"), name: "worker4", nics: [{ ...vm(topology, "worker3").nics[0], address: "10.17.4.27" }] }],
    };
    const http = loadBalancerListeners(lb, moreWorkers).find((l) => l.name === "ingress-http");
    expect(http?.backends).toContainEqual({ name: "worker4", address: "10.17.4.27" });
  });
});
