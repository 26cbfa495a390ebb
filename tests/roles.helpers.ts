/** Shared fixtures of the guest-role tests: the prod topology, rendered user-data, real validators. */
import { execFileSync, spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse } from "yaml";
import { parseRoleSettings, RawRoleConfig, RoleSettings } from "../config/roles";
import { Topology, VmSpec } from "../config/topology";
import { parseTopology } from "../config/validate";
import { CloudConfig, renderRockyUserData } from "../infra/cloudinit";
import { roleFragments } from "../infra/roles";

export const TEST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZtY3Rlc3RrZXlmbGF0Y2FybWljcm9jbG91ZHRlc3Q test@fmc";
export const PEER_KEY = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
/** A second peer's public key (day-two tests add it). */
export const PEER_KEY_2 = "alAg9vsIo3aGIey1LEej8rBnium9pm6nGLXJ0stGsME=";

/** Stand-ins for the generated passwords, for the after-boot commands' stdin. */
export const SECRETS = {
  freeipaAdminPassword: "AdminPw0123456789abcdefABCDEFxyz1",
  freeipaDirectoryManagerPassword: "DirMgrPw0123456789abcdefABCDEFxy",
  postgresPassword: "PgAppPw0123456789abcdefABCDEFxyz9",
};

/** The raw stack config of Pulumi.<stack>.yaml, keys without the project prefix. */
export function stackConfig(stack: string): Record<string, unknown> {
  const doc = parse(readFileSync(path.join(__dirname, "..", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc.config)) raw[key.replace(/^flatcarmicrocloud:/, "")] = value;
  return raw;
}

export function prodTopology(): Topology {
  return parseTopology({ ...stackConfig("prod"), sshPublicKey: TEST_KEY }, "prod");
}

export function prodSettings(topology: Topology, overrides: RawRoleConfig = {}): RoleSettings {
  const raw = stackConfig("prod") as RawRoleConfig;
  return parseRoleSettings(
    {
      ...raw,
      wireguardPeers: [{ name: "laptop", publicKey: PEER_KEY, allowedIps: ["10.17.99.2"] }],
      ...overrides,
    },
    topology,
  );
}

export function vm(topology: Topology, name: string): VmSpec {
  const found = topology.vms.find((v) => v.name === name);
  if (!found) throw new Error(`no VM ${name}`);
  return found;
}

export function userData(target: VmSpec, topology: Topology, settings: RoleSettings): string {
  return renderRockyUserData(target, topology, roleFragments(target, topology, settings));
}

export function cloudConfig(target: VmSpec, topology: Topology, settings: RoleSettings): CloudConfig {
  return parse(userData(target, topology, settings).replace(/^#cloud-config\n/, "")) as CloudConfig;
}

export function fileContent(config: CloudConfig, filePath: string): string {
  const file = (config.write_files ?? []).find((f) => f.path === filePath);
  if (!file) throw new Error(`no write_files entry ${filePath}`);
  return file.content;
}

function withTempFile<T>(name: string, content: string, run: (file: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), "fmc-roles-"));
  try {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return run(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `cloud-init schema` output; throws (with the report) when the document is invalid. */
export function cloudInitSchema(document: string): string {
  return withTempFile("user-data", document, (file) =>
    execFileSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
  );
}

/** shellcheck findings (empty when clean). */
export function shellcheck(script: string): string {
  return checkWith("shellcheck", ["-s", "bash"], script);
}

/** Runs `cmd ...args file` on `content`; returns its complaints (empty on success). */
export function checkWith(cmd: string, args: string[], content: string): string {
  return withTempFile("input", content, (file) => {
    const r = spawnSync(cmd, [...args, file], { encoding: "utf8" });
    return r.status === 0 ? "" : `${r.stdout}${r.stderr}`;
  });
}

export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}

/** A fourth worker with worker3's shape, at the next address of the cluster network. */
export const WORKER4 = {
  name: "worker4",
  role: "k3s-agent",
  os: "flatcar",
  vcpus: 4,
  memoryMiB: 7168,
  rootDiskGiB: 40,
  dataDiskGiB: 200,
  nics: [{ network: "kube_network_03", address: "10.17.4.27" }],
};

/**
 * The prod topology with VMs added or removed. The host is made larger in every variant (the same
 * way, so the variants differ only in their VMs): prod already uses 23 of its 24 vCPUs.
 */
export function prodTopologyWith(change: { add?: Record<string, unknown>[]; remove?: string[] } = {}): Topology {
  const raw = stackConfig("prod");
  const vms = (raw.vms as { name: string }[]).filter((v) => !(change.remove ?? []).includes(v.name));
  return parseTopology({ ...raw, sshPublicKey: TEST_KEY, hostVcpus: 48, hostMemoryGiB: 64, vms: [...vms, ...(change.add ?? [])] }, "prod");
}
