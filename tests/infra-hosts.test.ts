/**
 * The whole program on a stack of two KVM hosts (tests/helpers/two-hosts.ts), under the mock engine:
 * one libvirt provider per host (the first keeps `infra-host`), one pool per host pool, base images
 * in each pool that holds root disks, and each VM's objects through its own host's provider, in its
 * pools. One host preflight per pool checks that host and pool.
 */
import { machineOutputs } from "./helpers/machine-outputs";
import { Harness, Recorded, startHarness } from "./helpers/pulumi-harness";
import { stackConfig } from "./helpers/stacks";
import { SECOND_HOST_URI, SEED_POOL, twoHostStack } from "./helpers/two-hosts";
import { IMAGES, RETAINED_IMAGES } from "../versions";

const PROVIDER = "pulumi:providers:libvirt";
let h: Harness;

beforeAll(async () => {
  // Up to K3s: the platform's fit over zones is config/platform's (tests/platform-*.test.ts).
  const config = twoHostStack((r) => (r.deployUpTo = "cluster"), stackConfig("prod"));
  h = await startHarness({ stack: "prod", config, outputsFor: machineOutputs });
  await import("../index");
  await h.settle();
});

/** The provider resource name a recorded resource uses. */
const providerOf = (r: Recorded) => /::([^:]+)::[^:]*$/.exec(r.provider)?.[1];
const libvirtObjects = () => h.all().filter((r) => r.type.startsWith("libvirt:"));

it("registers one libvirt provider per host; the first keeps infra-host", () => {
  expect(h.byType(PROVIDER).map((p) => [p.name, p.inputs.uri])).toEqual([
    ["infra-host", "qemu:///system"],
    ["infra-host-proliant2", SECOND_HOST_URI],
  ]);
});

it("registers one pool per host pool, the first host's first keeping its one-host name", () => {
  expect(h.byType("libvirt:index/pool:Pool").map((p) => [p.name, providerOf(p), p.inputs])).toEqual([
    ["infra-pool", "infra-host", { name: "flatcarmicrocloud-prod", type: "dir", target: { path: SEED_POOL } }],
    ["infra-pool-disk2", "infra-host", { name: "flatcarmicrocloud-prod-disk2", type: "dir", target: { path: "/srv/disk2/flatcarmicrocloud-prod" } }],
    ["infra-pool-proliant2/disk1", "infra-host-proliant2", { name: "flatcarmicrocloud-prod-disk1", type: "dir", target: { path: SEED_POOL } }],
  ]);
});

it("puts every VM's objects on its own host: worker3's through proliant2's provider, in its pool", () => {
  const onSecond = libvirtObjects().filter((r) => providerOf(r) === "infra-host-proliant2").map((r) => r.name);
  const flatcarReleases = [...RETAINED_IMAGES.flatcar.map((i) => i.release), IMAGES.flatcar.release];
  expect(onSecond.sort()).toEqual(
    [
      "infra-pool-proliant2/disk1",
      "infra-proliant2/kube_network_03",
      ...flatcarReleases.map((r) => `infra-proliant2/disk1-flatcar-base-${r}`),
      "infra-worker3",
      "infra-worker3-ceph-osd",
      "infra-worker3-ceph-state",
      "infra-worker3-ignition",
      "infra-worker3-root",
    ].sort(),
  );
  for (const name of ["infra-worker3-root", "infra-worker3-ceph-osd", "infra-worker3-ceph-state", "infra-worker3-ignition"]) {
    expect([name, h.byName(name).inputs.pool]).toEqual([name, "flatcarmicrocloud-prod-disk1"]);
  }
  // Its root disk is an overlay on the base image in its own pool.
  expect(h.byName("infra-worker3-root").inputs.baseVolumeId).toBe(`infra-proliant2/disk1-flatcar-base-${IMAGES.flatcar.release}-id`);
  // Its NIC is on the cluster network's bridge on its host (the network bridged across both hosts:
  // tests/helpers/two-hosts.ts), whose definition there it waits for.
  expect(h.byName("infra-worker3").inputs.networkInterfaces).toEqual([expect.objectContaining({ bridge: "br-kube" })]);
  // Everything of the other VMs stays on the first host.
  expect(libvirtObjects().filter((r) => !onSecond.includes(r.name)).every((r) => providerOf(r) === "infra-host")).toBe(true);
});

it("puts a storage node's Ceph OSD disk in its dataPool and the rest in its pool", () => {
  expect(h.byName("infra-worker2-ceph-osd").inputs.pool).toBe("flatcarmicrocloud-prod-disk2");
  expect(h.dependsOn(h.byName("infra-worker2-ceph-osd"), h.byName("infra-pool-disk2"))).toBe(true);
  expect(["infra-worker2-root", "infra-worker2-ceph-state"].map((n) => h.byName(n).inputs.pool)).toEqual(["flatcarmicrocloud-prod", "flatcarmicrocloud-prod"]);
  // No root disk lives on disk2: no base image there.
  expect(h.byType("libvirt:index/volume:Volume").filter((v) => v.name.startsWith("infra-disk2-"))).toEqual([]);
});

it("checks each pool with its host's URI before anything is created in it", () => {
  const preflights = h.all().filter((r) => /-host-preflight/.test(r.name));
  expect(preflights.map((p) => p.name)).toEqual(["infra-host-preflight", "infra-host-preflight-disk2", "infra-host-preflight-proliant2/disk1"]);
  const second = String(h.byName("infra-host-preflight-proliant2/disk1").inputs.create);
  // (The script is quoted once more for bash -c.)
  expect(second).toMatch(/^FMC_LIBVIRT_URI='\\''qemu\+ssh:\/\/root@192\.168\.0\.30\/system'\\''$/m);
  expect(second).toMatch(/^FMC_POOL_NAME='\\''flatcarmicrocloud-prod-disk1'\\''$/m);
  expect(second).toMatch(/^FMC_POOL_VOLUMES=\('\\''flatcar-[^|]+\.qcow2\|.*worker3-ceph-state\.raw\|/m);
  expect(second).not.toContain("worker2");
  expect(h.dependsOn(h.byName("infra-pool-proliant2/disk1"), h.byName("infra-host-preflight-proliant2/disk1"))).toBe(true);
});

it("powers a K3s node off through its own host's libvirt before its domain goes", () => {
  expect(String(h.byName("cluster-worker3-shutdown").inputs.delete)).toContain(SECOND_HOST_URI);
  expect(String(h.byName("cluster-worker2-shutdown").inputs.delete)).not.toContain(SECOND_HOST_URI);
});
