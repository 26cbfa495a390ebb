/**
 * A new program may render a Rocky VM's first boot differently (a fixed script, a secret delivered
 * after boot instead of in user-data). A live VM whose own config is unchanged keeps the first boot
 * it was built with: its root and cloud-init disks keep their names (so no new machine, and no
 * refusal for the protected FreeIPA and PostgreSQL disks); a change of its own config still renders
 * it afresh. infra/machines.ts `firstBootInputs` / `firstBootPlan`, wired in index.ts and Infra.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseClusterSettings } from "../config/cluster";
import { parseRoleSettings, RoleSettings } from "../config/roles";
import { Topology } from "../config/topology";
import { parseTopology } from "../config/validate";
import { Infra } from "../infra";
import { DeploymentRecord, dayTwoProblems, liveRootHashes } from "../infra/deployment-record";
import { deploymentRecord, firstBootIdentity, firstBootInputs, firstBootPlan, plannedDeployment } from "../infra/machines";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { machineOutputs } from "./helpers/machine-outputs";
import { stackConfig } from "./helpers/stacks";

type Raw = Record<string, unknown> & { vms: { name: string; nics: { mac?: string; address: string; network: string }[] }[] };

function load(stack: string, edit: (r: Raw) => void = () => undefined): { topology: Topology; roles: RoleSettings; raw: Raw } {
  const raw = structuredClone(stackConfig(stack)) as Raw;
  edit(raw);
  const config: Record<string, unknown> = raw;
  const topology = parseTopology(config, stack);
  return { topology, roles: parseRoleSettings(config, topology), raw };
}

const prod = load("prod");
const cluster = parseClusterSettings(stackConfig("prod"), prod.topology);
const k3s = { servers: cluster.servers, agents: cluster.agents, k3sNodeChangesPerUp: 1 };
const rocky = prod.topology.vms.filter((vm) => vm.os === "rocky").map((vm) => vm.name);
const vmOf = (r: Raw, name: string) => r.vms.find((v) => v.name === name) as Raw["vms"][number];

/** What an earlier program recorded: other first-boot hashes (its own rendering) and no inputs. */
function recordOfAnEarlierProgram(): DeploymentRecord {
  const r = deploymentRecord(prod.topology, prod.roles, k3s);
  for (const name of rocky) r.machines[name] = { ...r.machines[name], identity: `0ld${name.length}ab${name.length}cd:${r.machines[name].identity.split(":")[1]}`, firstBootInputs: undefined };
  return r;
}
const LIVE: Record<string, string> = Object.fromEntries(rocky.map((name, i) => [name, `aaaaaaaaa${i}`]));

describe("the first-boot inputs cover everything a Rocky VM's first boot is rendered from", () => {
  // Config changes a Rocky VM's first boot reads, and one it does not.
  const edits: Record<string, (r: Raw) => void> = {
    "freeipa1 mac": (r) => (vmOf(r, "freeipa1").nics[0].mac = "52:54:00:aa:bb:cc"),
    "postgresql1 address": (r) => (vmOf(r, "postgresql1").nics[0].address = "10.17.3.50"),
    "bastion1 second NIC address": (r) => (vmOf(r, "bastion1").nics[1].address = "10.17.3.51"),
    wireguardPort: (r) => (r.wireguardPort = 51999),
    wireguardSubnet: (r) => (r.wireguardSubnet = "10.17.98.0/24"),
    postgresDatabase: (r) => (r.postgresDatabase = "other"),
    postgresRole: (r) => (r.postgresRole = "other"),
    postgresBackupTime: (r) => (r.postgresBackupTime = "04:00"),
    postgresBackupRetentionDays: (r) => (r.postgresBackupRetentionDays = 3),
    adminUser: (r) => (r.adminUser = "operator"),
    // bootstrap1 leaves kube_network_02: no K3s node connects to PostgreSQL from there any more.
    "the K3s nodes' networks": (r) => (vmOf(r, "bootstrap1").nics = vmOf(r, "bootstrap1").nics.filter((n) => n.network !== "kube_network_02")),
  };

  for (const [what, edit] of Object.entries(edits)) {
    it(`${what}: every Rocky VM whose rendered first boot changes has new inputs`, () => {
      const after = load("prod", edit);
      let changed = 0;
      for (const vm of after.topology.vms.filter((v) => v.os === "rocky")) {
        const before = prod.topology.vms.find((v) => v.name === vm.name);
        if (!before) continue;
        const rendered = firstBootIdentity(before, prod.topology, prod.roles) !== firstBootIdentity(vm, after.topology, after.roles);
        const inputs = firstBootInputs(before, prod.topology, prod.roles) !== firstBootInputs(vm, after.topology, after.roles);
        if (rendered) {
          changed++;
          expect(`${vm.name}: ${inputs}`).toBe(`${vm.name}: true`);
        }
      }
      expect(changed).toBeGreaterThan(0);
    });
  }

  it("stack-wide values (SSH key, NTP, resolvers) and other VMs are no input", () => {
    const after = load("prod", (r) => {
      r.sshPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJvdGF0ZWRrZXlyb3RhdGVka2V5cm90YXRlZGtleQ rotated";
      r.fallbackNtpServers = ["192.0.2.1"];
      r.vms = r.vms.filter((v) => v.name !== "worker3");
    });
    for (const name of rocky) {
      const vm = (t: Topology) => t.vms.find((v) => v.name === name) as Topology["vms"][number];
      expect(firstBootInputs(vm(after.topology), after.topology, after.roles)).toBe(firstBootInputs(vm(prod.topology), prod.topology, prod.roles));
    }
  });
});

describe("a live stack deployed by an earlier program", () => {
  it("keeps every live Rocky VM's first boot: the recorded identities stay, nothing is refused", () => {
    const previous = recordOfAnEarlierProgram();
    const planned = plannedDeployment(previous, prod.topology, prod.roles, k3s, LIVE);
    expect(planned.firstBoot).toEqual({ hashes: LIVE, transition: rocky });
    for (const name of rocky) {
      expect(planned.record.machines[name].identity).toBe(previous.machines[name].identity);
      expect(planned.record.machines[name].firstBootInputs).toBe(firstBootInputs(prod.topology.vms.find((v) => v.name === name) as Topology["vms"][number], prod.topology, prod.roles));
    }
    expect(dayTwoProblems(previous, planned.record, prod.topology, k3s)).toEqual([]);
    // Without the kept hashes the protected FreeIPA and PostgreSQL disks would be refused.
    expect(dayTwoProblems(previous, deploymentRecord(prod.topology, prod.roles, k3s), prod.topology, k3s).map((p) => p.split(":")[0])).toEqual(["vms[2] (freeipa1)", "vms[3] (postgresql1)"]);
  });

  it("a resized root disk is a new disk: rendered afresh", () => {
    const previous = recordOfAnEarlierProgram();
    previous.machines.bastion1.identity = previous.machines.bastion1.identity.replace(/:\d+$/, ":99");
    expect(Object.keys(firstBootPlan(previous, prod.topology, prod.roles, LIVE).hashes)).not.toContain("bastion1");
  });

  it("the next run keeps them too, and a change of a VM's own config renders that VM afresh (refused for protected FreeIPA)", () => {
    const first = plannedDeployment(recordOfAnEarlierProgram(), prod.topology, prod.roles, k3s, LIVE).record;
    const again = plannedDeployment(first, prod.topology, prod.roles, k3s, LIVE);
    expect(again.firstBoot).toEqual({ hashes: LIVE, transition: [] });
    expect(dayTwoProblems(first, again.record, prod.topology, k3s)).toEqual([]);

    const moved = load("prod", (r) => (vmOf(r, "freeipa1").nics[0].mac = "52:54:00:aa:bb:cc"));
    const changed = plannedDeployment(first, moved.topology, moved.roles, k3s, LIVE);
    expect(Object.keys(changed.firstBoot.hashes).sort()).toEqual(rocky.filter((n) => n !== "freeipa1").sort());
    expect(dayTwoProblems(first, changed.record, moved.topology, k3s)).toEqual([expect.stringMatching(/^vms\[2\] \(freeipa1\): this change alters freeipa1's first-boot config/)]);
  });

  it("reads the live hashes from the root volumes' paths in the `nodes` output", () => {
    expect(
      liveRootHashes([
        { name: "freeipa1", rootVolumeId: "/var/lib/libvirt/images/flatcarmicrocloud-prod/freeipa1-root-0123456789.qcow2" },
        { name: "worker1", rootVolumeId: "/pool/worker1-root-abcdef0123.qcow2" },
        { name: "bastion1", rootVolumeId: "/pool/bastion1-root-nothex!!!!.qcow2" },
        { name: "postgresql1" },
      ]),
    ).toEqual({ freeipa1: "0123456789", worker1: "abcdef0123" });
    expect(liveRootHashes(undefined)).toEqual({});
  });
});

describe("stage 1 keeps the disks' names of a VM whose first boot is kept", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ stack: "prod", outputsFor: machineOutputs });
    new Infra("kept", { topology: prod.topology, firstBootHashes: pulumi.output({ freeipa1: "0123456789" }) });
    await h.settle();
  });

  it("names freeipa1's root and cloud-init disks and its instance-id after the live hash; others after their own", () => {
    expect(h.byName("kept-freeipa1-root").inputs.name).toBe("freeipa1-root-0123456789.qcow2");
    const disk = h.byName("kept-freeipa1-cloudinit").inputs;
    expect(disk.name).toBe("freeipa1-cloudinit-0123456789.iso");
    expect(String(disk.metaData)).toContain("instance-id: freeipa1-0123456789");
    expect(h.byName("kept-postgresql1-root").inputs.name).not.toContain("0123456789");
  });
});
