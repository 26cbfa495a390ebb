/**
 * The secret-carrying properties of the prod program as `pulumi up` sends them, not as a first
 * preview does: with the engine's values known (generated passwords, the kubeconfig read back),
 * every property that carries a secret by design must reach the engine as a secret, none skipped.
 */
import { isSecretAt, Recorder, UNKNOWN } from "../plan/recorder";
import { recordDeployedProd } from "./helpers/deployed-program";
import { SECRET_CARRIERS } from "../policy/policies";

let rec: Recorder;

beforeAll(async () => {
  ({ rec } = await recordDeployedProd());
});

it("passes every secret-carrying property as a secret, with its value known", () => {
  let checked = 0;
  for (const r of rec.all()) {
    for (const prop of SECRET_CARRIERS[r.type] ?? []) {
      if (r.rawInputs[prop] === undefined) continue;
      expect({ resource: r.name, prop, unknown: r.rawInputs[prop] === UNKNOWN }).toEqual({ resource: r.name, prop, unknown: false });
      expect({ resource: r.name, prop, secret: isSecretAt(r.rawInputs, [prop]) }).toEqual({ resource: r.name, prop, secret: true });
      checked++;
    }
  }
  // The Kubernetes Secrets, the kubeconfig of the provider, every SSH connection.
  expect(checked).toBeGreaterThan(20);
});

it("hands the generated passwords to the VMs after boot, on the stdin of their commands, as secrets only", () => {
  // No user-data carries one (the cloud-init disk is world-readable on the host): all stay reviewable.
  for (const vm of ["freeipa1", "postgresql1", "bastion1"]) {
    const disk = rec.byName(`infra-${vm}-cloudinit`);
    expect({ vm, secret: isSecretAt(disk.rawInputs, ["userData"]) }).toEqual({ vm, secret: false });
  }
  for (const name of ["guest-roles-freeipa1-install", "guest-roles-postgresql1-app-role", "guest-roles-freeipa1-records"]) {
    const cmd = rec.byName(name);
    expect({ name, secret: isSecretAt(cmd.rawInputs, ["stdin"]) }).toEqual({ name, secret: true });
    expect(cmd.additionalSecretOutputs).toContain("stdin");
  }
});
