/**
 * Ignition and cloud-init act only on a VM's first boot, so a changed first-boot config must replace
 * that VM's root volume and domain, and leave the other VMs alone.
 */
import { parseTopology } from "../config/validate";
import { Infra } from "../infra";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { rawStack } from "./helpers/stacks";

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ stack: "prod" });
  const before = parseTopology(rawStack("prod"), "prod");
  const after = parseTopology(rawStack("prod"), "prod");
  // worker3 gets pinned MACs (its networkd files change); the Rocky VMs get another admin user name.
  after.vms.find((v) => v.name === "worker3")?.nics.forEach((n) => (n.mac = "52:54:00:00:00:33"));
  after.adminUser = "operator";
  new Infra("before", { topology: before });
  new Infra("after", { topology: after });
  await h.settle();
});

const input = (name: string, key: string): unknown => h.byName(name).inputs[key];

it("gives a Flatcar VM with a changed Ignition a new Ignition object and a new root volume", () => {
  expect(input("after-worker3-ignition", "content")).not.toEqual(input("before-worker3-ignition", "content"));
  expect(input("after-worker3-ignition", "name")).not.toEqual(input("before-worker3-ignition", "name"));
  expect(input("after-worker3-root", "name")).not.toEqual(input("before-worker3-root", "name"));
});

it("gives a Rocky VM with a changed cloud-config a new cloud-init disk and a new root volume", () => {
  expect(input("after-freeipa1-cloudinit", "name")).not.toEqual(input("before-freeipa1-cloudinit", "name"));
  expect(input("after-freeipa1-root", "name")).not.toEqual(input("before-freeipa1-root", "name"));
});

it("leaves the VMs whose first-boot config did not change exactly as they were", () => {
  for (const vm of ["worker1", "worker2", "master1", "bootstrap1"]) {
    expect(input(`after-${vm}-root`, "name")).toEqual(input(`before-${vm}-root`, "name"));
    expect(input(`after-${vm}-ignition`, "content")).toEqual(input(`before-${vm}-ignition`, "content"));
  }
});

it("keeps the Ceph data disk's name, so re-provisioning a node does not wipe its OSD", () => {
  expect(input("after-worker3-ceph-osd", "name")).toEqual(input("before-worker3-ceph-osd", "name"));
});

it("makes the domain follow: its first-boot inputs and root disk change, and those inputs force a replacement", () => {
  const before = h.byName("before-worker3");
  const after = h.byName("after-worker3");
  expect(after.inputs.coreosIgnition).toBe("after-worker3-ignition-id");
  expect(after.dependencies).toEqual(expect.arrayContaining([h.byName("after-worker3-ignition").urn, h.byName("after-worker3-root").urn]));
  expect(after.replaceOnChanges).toEqual(expect.arrayContaining(["coreosIgnition", "cloudinit", "disks"]));
  expect(after.deleteBeforeReplace).toBe(true);
  expect(before.inputs.coreosIgnition).toBe("before-worker3-ignition-id");
});
