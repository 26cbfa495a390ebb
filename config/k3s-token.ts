/**
 * `k3sToken` (secret, optional): the K3s server token the cluster is built with, instead of the one
 * the stack generates. K3s encrypts its bootstrap data (the cluster CAs' keys, the Secrets'
 * encryption key, its passwd file) with this token, in etcd and so in every etcd snapshot, and
 * refuses to start with another one ("bootstrap data already found and encrypted with different
 * token", K3s pkg/cluster/storage.go). So a stack rebuilt after a lost host restores its old
 * snapshots only with the old token from its first `pulumi up` (docs/backups.md, "Restore onto a
 * rebuilt stack"). Kept in the stack config, encrypted like every secret key there, it survives the
 * host with the project's Pulumi.<stack>.yaml.
 *
 * Accepted forms: the bare token (the stack output `k3sToken`), or K3s's full server token as in
 * `/var/lib/rancher/k3s/server/token` (`K10<CA hash>::server:<token>`), reduced to its token part:
 * a new cluster's first server takes only the bare form (its CA does not exist yet to match the
 * hash; K3s docs, "k3s token"), and K3s derives the encryption key from that part alone
 * (NormalizeToken in pkg/util). Pure, apart from `readK3sToken`.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkSecretKeys, RawSecrets, readSecretKeys } from "./secret-keys";
import { Collector } from "./validate";

export const K3S_TOKEN_KEY = "k3sToken";
export const K3S_TOKEN_SECRET_KEYS = [K3S_TOKEN_KEY] as const;
/** The generated token is 48 letters and digits; a hand-made one at least this long. */
export const MIN_K3S_TOKEN_LENGTH = 16;

/** K3s's secure token: `K10`, the CA hash (64 hex digits), `::`, `<user>:<password>`. */
const SECURE = /^K10([0-9a-f]{64})?::([^:]*):(.+)$/;
/** A kubeadm-style bootstrap token, which K3s parses as such, not as a server token. */
const BOOTSTRAP = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

/** The token part of a server token, or a problem naming the key (never the value). */
export function normalizeK3sToken(value: string): { token?: string; problem?: string } {
  let token = value;
  const secure = SECURE.exec(value);
  if (secure) {
    if (secure[2] !== "server") {
      return { problem: `is a K3s "${secure[2]}" token; only the server token (user "server", /var/lib/rancher/k3s/server/token) decrypts the cluster's bootstrap data` };
    }
    token = secure[3];
  } else if (value.startsWith("K10")) {
    return { problem: "starts like K3s's full token (K10<CA hash>::server:<token>) but is not one; give the file's whole line or the token alone" };
  }
  if (BOOTSTRAP.test(token)) return { problem: "is a bootstrap token (abcdef.0123456789abcdef), not a server token" };
  if (token.length < MIN_K3S_TOKEN_LENGTH) return { problem: `must be at least ${MIN_K3S_TOKEN_LENGTH} characters: it is the passphrase of the cluster's CA keys in every etcd snapshot` };
  return { token };
}

/** Validates the raw secret; returns the token part, or nothing when the key is unset. */
export function parseK3sToken(c: Collector, raw: RawSecrets<typeof K3S_TOKEN_KEY>): string | undefined {
  const ok = checkSecretKeys(c, K3S_TOKEN_SECRET_KEYS, raw);
  const value = ok[K3S_TOKEN_KEY];
  if (value === undefined) return undefined;
  const { token, problem } = normalizeK3sToken(value);
  if (problem) c.fail(K3S_TOKEN_KEY, problem);
  return token;
}

/** Reads `k3sToken`: the token part as a secret Output, or undefined when unset. */
export function readK3sToken(c: Collector): pulumi.Output<string> | undefined {
  const { raw, outputs } = readSecretKeys(K3S_TOKEN_SECRET_KEYS);
  const token = parseK3sToken(c, raw);
  const output = outputs[K3S_TOKEN_KEY];
  if (token === undefined || output === undefined) return undefined;
  return pulumi.secret(output.apply((v) => normalizeK3sToken(v).token ?? ""));
}
