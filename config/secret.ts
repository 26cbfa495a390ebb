import * as pulumi from "@pulumi/pulumi";

/** The keys the program takes only as secrets (a plain-text value is refused, naming the key). */
export const SECRET_CONFIG_KEYS: readonly string[] = ["sshPrivateKey", "kubeconfig", "tlsAcmeEabHmacKey", "registryMirrorPassword", "k3sToken", "gitopsRepoCredential"];

interface RuntimeConfig {
  isConfigSecret?: (fullKey: string) => boolean;
}

/**
 * Whether the stack holds `key` encrypted (`pulumi config set --secret`). Pulumi.yaml cannot make
 * the CLI enforce it (a key declared `secret: true` must be set on every stack: a secret has no
 * default), so the program refuses plain-text credentials itself. The SDK knows which keys are secret
 * (PULUMI_CONFIG_SECRET_KEYS, under the mock engine too) but exports the test only from its runtime module.
 */
export function isSecretConfig(key: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtime = require("@pulumi/pulumi/runtime/config") as RuntimeConfig;
  if (typeof runtime.isConfigSecret !== "function") throw new Error("this @pulumi/pulumi no longer tells secret config keys apart (runtime.isConfigSecret)");
  return runtime.isConfigSecret(`${pulumi.getProject()}:${key}`);
}
