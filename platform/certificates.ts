/**
 * Certificates for the hosts Traefik answers on, issued by FreeIPA's ACME service through
 * cert-manager's ClusterIssuer (`CLUSTER_ISSUER`). Every namespace with a route gets its host's
 * Certificate (a route can only use a TLS Secret of its own namespace) and one NetworkPolicy that
 * lets Traefik reach cert-manager's short-lived HTTP-01 solver pods there. Pure data; the components
 * (platform, apps) wire it.
 */
import type { NetworkPolicyDoc } from "./network-policies";

/** The ClusterIssuer on FreeIPA's ACME directory. */
export const CLUSTER_ISSUER = "freeipa-acme";
export const CERT_MANAGER_API_VERSION = "cert-manager.io/v1";
/** Port and label of the pods cert-manager starts to answer an HTTP-01 challenge. */
export const ACME_SOLVER_PORT = 8089;
export const ACME_SOLVER_LABEL = "acme.cert-manager.io/http01-solver";

export interface CertificateDoc {
  /** Resource name in its namespace. */
  name: string;
  namespace: string;
  spec: {
    secretName: string;
    dnsNames: string[];
    issuerRef: { kind: "ClusterIssuer"; name: string; group: "cert-manager.io" };
    privateKey: { algorithm: "ECDSA"; size: 256; rotationPolicy: "Always" };
  };
}

/** The TLS Secret cert-manager keeps for `host` (a DNS subdomain name, like the host itself). */
export function tlsSecretName(host: string): string {
  return `${host}-tls`;
}

export function certificateFor(host: string, namespace: string): CertificateDoc {
  return {
    name: host,
    namespace,
    spec: {
      secretName: tlsSecretName(host),
      dnsNames: [host],
      issuerRef: { kind: "ClusterIssuer", name: CLUSTER_ISSUER, group: "cert-manager.io" },
      // A fresh key on every renewal: a leaked key is only good until the next one.
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    },
  };
}

/**
 * FreeIPA validates a challenge by fetching http://<host>/.well-known/acme-challenge/... through the
 * load balancer and Traefik, which proxies to the solver pod in the Certificate's namespace: under
 * that namespace's default deny, this policy admits exactly that hop.
 */
export function acmeSolverPolicy(namespace: string, traefikNamespace: string): NetworkPolicyDoc {
  return {
    name: "allow-acme-http01-solver",
    namespace,
    spec: {
      podSelector: { matchLabels: { [ACME_SOLVER_LABEL]: "true" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": traefikNamespace } } }],
          ports: [{ port: ACME_SOLVER_PORT, protocol: "TCP" }],
        },
      ],
    },
  };
}
