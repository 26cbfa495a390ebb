import * as pulumi from "@pulumi/pulumi";
import { ONE_HOST_KEYS } from "./hosts";
import { parseTopology, RawStackConfig } from "./validate";
import { Topology } from "./topology";

/** Every key the program reads from the stack config (without the project prefix). */
export const CONFIG_KEYS: readonly (keyof RawStackConfig)[] = [
  "domain",
  ...ONE_HOST_KEYS,
  "hosts",
  "sshPublicKey",
  "adminUser",
  "clusterNetwork",
  "fallbackNtpServers",
  "protectStatefulDisks",
  "flatcarImageUrl",
  "rockyImageUrl",
  "vmCpuMode",
  "deployUpTo",
  "cephStateDiskGiB",
  "networks",
  "vms",
];

/**
 * The stack's values for `keys`, as the validators take them: structured values parsed from the JSON
 * text the engine passes, scalars as strings (the validators parse numbers and booleans). Empty
 * values count as unset: Pulumi.yaml gives optional keys empty defaults, because the CLI treats a
 * declared key without a default as required.
 */
export function readRawConfig<K extends string>(keys: readonly K[]): Partial<Record<K, unknown>> {
  const config = new pulumi.Config();
  const raw: Partial<Record<K, unknown>> = {};
  for (const key of keys) {
    const text = config.get(key)?.trim();
    if (text === undefined || text === "" || text === "[]" || text === "{}") continue;
    raw[key] = parseMaybeJson(text);
  }
  return raw;
}

/**
 * Whether the stack sets `key` to something (an empty value is Pulumi.yaml's default: unset). Secret
 * keys too, without their value leaving this function.
 */
export function isConfigSet(key: string): boolean {
  // The raw store, not Config.get: a presence test is no plain-text read of a secret.
  return (pulumi.runtime.getConfig(`${pulumi.getProject()}:${key}`) ?? "").trim() !== "";
}

/** Reads the stack config and validates it; throws a ConfigError naming each bad key. */
export function loadTopology(): Topology {
  const raw: RawStackConfig = readRawConfig(CONFIG_KEYS);
  const topology = parseTopology(raw, pulumi.getStack());
  for (const warning of topology.warnings) void pulumi.log.warn(warning);
  return topology;
}

function parseMaybeJson(text: string): unknown {
  if (!text.startsWith("[") && !text.startsWith("{")) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
