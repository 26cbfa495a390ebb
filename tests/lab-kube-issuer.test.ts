/**
 * lab:kube's tlsIssuer step (scripts/lab/kube-issuer.js, docs/lab.md): its STAND-IN for
 * cert-manager's issuing decides what cert-manager would (which ClusterIssuer is Ready, which
 * Certificate is issued, with what key and by whom), makes the certificates with openssl from the
 * program's own Certificate specs, and the chain check refuses what does not chain to the CA; the
 * day-two previews are held to docs/day-two.md row tlsIssuer.
 */
import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { certificateFor, ISSUER_NAMES } from "../platform/certificates";
import { CA_CERTIFICATE, CA_SECRET, caCertificateSpec, caIssuerSpec, SELF_SIGNED_ISSUER, selfSignedIssuerSpec, userAcmeIssuerSpec } from "../platform/values/cert-manager";
import { INGRESS_HOSTS } from "../ports";

/** A PEM block's opening line, built from its label: the test holds no key material, nor a key's header. */
function pemHeader(label: string): RegExp {
  return new RegExp(`^-----BEGIN ${label}-----`);
}

type Obj = { metadata: { name: string; namespace?: string; generation?: number }; spec: Record<string, unknown>; status?: { conditions?: { type: string; status: string }[] } };
type Pem = { crt: string; key: string };
type Request = { commonName?: string; dnsNames: string[]; isCA: boolean; days: number; key: { algorithm: string; size: number } };
type Decision = { action: "wait"; why: string } | { action: "issue"; request: Request; signer: "self" | Pem };
type Step = { op: string; kind: string; name: string; changed: string[] };
type Hosts = { platform: string[]; apps: string[]; routedApps: string[] };
/* eslint-disable-next-line @typescript-eslint/no-require-imports */
const issuer = require(path.join(__dirname, "..", "scripts/lab/kube-issuer.js")) as {

  durationDays(d?: string): number;
  caKeyPairProblem(secret?: { data?: Record<string, string> }): string | undefined;
  issuerDecision(issuer: Obj, caSecret?: { data: Record<string, string> }): { ready?: boolean; reason?: string; why?: string };
  certificateDecision(cert: Obj, issuer?: Obj, caSecret?: { data: Record<string, string> }): Decision;
  makeCertificate(dir: string, name: string, request: Request, signer: "self" | Pem): Pem;
  chainProblem(dir: string, name: string, caPem: string, leafPem: string, host: string): string | undefined;
  routeHosts(domain: string, ingressHosts: Record<string, string>, apps: { name: string; ingress?: { host: string } }[]): Hosts;
  issuerChangeExpected(from: string, to: string, hosts: Hosts, namespaces: { certManager: string; platformCertificates: string[] }): { expected: Record<string, unknown>; optional: string[] };
  issuerPreviewProblems(steps: Step[], e: { expected: Record<string, unknown>; optional: string[] }): string[];
};

const ready = { conditions: [{ type: "Ready", status: "True" }] };
const clusterIssuer = (name: string, spec: object, status?: Obj["status"]): Obj => ({ metadata: { name }, spec: spec as Record<string, unknown>, status });
const b64 = (s: string) => Buffer.from(s).toString("base64");
const secretOf = (p: Pem) => ({ data: { "tls.crt": b64(p.crt), "tls.key": b64(p.key) } });
// The program's own objects (platform/issuer.ts, platform/certificates.ts).
const caCert: Obj = { metadata: { name: CA_CERTIFICATE, namespace: "cert-manager" }, spec: caCertificateSpec("lab.example") };
const routeCert = (host: string): Obj => {
  const doc = certificateFor(host, "monitoring", ISSUER_NAMES.selfSigned);
  return { metadata: { name: doc.name, namespace: doc.namespace }, spec: doc.spec };
};

describe("the stand-in for cert-manager's issuing: its decisions", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-issuer-"));
  const issue = (d: Decision, name: string) => {
    if (d.action !== "issue") throw new Error(`not issued: ${d.why}`);
    return issuer.makeCertificate(dir, name, d.request, d.signer);
  };
  const selfSigned = clusterIssuer(SELF_SIGNED_ISSUER, selfSignedIssuerSpec(), ready);
  const ca = issue(issuer.certificateDecision(caCert, selfSigned), "ca");
  const caIssuer = clusterIssuer(ISSUER_NAMES.selfSigned, caIssuerSpec(), ready);

  it("reads cert-manager's durations (Go syntax, 90 days by default)", () => {
    expect(issuer.durationDays("87600h")).toBe(3650);
    expect(issuer.durationDays("2160h0m0s")).toBe(90);
    expect(issuer.durationDays(undefined)).toBe(90);
    expect(() => issuer.durationDays("10d")).toThrow(/not h\/m\/s/);
  });

  it("a ClusterIssuer is Ready as cert-manager would make it: self-signed at once, a CA once its Secret holds a CA key pair, ACME never", () => {
    expect(issuer.issuerDecision(clusterIssuer(SELF_SIGNED_ISSUER, selfSignedIssuerSpec())).ready).toBe(true);
    const caSpec = clusterIssuer(ISSUER_NAMES.selfSigned, caIssuerSpec());
    expect(issuer.issuerDecision(caSpec)).toMatchObject({ ready: false, reason: "ErrGetKeyPair" });
    expect(issuer.issuerDecision(caSpec, secretOf(ca))).toMatchObject({ ready: true });
    const leaf = issue(issuer.certificateDecision(routeCert("grafana.lab.example"), caIssuer, secretOf(ca)), "leaf-for-ca-check");
    expect(issuer.issuerDecision(caSpec, secretOf(leaf))).toMatchObject({ ready: false, reason: "ErrInvalidKeyPair" });
    expect(issuer.caKeyPairProblem(secretOf(leaf))).toBe("tls.crt is not a CA certificate");
    expect(issuer.caKeyPairProblem(secretOf({ crt: ca.crt, key: leaf.key }))).toBe("tls.key is not tls.crt's key");
    const acme = userAcmeIssuerSpec({ server: "https://acme.lab.invalid/directory", email: "lab@example.com" }, "traefik");
    expect(issuer.issuerDecision(clusterIssuer("acme", acme)).ready).toBeUndefined();
  });

  it("issues a Certificate only once its ClusterIssuer exists and is Ready; an ACME issuer is never stood in", () => {
    const cert = routeCert("grafana.lab.example");
    expect(issuer.certificateDecision(cert, undefined)).toMatchObject({ action: "wait", why: expect.stringContaining("does not exist") });
    expect(issuer.certificateDecision(cert, clusterIssuer(ISSUER_NAMES.selfSigned, caIssuerSpec()), secretOf(ca))).toMatchObject({ action: "wait", why: expect.stringContaining("not Ready") });
    const acme = clusterIssuer(ISSUER_NAMES.selfSigned, { acme: { server: "https://x" } }, ready);
    expect(issuer.certificateDecision(cert, acme)).toMatchObject({ action: "wait", why: expect.stringContaining("not stood in") });
    expect(issuer.certificateDecision({ ...cert, spec: { ...cert.spec, issuerRef: { kind: "Issuer", name: "x" } } }, caIssuer)).toMatchObject({ action: "wait" });
  });

  it("makes the CA the program's CA Certificate asks for (self-signed, ECDSA P-256, ten years, its common name)", () => {
    const d = issuer.certificateDecision(caCert, selfSigned);
    expect(d).toMatchObject({ action: "issue", signer: "self", request: { isCA: true, days: 3650, key: { algorithm: "ECDSA", size: 256 }, commonName: "FlatcarMicroCloud CA lab.example" } });
    const x = new X509Certificate(ca.crt);
    expect(x.ca).toBe(true);
    expect(x.subject).toBe("CN=FlatcarMicroCloud CA lab.example");
    expect(x.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: "prime256v1" });
    expect(x.verify(x.publicKey)).toBe(true);
    expect(ca.key).toMatch(pemHeader("EC PRIVATE KEY"));
  });

  it("signs a route's Certificate with the CA issuer's Secret: RSA 2048 (CERTIFICATE_KEY), its DNS name, chaining to the CA", () => {
    const d = issuer.certificateDecision(routeCert("grafana.lab.example"), caIssuer, secretOf(ca));
    expect(d).toMatchObject({ action: "issue", request: { isCA: false, dnsNames: ["grafana.lab.example"], key: { algorithm: "RSA", size: 2048 } } });
    const leaf = issue(d, "grafana");
    const x = new X509Certificate(leaf.crt);
    expect(x.ca).toBe(false);
    expect(x.subjectAltName).toBe("DNS:grafana.lab.example");
    expect(x.publicKey.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048 });
    expect(x.checkIssued(new X509Certificate(ca.crt))).toBe(true);
    expect(leaf.key).toMatch(pemHeader("RSA PRIVATE KEY"));
  });
});

describe("the chain check (openssl verify): a route's certificate against tlsCaCertificate", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-chain-"));
  const make = (name: string, request: Request, signer: "self" | Pem) => issuer.makeCertificate(dir, name, request, signer);
  const caRequest: Request = { commonName: "FlatcarMicroCloud CA lab.example", dnsNames: [], isCA: true, days: 30, key: { algorithm: "ECDSA", size: 256 } };
  const leafRequest: Request = { dnsNames: ["app.lab.example"], isCA: false, days: 30, key: { algorithm: "RSA", size: 2048 } };
  const ca = make("ca", caRequest, "self");
  const otherCa = make("other-ca", { ...caRequest, commonName: "another CA" }, "self");

  it("passes a certificate the CA signed for the host", () => {
    expect(issuer.chainProblem(dir, "ok", ca.crt, make("leaf", leafRequest, ca).crt, "app.lab.example")).toBeUndefined();
  });

  it("refuses another CA's, a self-signed one and one for another host", () => {
    const leaf = make("leaf2", leafRequest, ca);
    expect(issuer.chainProblem(dir, "other", otherCa.crt, leaf.crt, "app.lab.example")).toMatch(/unable to get local issuer certificate/);
    expect(issuer.chainProblem(dir, "self", ca.crt, make("self", leafRequest, "self").crt, "app.lab.example")).toMatch(/self-signed certificate/);
    expect(issuer.chainProblem(dir, "host", ca.crt, leaf.crt, "grafana.lab.example")).toMatch(/hostname mismatch/);
  });
});

describe("the tlsIssuer previews, held to docs/day-two.md row tlsIssuer", () => {
  const hosts = issuer.routeHosts("lab.example", INGRESS_HOSTS, [{ name: "api", ingress: { host: "app" } }, { name: "worker" }, { name: "frontend", ingress: { host: "app" } }]);
  const namespaces = { certManager: "cert-manager", platformCertificates: ["monitoring", "traefik", "rook-ceph"] };
  const step = (op: string, kind: string, name: string, changed: string[] = []): Step => ({ op, kind, name, changed });
  const onSteps = (): Step[] => [
    step("create", "Release", "platform-cert-manager"),
    step("create", "ClusterIssuer", "platform-selfsigned-issuer"),
    step("create", "Certificate", "platform-ca-certificate"),
    step("create", "ClusterIssuer", "platform-cluster-issuer"),
    step("read", "Secret", "platform-ca-secret"),
    ...hosts.platform.map((h) => step("create", "Certificate", `platform-certificate-${h}`)),
    step("create", "Certificate", "apps-certificate-app.lab.example"),
    step("update", "Release", "platform-traefik", ["values.ingressRoute.dashboard.tls"]),
    step("update", "Release", "platform-kube-prometheus-stack", ["values.grafana.ingress.tls"]),
    step("update", "Release", "platform-rook-ceph-cluster", ["values.ingress.dashboard.tls"]),
    step("update", "IngressRoute", "apps-api-route", ["spec.tls.secretName"]),
    step("update", "IngressRoute", "apps-frontend-route", ["spec.tls.secretName"]),
  ];

  it("knows the route hosts: the platform's three and one per app host", () => {
    expect(hosts).toEqual({ platform: Object.values(INGRESS_HOSTS).map((h) => `${h}.lab.example`), apps: ["app.lab.example"], routedApps: ["api", "frontend"] });
  });

  it("none -> selfSigned: creates cert-manager, the issuers, the CA and a Certificate per host; only the routes' TLS update in place", () => {
    const e = issuer.issuerChangeExpected("none", "selfSigned", hosts, namespaces);
    expect(issuer.issuerPreviewProblems(onSteps(), e)).toEqual([]);
    // What the docs exclude: a replacement, a route changing more than its TLS, a missing Certificate.
    const bad = onSteps()
      .filter((s) => s.name !== "apps-certificate-app.lab.example")
      .map((s) => (s.name === "apps-api-route" ? { ...s, changed: ["spec.routes[0].match", "spec.tls.secretName"] } : s));
    bad.push(step("replace", "Deployment", "apps-api", ["spec.selector"]));
    expect(issuer.issuerPreviewProblems(bad, e)).toEqual([
      "update IngressRoute apps-api-route changes [spec.routes[0].match, spec.tls.secretName], not only paths matching /(^|\\.)tls(\\.|\\[|$)/",
      "unexpected: replace Deployment apps-api [spec.selector]",
      "missing: create Certificate apps-certificate-app.lab.example",
    ]);
  });

  it("selfSigned -> none: the same objects deleted, the routes back; the CA Secret's read discarded", () => {
    const back = onSteps().map((s) => (s.op === "create" ? { ...s, op: "delete" } : s.op === "read" ? { ...s, op: "discard" } : s));
    expect(issuer.issuerPreviewProblems(back, issuer.issuerChangeExpected("selfSigned", "none", hosts, namespaces))).toEqual([]);
    expect(issuer.issuerPreviewProblems(onSteps(), issuer.issuerChangeExpected("selfSigned", "none", hosts, namespaces))).toContain("unexpected: create Release platform-cert-manager");
  });

  it("selfSigned -> acme: the ClusterIssuer renamed (replaced), the Certificates' issuerRef in place, the CA's objects gone, the EAB Secret and the HTTP-01 policies created", () => {
    const certs = [...hosts.platform.map((h) => `platform-certificate-${h}`), "apps-certificate-app.lab.example"];
    const steps = [
      step("delete", "ClusterIssuer", "platform-selfsigned-issuer"),
      step("delete", "Certificate", "platform-ca-certificate"),
      step("discard", "Secret", "platform-ca-secret"),
      step("create-replacement", "ClusterIssuer", "platform-cluster-issuer", ["metadata.name", "spec"]),
      step("replace", "ClusterIssuer", "platform-cluster-issuer", ["metadata.name", "spec"]),
      step("delete-replaced", "ClusterIssuer", "platform-cluster-issuer"),
      ...certs.map((n) => step("update", "Certificate", n, ["spec.issuerRef.name"])),
      step("create", "Secret", "platform-acme-eab"),
      step("create", "NetworkPolicy", "platform-cert-manager-allow-acme-directory"),
      step("create", "NetworkPolicy", "platform-cert-manager-allow-http01-self-check"),
      ...namespaces.platformCertificates.map((ns) => step("create", "NetworkPolicy", `platform-${ns}-allow-acme-http01-solver`)),
      step("create", "NetworkPolicy", "apps-allow-acme-http01-solver"),
    ];
    const e = issuer.issuerChangeExpected("selfSigned", "acme", hosts, namespaces);
    expect(issuer.issuerPreviewProblems(steps, e)).toEqual([]);
    // A Certificate replaced instead of updated in place, or changing its key, is not what the docs say.
    const bad = steps.map((s) => (s.name === certs[0] ? { ...s, changed: ["spec.issuerRef.name", "spec.privateKey.size"] } : s));
    expect(issuer.issuerPreviewProblems(bad, e)).toEqual([`update Certificate ${certs[0]} changes [spec.issuerRef.name, spec.privateKey.size], not [spec.issuerRef.name]`]);
    expect(() => issuer.issuerChangeExpected("acme", "none", hosts, namespaces)).toThrow(/no expectation/);
    expect(CA_SECRET).toBe(CA_CERTIFICATE);
  });
});
