/**
 * The generated passwords under the mock engine: secret from generation to the after-boot commands
 * that deliver them on stdin, and in no VM's first-boot config (issue 16 item 6: the cloud-init disk
 * is a world-readable file on the host, and its path shows in every user's `ps`).
 */
import * as pulumi from "@pulumi/pulumi";
import { Topology, VmSpec } from "../config/topology";
import { CloudConfigFragment, renderRockyUserData } from "../infra/cloudinit";
import { describeNode } from "../infra/nodes";
import { prodSettings, prodTopology } from "./roles.helpers";

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

function renderRockyUserDataIfRocky(target: VmSpec, topology: Topology, fragments: CloudConfigFragment[]): string {
  return target.os === "rocky" ? renderRockyUserData(target, topology, fragments) : JSON.stringify(fragments);
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

test("no VM's first-boot config carries a password: the fragments are plain data", async () => {
  const { roles, topology } = await build();
  for (const target of topology.vms) {
    const userData = renderRockyUserDataIfRocky(target, topology, roles.fragmentsFor(target));
    expect(userData).not.toMatch(/mockpw/);
  }
});

test("the passwords reach FreeIPA and PostgreSQL after boot, on the stdin of their commands, as secrets", async () => {
  const { roles, topology } = await build();
  const nodes = topology.vms.map((v) => ({ ...describeNode(v, topology, "bastion1"), domainId: pulumi.output(`${v.name}-domain`), rootVolumeId: pulumi.output(`${v.name}-root`) }));
  const reconciled = roles.reconcile({ nodes, sshPrivateKey: pulumi.secret("key") });
  const acme = roles.enableAcme({ nodes, sshPrivateKey: pulumi.secret("key") });
  expect(reconciled.freeipaInstalls).toHaveLength(1);
  expect(reconciled.databaseRoles).toHaveLength(1);
  await value(pulumi.all([...reconciled.freeipaInstalls, ...reconciled.databaseRoles, acme?.command].map((c) => c?.urn)));
  const install = registered.find((r) => r.name === "guest-roles-freeipa1-install")?.inputs ?? {};
  const appRole = registered.find((r) => r.name === "guest-roles-postgresql1-app-role")?.inputs ?? {};
  for (const [command, wanted] of [
    [install, `${MOCK_RESULT("guest-roles-freeipa-admin")}\n${MOCK_RESULT("guest-roles-freeipa-directory-manager")}\n`],
    [appRole, `${MOCK_RESULT("guest-roles-postgres-app")}\n`],
  ] as const) {
    expect(command.stdin).toEqual({ [SECRET_SIG]: SECRET_SIG_VALUE, value: wanted });
    // The scripts (in `ps` on the VM and shown by a preview) hold none.
    expect(`${String(command.create)}${String(command.update)}`).not.toMatch(/mockpw/);
    expect(command.create).toBe(command.update);
  }
});

test("the WireGuard public key is read back over SSH after first boot, replaced with the bastion", async () => {
  const { roles } = await build();
  const key = roles.readWireguardPublicKey("domain-id-1", { host: "192.168.0.22", user: "ops" });
  expect(await value(key)).toBe("c2VydmVyLXB1YmxpYy1rZXktZm9yLXRlc3RzLW9ubHk=");
  const command = registered.find((r) => r.name === "guest-roles-bastion1-wireguard-public-key");
  expect(command?.name).toBe("guest-roles-bastion1-wireguard-public-key");
  // Bounded: a stuck first boot must not hang `pulumi up` (remote.Command has no timeout of its own).
  expect(command?.inputs.create).toMatch(/^sudo -n timeout 900 cloud-init status --wait .*sudo cat \/etc\/wireguard\/server\.pub$/);
  expect(command?.inputs.triggers).toEqual(["domain-id-1"]);
});
