/**
 * An existing cluster's certificates from the CA the program makes (`tlsIssuer: selfSigned`), the whole
 * program under the mock engine: cert-manager, a self-signed ClusterIssuer that signs one CA
 * Certificate, the CA ClusterIssuer every route's Certificate names, no HTTP-01 solver policy, and
 * the CA certificate (read from its Secret once issued) as the stack output `tlsCaCertificate`.
 */
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_ISSUER, ISSUER_NAMES } from "../platform/certificates";
import { CA_SECRET, SELF_SIGNED_ISSUER, USER_ACME_ACCOUNT_SECRET, USER_ACME_EAB_KEY, USER_ACME_EAB_SECRET, userAcmeIssuerSpec } from "../platform/values/cert-manager";
import { parseExistingCluster } from "../config/existing-cluster";
import { parsePlatformSettings } from "../config/platform";
import { existingClusterFacts } from "../existing-cluster/facts";
import { planPlatform } from "../platform/plan";
import { renderPlatform } from "../platform/render";
import { EXISTING_NODES, existingClusterConfig } from "./helpers/existing-cluster";
import { machineOutputs } from "./helpers/machine-outputs";
import { Harness, resolveOutput, startHarness } from "./helpers/pulumi-harness";

const CA_PEM = "-----BEGIN CERTIFICATE-----\nTEFCIENB\n-----END CERTIFICATE-----\n";
let h: Harness;
let program: typeof import("../index");
const reads: string[] = [];

beforeAll(async () => {
  h = await startHarness({
    stack: "lab",
    config: existingClusterConfig({ tlsIssuer: "selfSigned" }),
    secretKeys: ["kubeconfig"],
    outputsFor: (a) => {
      // The CA's Secret as cert-manager writes it, read by the program once the Certificate is issued.
      if (a.type === "kubernetes:core/v1:Secret" && a.id) {
        reads.push(a.id);
        return { data: { "tls.crt": Buffer.from(CA_PEM).toString("base64"), "tls.key": "a2V5", "ca.crt": Buffer.from(CA_PEM).toString("base64") } };
      }
      return machineOutputs(a);
    },
  });
  program = await import("../index");
  await h.settle();
}, 300_000);

const byKind = (kind: string) => h.all().filter((r) => r.inputs.kind === kind);

it("installs cert-manager and chains a self-signed issuer, the CA Certificate and the CA issuer, each awaited Ready", () => {
  expect(h.byType("kubernetes:helm.sh/v3:Release").map((r) => r.inputs.name)).toContain("cert-manager");
  const issuers = byKind("ClusterIssuer");
  expect(issuers.map((r) => (r.inputs.metadata as { name: string }).name).sort()).toEqual([ISSUER_NAMES.selfSigned, SELF_SIGNED_ISSUER].sort());
  expect(ISSUER_NAMES.selfSigned).not.toBe(CLUSTER_ISSUER);
  const selfSigned = h.byName("platform-selfsigned-issuer");
  const ca = h.byName("platform-ca-certificate");
  const caIssuer = h.byName("platform-cluster-issuer");
  expect(selfSigned.inputs.spec).toEqual({ selfSigned: {} });
  expect(ca.inputs.spec).toMatchObject({ isCA: true, secretName: CA_SECRET, commonName: "FlatcarMicroCloud CA home.example", issuerRef: { kind: "ClusterIssuer", name: SELF_SIGNED_ISSUER } });
  expect((ca.inputs.metadata as { namespace: string }).namespace).toBe("cert-manager");
  expect(caIssuer.inputs.spec).toEqual({ ca: { secretName: CA_SECRET } });
  expect(ca.dependencies).toContain(selfSigned.urn);
  expect(caIssuer.dependencies).toContain(ca.urn);
  for (const r of [selfSigned, ca, caIssuer]) expect((r.inputs.metadata as { annotations: Record<string, string> }).annotations["pulumi.com/waitFor"]).toBe("condition=Ready");
});

it("issues every route's Certificate from the CA issuer, after it; no HTTP-01 solver policy (no ACME challenge)", () => {
  const certs = byKind("Certificate").filter((r) => r.name !== "platform-ca-certificate");
  expect(certs.map((r) => (r.inputs.metadata as { name: string }).name).sort()).toEqual(["ceph.home.example", "grafana.home.example", "traefik.home.example"]);
  for (const c of certs) {
    expect((c.inputs.spec as { issuerRef: { name: string } }).issuerRef.name).toBe(ISSUER_NAMES.selfSigned);
    expect(c.dependencies).toContain(h.byName("platform-cluster-issuer").urn);
  }
  expect(h.all().filter((r) => r.name.endsWith("allow-acme-http01-solver"))).toEqual([]);
  expect(h.all().filter((r) => /acme-directory|http01-self-check/.test(r.name))).toEqual([]);
});

it("outputs the CA certificate (its Secret's tls.crt, read after the Certificate), not its key", async () => {
  const out = await resolveOutput(program.tlsCaCertificate as pulumi.Output<string>);
  expect(out.value).toBe(CA_PEM);
  expect(out.secret).toBe(false);
  expect(reads).toEqual([`cert-manager/${CA_SECRET}`]);
});

describe("tlsIssuer acme: the user's ACME server", () => {
  const ACME = { server: "https://acme.example.net:8443/directory", email: "ops@example.net", eabKeyId: "kid-1", caBundle: CA_PEM };

  it("the ClusterIssuer: HTTP-01 through Traefik, the account e-mail, EAB from the program's Secret, the server's CA bundle", () => {
    expect(userAcmeIssuerSpec(ACME, "traefik")).toEqual({
      acme: {
        server: ACME.server,
        email: ACME.email,
        caBundle: Buffer.from(CA_PEM).toString("base64"),
        privateKeySecretRef: { name: USER_ACME_ACCOUNT_SECRET },
        externalAccountBinding: { keyID: "kid-1", keySecretRef: { name: USER_ACME_EAB_SECRET, key: USER_ACME_EAB_KEY } },
        solvers: [expect.objectContaining({ http01: expect.objectContaining({ ingress: expect.objectContaining({ ingressClassName: "traefik" }) }) })],
      },
    });
    expect(userAcmeIssuerSpec({ server: ACME.server, email: ACME.email }, "traefik").acme).not.toHaveProperty("externalAccountBinding");
    expect(userAcmeIssuerSpec({ server: ACME.server, email: ACME.email }, "traefik").acme).not.toHaveProperty("caBundle");
  });

  it("cert-manager may reach the server's port and port 80 of the hosts (the user's DNS decides where), and Traefik the solver pods", () => {
    const facts = existingClusterFacts(parseExistingCluster({ existingNodes: EXISTING_NODES }), "home.example");
    const withAcme = { ...facts, tls: { issuer: "acme" as const, acme: ACME, ingressAddress: facts.ingress.address } };
    const rendered = renderPlatform(planPlatform({ ...withAcme, settings: parsePlatformSettings({}, withAcme) }));
    const certManager = rendered.networkPolicies.filter((p) => p.namespace === "cert-manager");
    const egress = (name: string) => certManager.find((p) => p.name === `allow-${name}`)?.spec.egress;
    expect(egress("acme-directory")).toEqual([{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 8443, protocol: "TCP" }] }]);
    expect(egress("http01-self-check")).toEqual([{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 80, protocol: "TCP" }] }]);
    expect(rendered.networkPolicies.filter((p) => p.name === "allow-acme-http01-solver").map((p) => p.namespace).sort()).toEqual(["monitoring", "rook-ceph", "traefik"]);
    expect(rendered.certificates.every((c) => c.spec.issuerRef.name === ISSUER_NAMES.acme)).toBe(true);
    expect(rendered.values.certManager.hostAliases).toEqual([]);
  });
});
