/**
 * The committed stack configs as the program sees them, for tests. Reads Pulumi.<stack>.yaml from the
 * repository (not from ../shared), adds the keys a user sets on their own machine (the SSH key).
 */
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { RawStackConfig } from "../../config/validate";

export const TEST_SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOPQtestkeyfortheflatcarmicrocloudsuite operator@test";
export const PROJECT = "flatcarmicrocloud";

/** Stack config keys (without the project prefix) with their YAML values. */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const file = parse(readFileSync(join(__dirname, "..", "..", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  const config: Record<string, unknown> = { sshPublicKey: TEST_SSH_KEY };
  for (const [key, value] of Object.entries(file.config)) {
    config[key.replace(`${PROJECT}:`, "")] = value;
  }
  return { ...config, ...overrides };
}

/** The same config as the raw input of parseTopology. */
export function rawStack(stack: string, overrides: Record<string, unknown> = {}): RawStackConfig {
  return stackConfig(stack, overrides);
}
