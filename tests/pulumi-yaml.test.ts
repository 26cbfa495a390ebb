/**
 * Pulumi.yaml's `config:` declarations against what the program reads. The CLI checks stack config
 * against them before the program runs: a declared key without a default is required, a declared
 * type must match the value. So every optional key needs a default, every key the program reads is
 * declared (or is one of the structured keys the project schema cannot type), and nothing stale is.
 */
import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { ALERT_CONFIG_KEYS, ALERT_SECRET_KEYS } from "../config/alerts";
import { APPS_CONFIG_KEYS } from "../config/apps";
import { BACKUP_CONFIG_KEYS, BACKUP_SECRET_KEYS } from "../config/backup";
import { CLUSTER_CONFIG_KEYS } from "../config/cluster";
import { EXISTING_CLUSTER_CONFIG_KEYS } from "../config/existing-cluster";
import { CONFIG_KEYS } from "../config/load";
import { PLATFORM_CONFIG_KEYS } from "../config/platform";
import { BUILDS_PUSH_PASSWORD_KEY } from "../config/opt-ins/builds";
import { ROLE_CONFIG_KEYS } from "../config/roles";
import { SECRET_CONFIG_KEYS } from "../config/secret";
import { readStackFile } from "../plan/stack-config";

const ROOT = join(__dirname, "..");
const declared = (parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, { type: string; default?: unknown; secret?: boolean }> }).config;
/** Lists of objects and maps: the project schema has no object type, so these are documented, not declared. */
const STRUCTURED = ["hosts", "networks", "vms", "wireguardPeers", "apps", "existingNodes", "chartVersions", "builds", "registry", "registryMirror", "logs", "gitops", "vpa"];
/** Set by each operator on their own machine (README), in no committed stack file. */
const OPERATOR_SET = ["sshPublicKey", "sshPrivateKey", "appsRegistry", "kubeconfig"];
const read = [...CONFIG_KEYS, ...ROLE_CONFIG_KEYS, ...CLUSTER_CONFIG_KEYS, ...PLATFORM_CONFIG_KEYS, ...APPS_CONFIG_KEYS, ...BACKUP_CONFIG_KEYS, ...BACKUP_SECRET_KEYS, ...ALERT_CONFIG_KEYS, ...ALERT_SECRET_KEYS, ...EXISTING_CLUSTER_CONFIG_KEYS, ...SECRET_CONFIG_KEYS, BUILDS_PUSH_PASSWORD_KEY] as string[];
const stacks = readdirSync(ROOT).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => s !== undefined);

it("declares every key the program reads, except the structured lists", () => {
  for (const key of read) {
    if (STRUCTURED.includes(key)) expect(declared[key]).toBeUndefined();
    else expect(declared[key]).toBeDefined();
  }
});

it("declares nothing the program does not read", () => {
  expect(Object.keys(declared).filter((k) => !read.includes(k))).toEqual([]);
});

it("every declared key without a default is set by each committed stack or by the operator", () => {
  expect(stacks.sort()).toEqual(expect.arrayContaining(["dev", "prod"]));
  for (const stack of stacks) {
    const { config } = readStackFile(ROOT, stack);
    const missing = Object.entries(declared)
      .filter(([key, d]) => !("default" in d) && !OPERATOR_SET.includes(key) && config[key] === undefined)
      .map(([key]) => key);
    expect({ stack, missing }).toEqual({ stack, missing: [] });
  }
});

it("declared types match the committed values and the defaults", () => {
  const matches = (type: string, value: unknown) =>
    type === "array" ? Array.isArray(value) : type === "integer" ? Number.isInteger(value) : typeof value === type;
  for (const [key, d] of Object.entries(declared)) {
    if ("default" in d) expect({ key, ok: matches(d.type, d.default) }).toEqual({ key, ok: true });
    for (const stack of stacks) {
      const value = readStackFile(ROOT, stack).config[key];
      if (value !== undefined && !OPERATOR_SET.includes(key)) expect({ stack, key, ok: matches(d.type, value) }).toEqual({ stack, key, ok: true });
    }
  }
  // The secret keys: optional (an empty default; a key declared `secret: true` would be required of
  // every stack, since the CLI refuses a default as a plain value), refused in plain text by the program.
  for (const key of SECRET_CONFIG_KEYS) {
    expect({ key, declared: declared[key] }).toEqual({ key, declared: expect.objectContaining({ type: "string", default: "" }) });
    expect({ key, secret: declared[key].secret }).toEqual({ key, secret: undefined });
  }
});

it("an existing-cluster stack needs no stage 1-2 key: every declared key but domain and kubeconfig has a default", () => {
  expect(Object.entries(declared).filter(([, d]) => !("default" in d)).map(([k]) => k)).toEqual(["domain"]);
});
