/**
 * cert-manager (jetstack chart, CRDs from the chart and kept on uninstall) and its ClusterIssuer on
 * FreeIPA's ACME service, so every host Traefik answers on gets a certificate the FreeIPA CA signs.
 *
 * Challenge type: HTTP-01. FreeIPA's ACME (Dogtag) validates by fetching
 * http://<host>/.well-known/acme-challenge/<token>; the host resolves in FreeIPA's own DNS to the load
 * balancer, which forwards port 80 to Traefik's `web` entry point, which routes the path to the solver
 * pod cert-manager starts. DNS-01 would need cert-manager to write records into FreeIPA's BIND
 * (RFC 2136 with a TSIG key FreeIPA does not set up, or an IPA API webhook that is not part of
 * cert-manager): more moving parts and a DNS write credential in the cluster, for no gain, since no
 * wildcard certificate is needed.
 *
 * The controller resolves FreeIPA and the ingress hosts through `hostAliases` (the addresses it
 * reaches on the cluster network). The pods' DNS forwards FreeIPA's zones to FreeIPA too
 * (cluster/cluster-dns.ts), but it answers every address of FreeIPA and the load balancer, ordered by
 * BIND's sortlist for the query's source; cert-manager's egress policies allow only the
 * cluster-network ones, and the aliases pin exactly those.
 */
import type { AcmeServer } from "../../cluster-facts";
import { acmeDirectory } from "../../infra/roles/freeipa";
import { Workload } from "../capacity";
import { Resources } from "../resources";
import { SIZING } from "../sizing";

export const CERT_MANAGER_RELEASE = "cert-manager";
/** The ACME account's private key, created by cert-manager in its namespace. */
export const ACME_ACCOUNT_SECRET = "freeipa-acme-account";
/** The webhook's HTTPS port (the chart's default), which the API server calls. */
export const CERT_MANAGER_WEBHOOK_PORT = 10250;

export interface CertManagerValues {
  crds: { enabled: boolean; keep: boolean };
  resources: Resources;
  hostAliases: { ip: string; hostnames: string[] }[];
  prometheus: { enabled: boolean; servicemonitor: { enabled: boolean } };
  webhook: { resources: Resources; securePort: number };
  cainjector: { resources: Resources };
  startupapicheck: { resources: Resources };
}

/** Where the controller finds FreeIPA and the ingress hosts (FreeIPA's DNS says the same). */
export interface CertManagerHosts {
  freeipa: { fqdn: string; address: string };
  /** Every host Traefik answers on (platform and apps) and the load balancer address for them. */
  ingress: { hosts: string[]; address: string };
}

/** `hosts`: FreeIPA's HTTP-01 path (VM topology); undefined on an existing cluster (no aliases). */
export function certManagerValues(hosts?: CertManagerHosts): CertManagerValues {
  const s = SIZING.certManager;
  return {
    // The CRDs outlive the release: deleting them would delete every Certificate in the cluster.
    crds: { enabled: true, keep: true },
    resources: s.controller,
    hostAliases: hosts
      ? [
          { ip: hosts.freeipa.address, hostnames: [hosts.freeipa.fqdn] },
          ...(hosts.ingress.hosts.length > 0 ? [{ ip: hosts.ingress.address, hostnames: [...hosts.ingress.hosts].sort() }] : []),
        ]
      : [],
    prometheus: { enabled: true, servicemonitor: { enabled: false } },
    webhook: { resources: s.webhook, securePort: CERT_MANAGER_WEBHOOK_PORT },
    cainjector: { resources: s.cainjector },
    startupapicheck: { resources: s.startupapicheck },
  };
}

export function certManagerWorkloads(v: CertManagerValues): Workload[] {
  const one = (name: string, resources: Resources, kind: Workload["kind"] = "Deployment"): Workload => ({
    release: CERT_MANAGER_RELEASE,
    name,
    kind,
    replicas: 1,
    containers: [{ name, resources }],
  });
  return [
    one("cert-manager", v.resources),
    one("cert-manager-webhook", v.webhook.resources),
    one("cert-manager-cainjector", v.cainjector.resources),
    one("cert-manager-startupapicheck", v.startupapicheck.resources, "Job"),
  ];
}

type Http01Solver = { http01: { ingress: { ingressClassName: string; ingressTemplate: { metadata: { annotations: Record<string, string> } } } } };

export interface ClusterIssuerSpec {
  acme: {
    server: string;
    /** Base64 of the CA certificate (PEM) the ACME server's HTTPS chains to: FreeIPA's, or the user's. */
    caBundle?: string;
    email?: string;
    privateKeySecretRef: { name: string };
    /** External Account Binding: the key id, and the Secret holding its HMAC key (base64url, as the CA gave it). */
    externalAccountBinding?: { keyID: string; keySecretRef: { name: string; key: string } };
    solvers: Http01Solver[];
  };
}

export function clusterIssuerSpec(freeipaFqdn: string, caCertificatePem: string, ingressClass: string): ClusterIssuerSpec {
  return {
    acme: {
      server: acmeDirectory(freeipaFqdn),
      caBundle: Buffer.from(caCertificatePem.trim() + "\n").toString("base64"),
      privateKeySecretRef: { name: ACME_ACCOUNT_SECRET },
      solvers: [http01Solver(ingressClass)],
    },
  };
}

function http01Solver(ingressClass: string): Http01Solver {
  return {
    http01: {
      ingress: {
        ingressClassName: ingressClass,
        // The challenge arrives on plain HTTP: the solver's route lives on the `web` entry point,
        // whose HTTPS redirect yields to it (traefik.ts: the redirect's priority is the lowest).
        ingressTemplate: { metadata: { annotations: { "traefik.ingress.kubernetes.io/router.entrypoints": "web" } } },
      },
    },
  };
}

/** The user's ACME server's account key (cert-manager creates it) and the Secret of its EAB HMAC key. */
export const USER_ACME_ACCOUNT_SECRET = "acme-account";
export const USER_ACME_EAB_SECRET = "acme-eab";
export const USER_ACME_EAB_KEY = "hmac";

/**
 * The ClusterIssuer on the user's ACME server (an existing cluster's `tlsIssuer: acme`): HTTP-01
 * through Traefik, as FreeIPA's; with EAB when the server asks for it (the HMAC key in
 * USER_ACME_EAB_SECRET, which the program creates from the secret config), and the server's CA
 * bundle when its HTTPS certificate is not a public CA's.
 */
export function userAcmeIssuerSpec(acme: AcmeServer, ingressClass: string): ClusterIssuerSpec {
  return {
    acme: {
      server: acme.server,
      email: acme.email,
      ...(acme.caBundle ? { caBundle: Buffer.from(acme.caBundle.trim() + "\n").toString("base64") } : {}),
      privateKeySecretRef: { name: USER_ACME_ACCOUNT_SECRET },
      ...(acme.eabKeyId ? { externalAccountBinding: { keyID: acme.eabKeyId, keySecretRef: { name: USER_ACME_EAB_SECRET, key: USER_ACME_EAB_KEY } } } : {}),
      solvers: [http01Solver(ingressClass)],
    },
  };
}

/**
 * The CA the program makes for an existing cluster (`tlsIssuer: selfSigned`): a self-signed
 * ClusterIssuer signs one CA Certificate (its key in CA_SECRET, in cert-manager's namespace, where a
 * ClusterIssuer reads it), and the CA ClusterIssuer signs every route's certificate with it. Clients
 * trust the CA (the stack output `tlsCaCertificate`). ECDSA P-256: no ACME profile constrains it.
 * Ten years, its key kept on renewal (`rotationPolicy: Never`): a renewed CA with the same key and
 * subject still verifies the certificates it signed, so clients keep trusting them.
 */
export const SELF_SIGNED_ISSUER = "flatcarmicrocloud-selfsigned";
export const CA_CERTIFICATE = "flatcarmicrocloud-ca";
export const CA_SECRET = "flatcarmicrocloud-ca";

export function selfSignedIssuerSpec(): { selfSigned: Record<string, never> } {
  return { selfSigned: {} };
}

export function caCertificateSpec(domain: string): Record<string, unknown> {
  return {
    isCA: true,
    commonName: `FlatcarMicroCloud CA ${domain}`,
    secretName: CA_SECRET,
    duration: "87600h",
    renewBefore: "720h",
    privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Never" },
    issuerRef: { kind: "ClusterIssuer", name: SELF_SIGNED_ISSUER, group: "cert-manager.io" },
  };
}

export function caIssuerSpec(): { ca: { secretName: string } } {
  return { ca: { secretName: CA_SECRET } };
}
