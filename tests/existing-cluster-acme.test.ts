/**
 * An existing cluster's certificates from the user's ACME server (`tlsIssuer: acme`) with External
 * Account Binding, the whole program under the mock engine: the EAB HMAC key (secret config) reaches
 * the cluster only as a secret Secret the ClusterIssuer waits for; no CA is made, no CA output.
 */
import { ISSUER_NAMES } from "../platform/certificates";
import { USER_ACME_EAB_KEY, USER_ACME_EAB_SECRET } from "../platform/values/cert-manager";
import { existingClusterConfig } from "./helpers/existing-cluster";
import { machineOutputs } from "./helpers/machine-outputs";
import { Harness, isSecretAt, startHarness } from "./helpers/pulumi-harness";

let h: Harness;
let program: typeof import("../index");

beforeAll(async () => {
  h = await startHarness({
    stack: "lab",
    config: existingClusterConfig({
      tlsIssuer: "acme",
      tlsAcmeServer: "https://acme.example.net/directory",
      tlsAcmeEmail: "ops@example.net",
      tlsAcmeEabKeyId: "kid-1",
      tlsAcmeEabHmacKey: "aG1hYy1rZXk",
    }),
    secretKeys: ["kubeconfig", "tlsAcmeEabHmacKey"],
    outputsFor: machineOutputs,
  });
  program = await import("../index");
  await h.settle();
}, 300_000);

it("puts the EAB HMAC key into cert-manager's namespace as a secret, and the issuer waits for it", () => {
  const secret = h.byName("platform-acme-eab");
  expect(secret.inputs.metadata).toEqual({ name: USER_ACME_EAB_SECRET, namespace: "cert-manager" });
  expect(isSecretAt(secret.rawInputs, ["stringData", USER_ACME_EAB_KEY])).toBe(true);
  const issuer = h.byName("platform-cluster-issuer");
  expect((issuer.inputs.metadata as { name: string }).name).toBe(ISSUER_NAMES.acme);
  expect(issuer.dependencies).toContain(secret.urn);
  expect((issuer.inputs.spec as { acme: { externalAccountBinding: { keyID: string } } }).acme.externalAccountBinding.keyID).toBe("kid-1");
});

it("makes no CA and outputs none", () => {
  expect(h.all().filter((r) => r.name === "platform-ca-certificate" || r.name === "platform-selfsigned-issuer")).toEqual([]);
  expect(program.tlsCaCertificate).toBeUndefined();
});

it("refuses the HMAC key in plain text, naming it", async () => {
  await startHarness({ stack: "lab", config: existingClusterConfig({ tlsIssuer: "acme", tlsAcmeServer: "https://a.example.net/d", tlsAcmeEmail: "o@example.net", tlsAcmeEabKeyId: "k", tlsAcmeEabHmacKey: "x" }), secretKeys: ["kubeconfig"] });
  const { loadStackConfig } = await import("../config");
  const { problemsOf } = await import("./helpers/problems");
  expect(problemsOf(() => loadStackConfig())).toEqual([expect.stringMatching(/^tlsAcmeEabHmacKey: is stored in plain text/)]);
});
