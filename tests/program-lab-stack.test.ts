/**
 * The lab's own stack config (scripts/lab/Pulumi.lab.yaml, `deployUpTo: vms`, a topology with no
 * Ceph storage node and no FreeIPA) runs the whole program: the checks of the later stages (the
 * platform's and the apps' room on the workers) apply only to stacks that deploy those stages.
 * The real lab found this: the capacity check stopped the program before stage 1.
 */
import { join } from "path";
import { libvirtSnapshot, oneHostFixture } from "./helpers/libvirt-snapshot";
import { machineOutputs } from "./helpers/machine-outputs";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { readStackFile } from "../plan/stack-config";
import { TEST_SSH_PRIVATE_KEY } from "./helpers/stacks";

let h: Harness;
let outputs: Record<string, unknown>;

beforeAll(async () => {
  const { config } = readStackFile(join(__dirname, "..", "scripts", "lab"), "lab");
  h = await startHarness({ stack: "lab", config: { ...config, sshPrivateKey: TEST_SSH_PRIVATE_KEY }, outputsFor: machineOutputs });
  outputs = await import("../index");
  await h.settle();
});

it("creates the lab's VMs and no platform object", () => {
  expect(h.byType("libvirt:index/domain:Domain").length).toBeGreaterThan(0);
  expect(h.all().filter((r) => r.type.startsWith("kubernetes:"))).toEqual([]);
});

it("reports no capacity budget for a stack that does not deploy the platform", () => {
  expect(outputs.capacityBudget).toBeUndefined();
});

it("makes exactly the libvirt resources (URNs, providers, inputs, options) the program made before the hosts list", () => {
  expect(libvirtSnapshot(h)).toEqual(oneHostFixture("lab"));
});
