/**
 * Certificates for the hosts Traefik answers on, issued through a cert-manager ClusterIssuer: FreeIPA's
 * ACME service on the VM topology (`CLUSTER_ISSUER`), or on an existing cluster the CA the program
 * makes or the user's ACME server (`tlsIssuer`). Every namespace with a route gets its host's
 * Certificate (a route can only use a TLS Secret of its own namespace) and, for an ACME issuer, one
 * NetworkPolicy that lets Traefik reach cert-manager's short-lived HTTP-01 solver pods there. Pure
 * data; the components (platform, apps) wire it.
 */
import type { TlsFacts } from "../cluster-facts";
import { awaitReady } from "./await";
import type { NetworkPolicyDoc } from "./network-policies";

/** The ClusterIssuer on FreeIPA's ACME directory. */
export const CLUSTER_ISSUER = "freeipa-acme";
/** The ClusterIssuer of each kind of issuer (the certificates name it). */
export const ISSUER_NAMES: Record<TlsFacts["issuer"], string> = { freeipa: CLUSTER_ISSUER, selfSigned: "flatcarmicrocloud-ca", acme: "acme" };
/** Whether an issuer validates by HTTP-01 (its solver pods need the solver NetworkPolicy). */
export function usesHttp01(issuer: TlsFacts["issuer"]): boolean {
  return issuer !== "selfSigned";
}
export const CERT_MANAGER_API_VERSION = "cert-manager.io/v1";
/** Port and label of the pods cert-manager starts to answer an HTTP-01 challenge. */
export const ACME_SOLVER_PORT = 8089;
export const ACME_SOLVER_LABEL = "acme.cert-manager.io/http01-solver";

/**
 * The certificate key FreeIPA's ACME service signs. Its profile (freeipa
 * `install/share/profiles/acmeIPAServerCert.cfg`, every release through 4.13.3; Rocky 9 ships 4.12)
 * admits `keyType=RSA` with `keyParameters=2048,3072,4096,8192` only: an ECDSA request is refused,
 * the order fails and cert-manager backs off for 1 h, then 2 h, ... up to 32 h. 2048 bits, because
 * the key only authenticates the server (TLS 1.2 ECDHE and TLS 1.3 negotiate the session keys, so
 * a broken key later reveals no recorded traffic), it lives at most one certificate lifetime (a new
 * key on every renewal, below), and NIST SP 800-57 rates 2048-bit RSA acceptable through 2030;
 * 3072 would cost Traefik about three times the CPU per full handshake on the small workers.
 */
export const CERTIFICATE_KEY = { algorithm: "RSA", size: 2048 } as const;
/** The key sizes FreeIPA's ACME profile accepts (`keyParameters`); the policy pack checks them. */
export const FREEIPA_ACME_RSA_SIZES = [2048, 3072, 4096, 8192] as const;

/**
 * How long `pulumi up` waits for a Certificate to be Ready (the provider awaits custom resources
 * only with `pulumi.com/waitFor`). One issuance: the HTTP-01 solver pod starts (its image pulled on
 * first use), Traefik routes the solver's Ingress, cert-manager's self-check GETs the token through
 * the load balancer until it answers (retried with its 5 s..5 min item backoff), then FreeIPA's
 * Dogtag validator fetches it (5 tries, 5 s apart) and signs. 15 minutes is that with the self-check
 * backoff reaching its 5-minute cap once. Once an order has failed, cert-manager retries the
 * Certificate only after 1 h: waiting longer would only delay the error.
 */
export const CERTIFICATE_READY_TIMEOUT_SECONDS = 900;
/**
 * How long `pulumi up` waits for the ClusterIssuer to be Ready: registering the ACME account with
 * FreeIPA is one request, retried with cert-manager's item backoff (5 s doubling to 5 min); 10
 * minutes is seven attempts. FreeIPA's ACME service answers before the issuer is created (the
 * command that enables it waits for it), so a failure here is a wrong CA bundle, address or policy
 * that more attempts would not fix.
 */
export const CLUSTER_ISSUER_READY_TIMEOUT_SECONDS = 600;

export interface CertificateDoc {
  /** Resource name in its namespace. */
  name: string;
  namespace: string;
  /** The await annotations (`awaitReady`): the run fails when the certificate is not issued. */
  annotations: Record<string, string>;
  spec: {
    secretName: string;
    dnsNames: string[];
    issuerRef: { kind: "ClusterIssuer"; name: string; group: "cert-manager.io" };
    privateKey: { algorithm: (typeof CERTIFICATE_KEY)["algorithm"]; size: (typeof CERTIFICATE_KEY)["size"]; rotationPolicy: "Always" };
  };
}

/** The TLS Secret cert-manager keeps for `host` (a DNS subdomain name, like the host itself). */
export function tlsSecretName(host: string): string {
  return `${host}-tls`;
}

export function certificateFor(host: string, namespace: string, issuer: string): CertificateDoc {
  return {
    name: host,
    namespace,
    annotations: awaitReady(CERTIFICATE_READY_TIMEOUT_SECONDS),
    spec: {
      secretName: tlsSecretName(host),
      dnsNames: [host],
      issuerRef: { kind: "ClusterIssuer", name: issuer, group: "cert-manager.io" },
      // A fresh key on every renewal: a leaked key is only good until the next one.
      privateKey: { ...CERTIFICATE_KEY, rotationPolicy: "Always" },
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
