/**
 * Day two under the mock engine: the same stage 1 (GuestRoles + Infra, as index.ts wires them) built
 * for prod, for prod plus a fourth worker, for prod minus worker3 and for prod with one more VPN
 * peer. Adding or removing a worker must leave every other VM's first-boot config, and so its root
 * volume and domain, exactly as it was; the load balancer's backends and FreeIPA's records follow
 * through the remote commands instead. A new peer likewise leaves the bastion (and its WireGuard
 * server key) in place: only the peers command's input changes.
 */
import * as pulumi from "@pulumi/pulumi";
import { Topology } from "../config/topology";
import { Infra } from "../infra";
import { GuestRoles } from "../infra/guest-roles";
import { COMMAND, machineOutputs, TOKEN } from "./helpers/machine-outputs";
import { Harness, isSecretAt, Recorded, startHarness } from "./helpers/pulumi-harness";
import { TEST_SSH_PRIVATE_KEY } from "./helpers/stacks";
import { PEER_KEY, PEER_KEY_2, prodSettings, prodTopologyWith, WORKER4 } from "./roles.helpers";

const LAPTOP = { name: "laptop", publicKey: PEER_KEY, allowedIps: ["10.17.99.2"] };
const PHONE = { name: "phone", publicKey: PEER_KEY_2, allowedIps: ["10.17.99.3"] };

const VARIANTS: Record<string, { topology: Topology; peers: Record<string, unknown>[] }> = {
  before: { topology: prodTopologyWith(), peers: [LAPTOP] },
  after: { topology: prodTopologyWith({ add: [WORKER4] }), peers: [LAPTOP] },
  fewer: { topology: prodTopologyWith({ remove: ["worker3"] }), peers: [LAPTOP] },
  peer: { topology: prodTopologyWith(), peers: [LAPTOP, PHONE] },
};

let h: Harness;
const returned: Record<string, string[]> = {};

beforeAll(async () => {
  h = await startHarness({ stack: "prod", outputsFor: machineOutputs });
  for (const [name, { topology, peers }] of Object.entries(VARIANTS)) {
    const settings = prodSettings(topology, { wireguardPeers: peers });
    const roles = new GuestRoles(`${name}-roles`, { topology, settings });
    const infra = new Infra(name, { topology, roleFragments: (vm) => roles.fragmentsFor(vm), sshJumpHost: settings.sshJumpHost });
    const reconciled = roles.reconcile({ nodes: infra.nodes, sshPrivateKey: pulumi.secret(TEST_SSH_PRIVATE_KEY) });
    const commands = [...reconciled.freeipaInstalls, ...reconciled.databaseRoles, ...reconciled.loadBalancerBackends, ...reconciled.dnsRecords, ...reconciled.vpnPeers, ...reconciled.postgresqlBackups, ...reconciled.freeipaBackups];
    returned[name] = await Promise.all(commands.map((c) => new Promise<string>((resolve) => c.urn.apply(resolve))));
  }
  await h.settle();
});

const input = (name: string, key: string): unknown => h.byName(name).inputs[key];
const backends = (variant: string): Recorded => h.byName(`${variant}-roles-loadbalancer1-backends`);
const records = (variant: string): Recorded => h.byName(`${variant}-roles-freeipa1-records`);
const vpnPeers = (variant: string): Recorded => h.byName(`${variant}-roles-bastion1-wireguard-peers`);

describe.each([
  ["adding worker4", "after"],
  ["removing worker3", "fewer"],
])("%s", (_label, variant) => {
  it("leaves the root volume and cloud-init disk of every Rocky VM as they were", () => {
    for (const vm of ["loadbalancer1", "freeipa1", "bastion1", "postgresql1"]) {
      expect(input(`${variant}-${vm}-root`, "name")).toEqual(input(`before-${vm}-root`, "name"));
      expect(input(`${variant}-${vm}-cloudinit`, "name")).toEqual(input(`before-${vm}-cloudinit`, "name"));
      expect(input(`${variant}-${vm}-root`, "name")).toMatch(new RegExp(`^${vm}-root-[0-9a-f]{10}\\.qcow2$`));
    }
  });

  it("leaves the other K3s nodes' Ignition and root volumes as they were", () => {
    for (const vm of ["bootstrap1", "master1", "worker1", "worker2"]) {
      expect(input(`${variant}-${vm}-root`, "name")).toEqual(input(`before-${vm}-root`, "name"));
      expect(input(`${variant}-${vm}-ignition`, "content")).toEqual(input(`before-${vm}-ignition`, "content"));
    }
  });

  it("runs the same scripts with the new data: the backends' stdin and the records' list change", () => {
    expect(backends(variant).inputs.create).toEqual(backends("before").inputs.create);
    expect(backends(variant).inputs.stdin).not.toEqual(backends("before").inputs.stdin);
    expect(records(variant).inputs.create).not.toEqual(records("before").inputs.create);
    // The VPN peers do not depend on the topology.
    expect(vpnPeers(variant).inputs.create).toEqual(vpnPeers("before").inputs.create);
  });
});

describe("adding a VPN peer", () => {
  it("leaves every VM's root volume and cloud-init disk as they were: the bastion keeps its server key", () => {
    for (const vm of ["bastion1", "loadbalancer1", "freeipa1", "postgresql1"]) {
      expect(input(`peer-${vm}-root`, "name")).toEqual(input(`before-${vm}-root`, "name"));
      expect(input(`peer-${vm}-cloudinit`, "name")).toEqual(input(`before-${vm}-cloudinit`, "name"));
      expect(input(`peer-${vm}-cloudinit`, "userData")).toEqual(input(`before-${vm}-cloudinit`, "userData"));
    }
    expect(input("peer-bastion1", "name")).toEqual(input("before-bastion1", "name"));
  });

  it("changes only the peers command's input, which holds the new key", () => {
    const create = (v: string) => String(vpnPeers(v).inputs.create);
    expect(create("peer")).not.toEqual(create("before"));
    expect(create("before")).toContain(`'laptop ${PEER_KEY} 10.17.99.2/32'`);
    expect(create("before")).not.toContain(PEER_KEY_2);
    // The entries are quoted words inside the sudo command's own quoting.
    expect(create("peer")).toContain(`'laptop ${PEER_KEY} 10.17.99.2/32'`);
    expect(create("peer")).toContain(`'phone ${PEER_KEY_2} 10.17.99.3/32'`);
    expect(vpnPeers("peer").inputs.update).toBe(vpnPeers("peer").inputs.create);
    expect(backends("peer").inputs.stdin).toEqual(backends("before").inputs.stdin);
    expect(records("peer").inputs.create).toEqual(records("before").inputs.create);
  });
});

describe("the bastion's WireGuard peers command", () => {
  it("runs the same script on create and update, and again on a replaced bastion", () => {
    const cmd = vpnPeers("before");
    expect(cmd.inputs.update).toBe(cmd.inputs.create);
    expect(cmd.inputs.create).toMatch(/^sudo -n \/bin\/bash -c '#!\/bin\/bash\n/);
    expect(cmd.inputs.create).toContain("wg syncconf wg0");
    expect(cmd.inputs.create).toMatch(/ 'fmc-bastion-peers'$/);
    expect(cmd.inputs.triggers).toEqual(["before-bastion1-id"]);
    expect(h.dependsOn(cmd, h.byName("before-bastion1"))).toBe(true);
    expect(cmd.inputs.stdin).toBeUndefined();
  });

  it("connects to the bastion directly (its own route has no proxy), retrying while it boots", () => {
    const connection = vpnPeers("before").inputs.connection as Record<string, unknown>;
    expect(connection).toMatchObject({ host: "192.168.0.22", user: "ops" });
    expect(connection.proxy).toBeUndefined();
    expect(connection.dialErrorLimit).toBeGreaterThanOrEqual(30);
    expect(isSecretAt(vpnPeers("before").rawInputs, ["connection"])).toBe(true);
    // Public data: a preview shows which peer comes or goes.
    expect(isSecretAt(vpnPeers("before").rawInputs, ["create"])).toBe(false);
  });
});

describe("the load balancer's backends command", () => {
  it("receives the complete haproxy.cfg on stdin, with worker4 once it is in the topology", () => {
    const stdin = (v: string) => String(backends(v).inputs.stdin);
    expect(stdin("before")).toMatch(/^# HAProxy on loadbalancer1/);
    expect(stdin("before")).toContain("server worker3 10.17.4.26:30080 check");
    expect(stdin("before")).not.toContain("10.17.4.27");
    for (const port of [30080, 30443, 31883]) expect(stdin("after")).toContain(`server worker4 10.17.4.27:${port} check`);
    expect(stdin("fewer")).not.toContain("worker3");
    // Topology, not a secret: a preview shows the backends' diff.
    expect(isSecretAt(backends("after").rawInputs, ["stdin"])).toBe(false);
  });

  it("runs the same script on create and update, and again on a replaced VM", () => {
    const cmd = backends("before");
    expect(cmd.inputs.update).toBe(cmd.inputs.create);
    expect(cmd.inputs.create).toMatch(/^sudo -n \/bin\/bash -c '#!\/bin\/bash\n/);
    expect(cmd.inputs.create).toContain("haproxy -c -q -f");
    expect(cmd.inputs.triggers).toEqual(["before-loadbalancer1-id"]);
    expect(h.dependsOn(cmd, h.byName("before-loadbalancer1"))).toBe(true);
  });

  it("connects through the bastion on a VM network (the LAN may not SSH to it), retrying while the VM boots", () => {
    const connection = backends("before").inputs.connection as Record<string, unknown>;
    // Not 192.168.0.21: loadbalancer1's firewall allows SSH from the VM networks only.
    expect(connection).toMatchObject({ host: "10.17.3.12", user: "ops", proxy: { host: "192.168.0.22", user: "ops" } });
    expect(records("before").inputs.connection).toMatchObject({ host: "10.17.3.11", user: "ops", proxy: { host: "192.168.0.22" } });
    expect(connection.dialErrorLimit).toBeGreaterThanOrEqual(30);
    expect(isSecretAt(backends("before").rawInputs, ["connection"])).toBe(true);
  });
});

describe("FreeIPA's records command", () => {
  it("lists every VM's records in its script, worker4's once it is in the topology", () => {
    const create = (v: string) => String(records(v).inputs.create);
    expect(create("before")).toContain("'worker3 10.17.4.26'");
    expect(create("before")).not.toContain("worker4");
    expect(create("after")).toContain("'worker4 10.17.4.27'");
    expect(create("after")).toContain("'4.17.10.in-addr.arpa. 27 worker4.cefaslocalserver.com.'");
    expect(create("fewer")).not.toContain("worker3");
    expect(records("after").inputs.update).toBe(records("after").inputs.create);
    expect(records("after").inputs.triggers).toEqual(["after-freeipa1-id"]);
  });

  it("gets the admin password on stdin as a secret, never in its command text", () => {
    const cmd = records("after");
    expect(cmd.inputs.stdin).toBe(`${TOKEN}\n`);
    expect(isSecretAt(cmd.rawInputs, ["stdin"])).toBe(true);
    expect(cmd.additionalSecretOutputs).toContain("stdin");
    for (const key of ["create", "update"]) {
      expect(isSecretAt(cmd.rawInputs, [key])).toBe(false);
      expect(String(cmd.inputs[key])).not.toContain(TOKEN);
    }
    // No other command input carries it in the clear either.
    const rest = Object.entries(cmd.inputs).filter(([key]) => key !== "connection" && key !== "stdin");
    expect(JSON.stringify(rest)).not.toContain(TOKEN);
  });
});

it("reconcile returns its seven commands, and adds no other remote command", () => {
  for (const variant of Object.keys(VARIANTS)) {
    expect(returned[variant].map((urn) => urn.split("::").pop())).toEqual([
      `${variant}-roles-freeipa1-install`,
      `${variant}-roles-postgresql1-app-role`,
      `${variant}-roles-loadbalancer1-backends`,
      `${variant}-roles-freeipa1-records`,
      `${variant}-roles-bastion1-wireguard-peers`,
      `${variant}-roles-postgresql1-backups`,
      `${variant}-roles-freeipa1-backups`,
    ]);
  }
  expect(h.byType(COMMAND)).toHaveLength(7 * Object.keys(VARIANTS).length);
});

it("the backups commands do not change when VMs or peers come and go", () => {
  for (const vm of ["postgresql1", "freeipa1"]) {
    const script = (variant: string) => h.byName(`${variant}-roles-${vm}-backups`).inputs.create;
    for (const variant of Object.keys(VARIANTS)) expect(script(variant)).toBe(script("before"));
  }
});
