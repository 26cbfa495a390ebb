/**
 * The program with `deployUpTo: vms` (the lab stack's setting, and a user's first step on a new host):
 * stage 1's libvirt objects and first-boot config only (after the host preflight). No command reaches
 * a VM, no K3s, no Helm;
 * the VMs take the configured CPU mode and the base images come from the configured mirror.
 */
import { machineOutputs } from "./helpers/machine-outputs";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { stackConfig } from "./helpers/stacks";
import { IMAGES } from "../versions";

let h: Harness;
const MIRROR = "http://127.0.0.1:8099/flatcar_production_qemu_image.img";

beforeAll(async () => {
  h = await startHarness({
    stack: "prod",
    config: stackConfig("prod", { deployUpTo: "vms", vmCpuMode: "maximum", flatcarImageUrl: MIRROR }),
    outputsFor: machineOutputs,
  });
  await import("../index");
  await h.settle();
});

it("reaches no VM: no remote command, no Kubernetes object, no Helm release; only the local host preflight", () => {
  const types = [...new Set(h.all().map((r) => r.type))].sort();
  expect(types.filter((t) => /^(command:remote|kubernetes|pulumi:providers:kubernetes)/.test(t))).toEqual([]);
  expect(h.byType("command:local:Command").map((r) => r.name)).toEqual(["infra-host-preflight"]);
  expect(h.byType("libvirt:index/domain:Domain")).toHaveLength(9);
});

it("still generates the passwords the Rocky VMs' first boot carries (FreeIPA, PostgreSQL)", () => {
  expect(h.byType("random:index/randomPassword:RandomPassword").map((r) => r.name).sort()).toEqual([
    "guest-roles-freeipa-admin",
    "guest-roles-freeipa-directory-manager",
    "guest-roles-postgres-app",
  ]);
});

it("gives every VM the configured CPU mode", () => {
  const modes = new Set(h.byType("libvirt:index/domain:Domain").map((d) => JSON.stringify(d.inputs.cpu)));
  expect([...modes]).toEqual([JSON.stringify({ mode: "maximum" })]);
});

it("downloads the base image from the mirror, and a later URL change replaces nothing (source ignored)", () => {
  const base = h.byType("libvirt:index/volume:Volume").find((v) => v.name === `infra-flatcar-base-${IMAGES.flatcar.release}`);
  expect(base?.inputs.source).toBe(MIRROR);
  expect(base?.ignoreChanges).toEqual(["source"]);
});
