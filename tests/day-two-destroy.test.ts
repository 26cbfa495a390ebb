/**
 * `pulumi destroy` of the prod program, as the engine orders it: dependents before what they depend
 * on (plan/day-two-model.ts `destroyOrder` on the recorded graph), deletes skipped for resources
 * `deletedWith` a resource deleted in the same run. The platform and the per-node steps go with the
 * cluster instead of running Helm uninstalls, drains and K3s uninstalls; the VMs go after every
 * command that connects to them; protected disks stay (`pulumi destroy --exclude-protected`).
 */
import { destroyOrder } from "../plan/day-two-model";
import { Recorded, Recorder } from "../plan/recorder";
import { recordDeployedProd } from "./helpers/deployed-program";

let rec: Recorder;
let order: ReturnType<typeof destroyOrder>;
const layerOf = (name: string) => order.layers.findIndex((l) => l.includes(name));

beforeAll(async () => {
  ({ rec } = await recordDeployedProd());
  order = destroyOrder(rec.all());
});

const custom = () => rec.all().filter((r) => r.custom);
const isPlatformObject = (r: Recorded) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:");

it("deletes no platform object through the API: they go with the cluster (no Helm uninstall to wait on)", () => {
  const token = rec.byName("cluster-token");
  const objects = custom().filter(isPlatformObject);
  expect(objects.length).toBeGreaterThan(50);
  expect(objects.filter((r) => r.type === "kubernetes:helm.sh/v3:Release").length).toBeGreaterThanOrEqual(8);
  // The reboot coordinator too: a kured left running while the VMs go would drain nodes for nothing.
  expect(objects.map((r) => r.name)).toEqual(expect.arrayContaining(["platform-kured", "platform-ceph-health-rules"]));
  for (const r of objects) {
    expect([r.name, r.deletedWith]).toEqual([r.name, token.urn]);
    expect(order.skipped.has(r.name)).toBe(true);
  }
});

it("skips the per-node drains, uninstalls and node removals: the VMs and their disks go anyway", () => {
  const steps = custom().filter((r) => r.type === "command:remote:Command" && /-(member|membership|k3s)$/.test(r.name));
  expect(steps.length).toBe(15);
  for (const r of steps) expect(order.skipped.has(r.name)).toBe(true);
});

it("deletes every VM after every command that connects to it, and the networks and pool after the VMs", () => {
  const domains = custom().filter((r) => r.type === "libvirt:index/domain:Domain");
  for (const d of domains) {
    const onIt = custom().filter((r) => r.type === "command:remote:Command" && (r.propertyDependencies.connection ?? []).includes(d.urn));
    for (const c of onIt) expect([c.name, layerOf(c.name) < layerOf(d.name)]).toEqual([c.name, true]);
    for (const after of ["infra-pool", ...custom().filter((r) => r.type === "libvirt:index/network:Network").map((r) => r.name)]) {
      expect(layerOf(d.name)).toBeLessThan(layerOf(after));
    }
  }
});

it("keeps the protected disks and what they need with --exclude-protected, exactly as documented", () => {
  const protectedNames = custom().filter((r) => r.protect).map((r) => r.name).sort();
  expect(protectedNames).toEqual(
    ["infra-freeipa1-root", "infra-postgresql1-root", ...["worker1", "worker2", "worker3"].flatMap((w) => [`infra-${w}-ceph-osd`, `infra-${w}-ceph-state`])].sort(),
  );
});
