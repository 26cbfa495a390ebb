import * as pulumi from "@pulumi/pulumi";
import { parseTopology, RawStackConfig } from "./validate";
import { Topology } from "./topology";

/** Every key the program reads from the stack config (without the project prefix). */
export const CONFIG_KEYS: readonly (keyof RawStackConfig)[] = [
  "domain",
  "libvirtUri",
  "hostName",
  "hostVcpus",
  "hostMemoryGiB",
  "hostReservedMemoryGiB",
  "storagePoolPath",
  "sshPublicKey",
  "adminUser",
  "clusterNetwork",
  "fallbackNtpServers",
  "protectStatefulDisks",
  "networks",
  "vms",
];

/** Reads the stack config and validates it; throws a ConfigError naming each bad key. */
export function loadTopology(): Topology {
  const config = new pulumi.Config();
  const raw: RawStackConfig = {};
  for (const key of CONFIG_KEYS) {
    const text = config.get(key);
    if (text === undefined) continue;
    // Structured keys arrive as JSON text; scalars as plain strings (numbers are parsed by the validator).
    raw[key] = parseMaybeJson(text);
  }
  const topology = parseTopology(raw, pulumi.getStack());
  for (const warning of topology.warnings) void pulumi.log.warn(warning);
  return topology;
}

function parseMaybeJson(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith("[") && !trimmed.startsWith("{")) return text;
  try {
    return JSON.parse(trimmed);
  } catch {
    return text;
  }
}
