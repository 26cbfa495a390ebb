/**
 * The real program (index.ts) on the prod stack config, under the SDK's mock engine.
 */
import * as pulumi from "@pulumi/pulumi";
import { renderIgnitionFwCfgXslt } from "../infra/ignition-delivery";
import { libvirtSnapshot, oneHostFixture } from "./helpers/libvirt-snapshot";
import { machineOutputs } from "./helpers/machine-outputs";
import { Harness, Recorded, resolveOutput, startHarness } from "./helpers/pulumi-harness";
import { stackConfig, SEED_VMS } from "./helpers/stacks";

const NETWORK = "libvirt:index/network:Network";
const DOMAIN = "libvirt:index/domain:Domain";
const VOLUME = "libvirt:index/volume:Volume";

let h: Harness;
let program: typeof import("../index");

beforeAll(async () => {
  h = await startHarness({ stack: "prod", config: stackConfig("prod"), outputsFor: machineOutputs });
  program = await import("../index");
  await h.settle();
});

function domain(vm: string): Recorded {
  return h.byName(`infra-${vm}`);
}

function networkIdOf(name: string): string {
  return `infra-${name}-id`;
}

describe("prod stack, stage 1", () => {
  it("registers exactly the seed's three networks", () => {
    const networks = h.byType(NETWORK).map((n) => n.inputs);
    expect(networks.map((n) => [n.name, n.mode, n.addresses ?? n.bridge]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ["br0", "bridge", "br0"],
      ["kube_network_02", "nat", ["10.17.3.0/24"]],
      ["kube_network_03", "nat", ["10.17.4.0/24"]],
    ]);
    expect(networks.every((n) => n.autostart === true)).toBe(true);
  });

  it("registers exactly the seed's nine VMs with their OS and the seed's addresses", async () => {
    expect(h.byType(DOMAIN).map((d) => d.inputs.name).sort()).toEqual([
      "bastion1", "bootstrap1", "freeipa1", "loadbalancer1", "master1", "postgresql1", "worker1", "worker2", "worker3",
    ]);
    const { value: nodes } = await resolveOutput(pulumiAll(program.nodes ?? []));
    expect(nodes.map((n) => [n.name, n.os, n.primaryAddress])).toEqual(SEED_VMS);
    const lb = nodes.find((n) => n.name === "loadbalancer1");
    expect(lb?.addresses.map((a) => a.address)).toContain("192.168.0.21");
  });

  it("gives each domain its size, autostart, a serial console, the guest agent and a MAC per NIC", () => {
    const worker = domain("worker1").inputs;
    expect(worker).toMatchObject({ vcpu: 4, memory: 6400, autostart: true, running: true });
    // The provider reads NIC addresses through the agent only with qemuAgent; they are static here.
    expect(h.byType(DOMAIN).map((d) => d.inputs.qemuAgent)).toEqual(h.byType(DOMAIN).map(() => false));
    expect(worker.consoles).toEqual([{ type: "pty", targetType: "serial", targetPort: "0" }]);
    expect(worker.networkInterfaces).toEqual([
      { networkId: networkIdOf("kube_network_03"), mac: expect.stringMatching(/^52:54:00:/), waitForLease: false },
    ]);
  });

  it("hands Flatcar its Ignition over fw_cfg and Rocky its cloud-init disk", () => {
    const master = domain("master1").inputs;
    expect(master.coreosIgnition).toBe("infra-master1-ignition-id");
    expect(master.fwCfgName).toBe("opt/org.flatcar-linux/config");
    // The provider's raw -fw_cfg argument becomes libvirt's labelled fw_cfg entry (SELinux hosts).
    expect(master.xml).toEqual({ xslt: renderIgnitionFwCfgXslt("opt/org.flatcar-linux/config") });
    expect(master.cloudinit).toBeUndefined();
    const ipa = domain("freeipa1").inputs;
    expect(ipa.cloudinit).toBe("infra-freeipa1-cloudinit-id");
    expect(ipa.coreosIgnition).toBeUndefined();
    expect(ipa.xml).toBeUndefined();
  });

  it("puts a raw Ceph data volume on the storage nodes only, as their second disk", () => {
    const dataVolumes = h.byType(VOLUME).filter((v) => v.name.endsWith("-ceph-osd")).sort((a, b) => a.name.localeCompare(b.name));
    expect(dataVolumes.map((v) => v.name)).toEqual(["infra-worker1-ceph-osd", "infra-worker2-ceph-osd", "infra-worker3-ceph-osd"]);
    expect(dataVolumes.map((v) => v.inputs)).toEqual(
      ["worker1", "worker2", "worker3"].map((w) => ({
        name: `${w}-ceph-osd.raw`, pool: "flatcarmicrocloud-prod", format: "raw", size: 200 * 1024 ** 3,
      })),
    );
    for (const d of h.byType(DOMAIN)) {
      const disks = d.inputs.disks as { volumeId: string }[];
      const storage = ["worker1", "worker2", "worker3"].includes(d.inputs.name as string);
      expect(disks).toHaveLength(storage ? 3 : 1);
      if (storage) expect(disks[1].volumeId).toBe(`infra-${String(d.inputs.name)}-ceph-osd-id`);
    }
  });

  it("gives each storage node a Ceph state disk (Rook's /var/lib/rook) as its third disk, named by the VM alone and sized from cephStateDiskGiB", () => {
    const stateVolumes = h.byType(VOLUME).filter((v) => v.name.endsWith("-ceph-state"));
    expect(stateVolumes.map((v) => v.inputs)).toEqual(
      ["worker1", "worker2", "worker3"].map((w) => ({ name: `${w}-ceph-state.raw`, pool: "flatcarmicrocloud-prod", format: "raw", size: 20 * 1024 ** 3 })),
    );
    for (const w of ["worker1", "worker2", "worker3"]) {
      expect((h.byName(`infra-${w}`).inputs.disks as { volumeId: string }[])[2]).toEqual({ volumeId: `infra-${w}-ceph-state-id` });
    }
  });

  it("overlays every root disk on one pinned base image per OS", () => {
    const bases = h.byType(VOLUME).filter((v) => v.inputs.source !== undefined).map((v) => v.inputs);
    expect(bases).toHaveLength(2);
    expect(bases).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: "rocky-9.5-20241118.0.qcow2", source: expect.stringContaining("/9.5/images/x86_64/") }),
      expect.objectContaining({ name: "flatcar-4593.2.5.qcow2", source: expect.stringContaining("/4593.2.5/") }),
    ]));
    const root = h.byName("infra-master1-root").inputs;
    expect(root).toMatchObject({ baseVolumeId: "infra-flatcar-base-4593.2.5-id", format: "qcow2", size: 30 * 1024 ** 3 });
    expect(root.name).toMatch(/^master1-root-[0-9a-f]{10}\.qcow2$/);
  });

  it("no VM waits for another VM", () => {
    const domains = h.byType(DOMAIN);
    for (const a of domains) for (const b of domains) if (a !== b) expect(h.dependsOn(a, b)).toBe(false);
  });

  it("reaches across the NAT networks through multi-homed service VMs (in the resource graph)", () => {
    const legs = (vm: string): unknown[] =>
      (domain(vm).inputs.networkInterfaces as { networkId?: string; bridge?: string }[]).map((n) => n.networkId ?? `bridge:${n.bridge}`);
    for (const vm of ["freeipa1", "postgresql1", "loadbalancer1", "bootstrap1", "bastion1"]) {
      expect(legs(vm)).toEqual(expect.arrayContaining([networkIdOf("kube_network_02"), networkIdOf("kube_network_03")]));
    }
    // LAN legs attach to the host bridge by name: libvirt reports such NICs as bridge NICs, and a
    // network id there would read back as a change on every run.
    expect(legs("bastion1")[0]).toBe("bridge:br0");
    expect(legs("loadbalancer1")).toContain("bridge:br0");
    expect(h.dependencyNames(domain("bastion1"))).toContain("infra-br0");
    // The domains really wait for both networks they are attached to.
    expect(h.dependencyNames(domain("freeipa1"))).toEqual(expect.arrayContaining(["infra-kube_network_02", "infra-kube_network_03"]));
  });

  it("publishes a DNS entry for every VM on each NAT network it has a leg on", () => {
    const hosts = (net: string): unknown => (h.byName(`infra-${net}`).inputs.dns as { hosts: unknown[] }).hosts;
    expect(hosts("kube_network_03")).toEqual(
      expect.arrayContaining([
        { hostname: "master1.cefaslocalserver.com", ip: "10.17.4.21" },
        { hostname: "freeipa1.cefaslocalserver.com", ip: "10.17.4.11" },
      ]),
    );
    const allNames = new Set(
      ["kube_network_02", "kube_network_03"].flatMap((n) => (hosts(n) as { hostname: string }[]).map((x) => x.hostname)),
    );
    expect(allNames.size).toBe(9);
    expect(h.byName("infra-kube_network_02").inputs.dhcp).toEqual({ enabled: false });
  });

  it("replaces a domain whose first-boot config changes, deleting the old one first (it keeps its name)", () => {
    for (const d of h.byType(DOMAIN)) {
      expect(d.deleteBeforeReplace).toBe(true);
      expect(d.replaceOnChanges).toEqual(expect.arrayContaining(["coreosIgnition", "cloudinit", "disks"]));
    }
  });

  it("talks to the host through one explicit libvirt provider", () => {
    const provider = h.byType("pulumi:providers:libvirt");
    expect(provider.map((p) => p.inputs.uri)).toEqual(["qemu:///system"]);
    for (const r of h.all().filter((x) => x.type.startsWith("libvirt:"))) expect(r.provider).toContain("pulumi:providers:libvirt::infra-host");
  });
});

/** Resolves an array of plain objects holding Outputs (the `nodes` export). */
function pulumiAll<T>(items: T[]): pulumi.Output<pulumi.Unwrap<T>[]> {
  return pulumi.all(items.map((i) => pulumi.output(i))) as pulumi.Output<pulumi.Unwrap<T>[]>;
}

describe("stateful disks", () => {
  it("protects the Ceph OSD volumes and the FreeIPA and PostgreSQL root disks, and nothing else", () => {
    const protectedNames = h.all().filter((r) => r.protect).map((r) => r.name).sort();
    expect(protectedNames).toEqual([
      "infra-freeipa1-root", "infra-postgresql1-root",
      ...["worker1", "worker2", "worker3"].flatMap((w) => [`infra-${w}-ceph-osd`, `infra-${w}-ceph-state`]),
    ].sort());
  });
});

describe("topology-wide role data, after first boot", () => {
  it("the program reconciles loadbalancer1's backends and freeipa1's records over SSH once each VM exists", () => {
    for (const [name, vm] of [["guest-roles-loadbalancer1-backends", "loadbalancer1"], ["guest-roles-freeipa1-records", "freeipa1"]]) {
      const cmd = h.byName(name);
      expect(cmd.type).toBe("command:remote:Command");
      expect(cmd.inputs.triggers).toEqual([`infra-${vm}-id`]);
      expect(h.dependsOn(cmd, domain(vm))).toBe(true);
      expect(cmd.inputs.update).toBe(cmd.inputs.create);
    }
    expect(String(h.byName("guest-roles-loadbalancer1-backends").inputs.stdin)).toContain("server worker3 10.17.4.26:30443 check");
    expect(String(h.byName("guest-roles-freeipa1-records").inputs.create)).toContain("'worker3 10.17.4.26'");
  });
});

describe("the whole program's order around the load balancer", () => {
  it("the API gateway wait follows the load balancer's backends, not FreeIPA's records", () => {
    const gateway = h.byName("cluster-api-gateway");
    expect(h.dependsOn(gateway, h.byName("guest-roles-loadbalancer1-backends"))).toBe(true);
    expect(h.dependsOn(gateway, h.byName("guest-roles-freeipa1-records"))).toBe(false);
    expect(h.dependsOn(h.byName("cluster-provider"), gateway)).toBe(true);
  });
});

it("makes exactly the libvirt resources (URNs, providers, inputs, options) the program made before the hosts list", () => {
  expect(libvirtSnapshot(h)).toEqual(oneHostFixture("prod"));
});
