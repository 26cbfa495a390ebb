/**
 * What the engine would report back from real machines, for running the whole program under mocks
 * outside preview: generated passwords, the machine id a node's first step records, the kubeconfig
 * K3s writes, the bastion's WireGuard key. Without them those outputs stay undefined and the
 * applies built on them never settle.
 */
import * as pulumi from "@pulumi/pulumi";

export const COMMAND = "command:remote:Command";
export const TOKEN = "Tok3nTok3nTok3nTok3nTok3nTok3nTok3nTok3nTok3nTok";
export const MACHINE_ID = "0123456789abcdef0123456789abcdef";
export const WIREGUARD_PUBLIC_KEY = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
export const K3S_YAML = `apiVersion: v1
clusters:
- cluster: {certificate-authority-data: Q0E=, server: "https://127.0.0.1:6443"}
  name: default
contexts:
- context: {cluster: default, user: default}
  name: default
current-context: default
kind: Config
users:
- name: default
  user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}
`;

/** What FreeIPA's ACME command prints: the CA certificate (a stand-in body). */
export const FREEIPA_CA_PEM = ["-----BEGIN CERTIFICATE-----", Buffer.from("FreeIPA test CA").toString("base64"), "-----END CERTIFICATE-----", ""].join("\n");

export function machineOutputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> | undefined {
  if (args.type === "random:index/randomPassword:RandomPassword") return { result: TOKEN };
  // A salt (Mosquitto's password file): as many bytes as asked for.
  if (args.type === "random:index/randomBytes:RandomBytes") return { base64: Buffer.alloc(Number(args.inputs.length), 7).toString("base64") };
  if (args.type !== COMMAND) return undefined;
  if (args.name.endsWith("-boot")) return { stdout: MACHINE_ID };
  if (args.name.endsWith("-kubeconfig")) return { stdout: K3S_YAML };
  if (args.name.endsWith("-acme")) return { stdout: FREEIPA_CA_PEM };
  if (args.name.endsWith("-wireguard-public-key")) return { stdout: `${WIREGUARD_PUBLIC_KEY}\n` };
  return undefined;
}

/**
 * The random provider's outputs alone (what a platform under the mocks needs): a password with its
 * bcrypt hash (Traefik's basic auth), and a salt of as many bytes as asked for (Mosquitto's password file).
 */
export function randomOutputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> | undefined {
  if (args.type === "random:index/randomPassword:RandomPassword") return { result: "pw", bcryptHash: "$2a$10$h" };
  if (args.type === "random:index/randomBytes:RandomBytes") return { base64: Buffer.alloc(Number(args.inputs.length), 7).toString("base64") };
  return undefined;
}
