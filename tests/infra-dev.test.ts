/** The real program on the dev stack config: the workstation-sized set. */
import { libvirtSnapshot, oneHostFixture } from "./helpers/libvirt-snapshot";
import { machineOutputs } from "./helpers/machine-outputs";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { stackConfig } from "./helpers/stacks";

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ stack: "dev", config: stackConfig("dev"), outputsFor: machineOutputs });
  await import("../index");
  await h.settle();
});

it("registers one NAT network, one K3s server and one agent with a Ceph disk, and only the Flatcar image", () => {
  expect(h.byType("libvirt:index/network:Network").map((n) => [n.inputs.name, n.inputs.mode])).toEqual([["fmc_dev", "nat"]]);
  const domains = h.byType("libvirt:index/domain:Domain").map((d) => d.inputs);
  expect(domains.map((d) => [d.name, d.vcpu, d.memory]).sort()).toEqual([
    ["agent1", 4, 7680],
    ["server1", 2, 3072],
  ]);
  const volumes = h.byType("libvirt:index/volume:Volume").map((v) => v.name).sort();
  expect(volumes).toEqual(["infra-agent1-ceph-osd", "infra-agent1-ceph-state", "infra-agent1-root", "infra-flatcar-base-4593.2.5", "infra-server1-root"]);
  expect(h.byType("libvirt:index/cloudinitDisk:CloudinitDisk")).toHaveLength(0);
  expect(h.byType("libvirt:index/pool:Pool").map((p) => p.inputs)).toEqual([
    { name: "flatcarmicrocloud-dev", type: "dir", target: { path: "/var/lib/libvirt/images/flatcarmicrocloud-dev" } },
  ]);
});

it("leaves the disposable dev disks unprotected (protectStatefulDisks: false)", () => {
  expect(h.all().filter((r) => r.protect)).toEqual([]);
});

it("makes exactly the libvirt resources (URNs, providers, inputs, options) the program made before the hosts list", () => {
  expect(libvirtSnapshot(h)).toEqual(oneHostFixture("dev"));
});
