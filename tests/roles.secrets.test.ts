/**
 * The generated passwords under the mock engine: secret from generation to the fragments (and the
 * user-data built from them), never in a non-secret output.
 */
import * as pulumi from "@pulumi/pulumi";
import { renderRockyUserData } from "../infra/cloudinit";
import { prodSettings, prodTopology, vm } from "./roles.helpers";

/** How the engine marks a secret value on the wire (`pulumi/sdk` rpc.ts `specialSigKey` / `specialSecretSig`). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

const MOCK_RESULT = (name: string) => `mockpw${name.replace(/[^A-Za-z0-9]/g, "")}`;

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const registered: Registered[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        if (args.type === "random:index/randomPassword:RandomPassword") {
          return { id: `${args.name}-id`, state: { ...args.inputs, result: MOCK_RESULT(args.name) } };
        }
        if (args.type === "command:remote:Command") {
          return { id: `${args.name}-id`, state: { ...args.inputs, stdout: "c2VydmVyLXB1YmxpYy1rZXktZm9yLXRlc3RzLW9ubHk=\n", stderr: "" } };
        }
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "flatcarmicrocloud",
    "prod",
    false,
  );
});

class FakeCloudInitDisk extends pulumi.CustomResource {
  constructor(name: string, props: { userData: pulumi.Input<string> }) {
    super("test:index:CloudInitDisk", name, props);
  }
}

async function value<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

async function build() {
  const { GuestRoles } = await import("../infra/guest-roles");
  const topology = prodTopology();
  const roles = new GuestRoles("guest-roles", { topology, settings: prodSettings(topology) });
  return { roles, topology };
}

test("every generated password is a secret output of the component", async () => {
  const { roles } = await build();
  const outputs = [roles.freeipaAdminPassword, roles.freeipaDirectoryManagerPassword, roles.postgresPassword];
  for (const output of outputs) {
    expect(output).toBeDefined();
    expect(await pulumi.isSecret(output as pulumi.Output<string>)).toBe(true);
  }
  const passwords = registered.filter((r) => r.type === "random:index/randomPassword:RandomPassword");
  expect(passwords.map((p) => p.inputs)).toEqual(
    Array(3).fill(expect.objectContaining({ length: 32, special: false })),
  );
  expect(await value(roles.postgresPassword as pulumi.Output<string>)).toBe(MOCK_RESULT("guest-roles-postgres-app"));
});

test("fragments carrying a password, and the user-data built from them, are secret", async () => {
  const { roles, topology } = await build();
  for (const name of ["freeipa1", "postgresql1"]) {
    const target = vm(topology, name);
    const fragments = roles.fragmentsFor(target);
    expect(await pulumi.isSecret(fragments)).toBe(true);
    const userData = fragments.apply((f) => renderRockyUserData(target, topology, f));
    expect(await pulumi.isSecret(userData)).toBe(true);
    expect(await value(userData)).toMatch(/mockpwguestroles(freeipaadmin|postgresapp)/);
  }
});

test("VMs without passwords get plain fragments that contain none", async () => {
  const { roles, topology } = await build();
  for (const name of ["bastion1", "loadbalancer1", "worker1"]) {
    const fragments = roles.fragmentsFor(vm(topology, name));
    expect(await pulumi.isSecret(fragments)).toBe(false);
    expect(JSON.stringify(await value(fragments))).not.toMatch(/mockpw/);
  }
});

test("the WireGuard public key is read back over SSH after first boot, replaced with the bastion", async () => {
  const { roles } = await build();
  const key = roles.readWireguardPublicKey("domain-id-1", { host: "192.168.0.22", user: "ops" });
  expect(await value(key)).toBe("c2VydmVyLXB1YmxpYy1rZXktZm9yLXRlc3RzLW9ubHk=");
  const command = registered.find((r) => r.type === "command:remote:Command");
  expect(command?.name).toBe("guest-roles-bastion1-wireguard-public-key");
  // Bounded: a stuck first boot must not hang `pulumi up` (remote.Command has no timeout of its own).
  expect(command?.inputs.create).toMatch(/^sudo -n timeout 900 cloud-init status --wait .*sudo cat \/etc\/wireguard\/server\.pub$/);
  expect(command?.inputs.triggers).toEqual(["domain-id-1"]);
});

test("a resource delivering the user-data receives it as a secret, never as plain text", async () => {
  const { roles, topology } = await build();
  const target = vm(topology, "postgresql1");
  const userData = roles.fragmentsFor(target).apply((f) => renderRockyUserData(target, topology, f));
  // Stands in for the cloud-init disk of stage 1 (what the engine would store in the state).
  const disk = new FakeCloudInitDisk("postgresql1-cloudinit", { userData });
  await value(disk.urn);
  const inputs = registered.find((r) => r.name === "postgresql1-cloudinit")?.inputs ?? {};
  expect(inputs.userData).toEqual(expect.objectContaining({ [SECRET_SIG]: SECRET_SIG_VALUE }));
  const plainInputs = registered.filter((r) => r.name !== "postgresql1-cloudinit").map((r) => r.inputs);
  expect(JSON.stringify(plainInputs)).not.toMatch(/mockpw/);
});
