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

export function certManagerValues(hosts: CertManagerHosts): CertManagerValues {
  const s = SIZING.certManager;
  return {
    // The CRDs outlive the release: deleting them would delete every Certificate in the cluster.
    crds: { enabled: true, keep: true },
    resources: s.controller,
    hostAliases: [
      { ip: hosts.freeipa.address, hostnames: [hosts.freeipa.fqdn] },
      ...(hosts.ingress.hosts.length > 0 ? [{ ip: hosts.ingress.address, hostnames: [...hosts.ingress.hosts].sort() }] : []),
    ],
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

export interface ClusterIssuerSpec {
  acme: {
    server: string;
    /** Base64 of the FreeIPA CA certificate (PEM): cert-manager trusts it for the ACME directory. */
    caBundle: string;
    privateKeySecretRef: { name: string };
    solvers: { http01: { ingress: { ingressClassName: string; ingressTemplate: { metadata: { annotations: Record<string, string> } } } } }[];
  };
}

export function clusterIssuerSpec(freeipaFqdn: string, caCertificatePem: string, ingressClass: string): ClusterIssuerSpec {
  return {
    acme: {
      server: acmeDirectory(freeipaFqdn),
      caBundle: Buffer.from(caCertificatePem.trim() + "\n").toString("base64"),
      privateKeySecretRef: { name: ACME_ACCOUNT_SECRET },
      solvers: [
        {
          http01: {
            ingress: {
              ingressClassName: ingressClass,
              // The challenge arrives on plain HTTP: the solver's route lives on the `web` entry point,
              // whose HTTPS redirect yields to it (traefik.ts: the redirect's priority is the lowest).
              ingressTemplate: { metadata: { annotations: { "traefik.ingress.kubernetes.io/router.entrypoints": "web" } } },
            },
          },
        },
      ],
    },
  };
}
