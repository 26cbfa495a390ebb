/**
 * The committed stack configs as the program sees them, for tests: the same reader the offline plan
 * uses (Pulumi.<stack>.yaml from this repository, not ../shared), with the placeholders it fills in
 * for what an operator sets on their own machine (the SSH key pair).
 */
import { join } from "path";
import { PLACEHOLDER_SSH_PRIVATE_KEY, PLACEHOLDER_SSH_PUBLIC_KEY, readStackFile } from "../../plan/stack-config";
import { RawStackConfig } from "../../config/validate";

export const TEST_SSH_KEY = PLACEHOLDER_SSH_PUBLIC_KEY;
export const TEST_SSH_PRIVATE_KEY = PLACEHOLDER_SSH_PRIVATE_KEY;

/** Stack config keys (without the project prefix) with their YAML values. */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { config } = readStackFile(join(__dirname, "..", ".."), stack);
  return { sshPrivateKey: PLACEHOLDER_SSH_PRIVATE_KEY, ...config, ...overrides };
}

/** The same config as the raw input of parseTopology. */
export function rawStack(stack: string, overrides: Record<string, unknown> = {}): RawStackConfig {
  return stackConfig(stack, overrides);
}

/**
 * The seed's VMs as written in its tables (name, OS, address), with two deliberate changes:
 * load_balancer1 is loadbalancer1 (RFC 1123), and bastion1 is 192.168.0.22 because the seed's
 * 192.168.0.20 is the host's own enp4s0f0 (hostAddresses). Tests compare the stack and the program
 * against it.
 */
export const SEED_VMS: [string, string, string][] = [
  ["bastion1", "rocky", "192.168.0.22"],
  ["loadbalancer1", "rocky", "10.17.3.12"],
  ["freeipa1", "rocky", "10.17.3.11"],
  ["postgresql1", "rocky", "10.17.3.13"],
  ["bootstrap1", "flatcar", "10.17.3.14"],
  ["master1", "flatcar", "10.17.4.21"],
  ["worker1", "flatcar", "10.17.4.24"],
  ["worker2", "flatcar", "10.17.4.25"],
  ["worker3", "flatcar", "10.17.4.26"],
];
