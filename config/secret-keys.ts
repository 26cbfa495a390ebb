/**
 * Stack config keys that hold credentials: they must be stored encrypted (`pulumi config set
 * --secret`), and the program refuses a plain-text value, naming the key and never its value. They
 * cannot be declared `secret: true` with an empty default in Pulumi.yaml (the CLI rejects that since
 * 3.202, pulumi/pulumi#21865), so this check is the program's own.
 */
import * as pulumi from "@pulumi/pulumi";
import { Collector } from "./validate";

/** A secret key's raw value (for validation only, never printed) and whether it is stored encrypted. */
export type RawSecrets<K extends string> = Partial<Record<K, { value: string; secret: boolean }>>;

/**
 * Whether the stack config stores `fullKey` encrypted. The SDK keeps this in runtime/config (the
 * engine passes the secret keys' names to the program) but leaves it out of its type declarations.
 */
function isConfigSecret(fullKey: string): boolean {
  const check = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  // Never accept a value as secret without asking: an SDK without the check is a hard error.
  if (typeof check !== "function") throw new Error("@pulumi/pulumi no longer exports runtime.isConfigSecret: update config/secret-keys.ts");
  return check(fullKey);
}

/** The raw values of `keys` (validation) and each as a secret Output from getSecret (delivery). */
export function readSecretKeys<K extends string>(keys: readonly K[]): { raw: RawSecrets<K>; outputs: Record<K, pulumi.Output<string> | undefined> } {
  const config = new pulumi.Config();
  const raw: RawSecrets<K> = {};
  const outputs = {} as Record<K, pulumi.Output<string> | undefined>;
  for (const key of keys) {
    const fullKey = `${config.name}:${key}`;
    const value = pulumi.runtime.getConfig(fullKey);
    if (value !== undefined && value.trim() !== "") raw[key] = { value, secret: isConfigSecret(fullKey) };
    outputs[key] = config.getSecret(key);
  }
  return { raw, outputs };
}

/** `pulumi config set --secret <key> <value>`, as the messages suggest it. */
export function setSecretCommand(key: string): string {
  return `pulumi config set --secret ${key} <value>`;
}

/** Printable, one line, no whitespace at either end: what fits a config file line and a shell word. */
const SINGLE_LINE = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * The stored-in-plain-text check and the one-line check of each set key; returns the keys that passed
 * with their values. The value is never part of a message: a key pasted by mistake must not reach a log.
 */
export function checkSecretKeys<K extends string>(c: Collector, keys: readonly K[], raw: RawSecrets<K>): Partial<Record<K, string>> {
  const ok: Partial<Record<K, string>> = {};
  for (const key of keys) {
    const entry = raw[key];
    if (entry === undefined || entry.value === "") continue;
    if (!entry.secret) {
      c.fail(key, `is stored in plain text in the stack config; remove it (\`pulumi config rm ${key}\`) and set it encrypted with \`${setSecretCommand(key)}\``);
      continue;
    }
    if (!SINGLE_LINE.test(entry.value)) {
      c.fail(key, "must be one line of printable characters without spaces at either end");
      continue;
    }
    ok[key] = entry.value;
  }
  return ok;
}
