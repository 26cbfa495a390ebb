/**
 * What counts as a secret-looking key, for the policy pack and the offline plan alike: a config key
 * or property name ending in password, passphrase, secret, token, private key, API key or
 * credentials (`adminPassword`, `sshPrivateKey`, `joinToken`, `clientSecret`). Names of references
 * to secrets (`existingSecret`, `secretName`, `tokenFile`, `passwordSecretRef`) do not end so and
 * are not secrets themselves; nor is `configSecret` (the prometheus-operator field naming the Secret
 * Alertmanager reads its config from).
 */
const SECRET_KEY = /(password|passwd|passphrase|secret|token|private_?key|api_?key|credentials?)$/i;
const REFERENCE = /^existing|secretref$|^use|enabled$|^configsecret$/i;

export function looksSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !REFERENCE.test(key);
}

/** A PEM or OpenSSH private key block, wherever it appears. */
export const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/;
