/**
 * The ClusterIssuer the platform's and the apps' Certificates name, wired for each kind of issuer
 * (cluster-facts.ts `TlsFacts`): FreeIPA's ACME service (VM topology), the CA the program makes, or
 * the user's ACME server (an existing cluster's `tlsIssuer`). The specs are pure
 * (./values/cert-manager.ts); this only registers them, after cert-manager's release.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { TlsFacts } from "../cluster-facts";
import { awaitReady } from "./await";
import { CERT_MANAGER_API_VERSION, CERTIFICATE_READY_TIMEOUT_SECONDS, CLUSTER_ISSUER_READY_TIMEOUT_SECONDS, ISSUER_NAMES } from "./certificates";
import {
  CA_CERTIFICATE,
  CA_SECRET,
  caCertificateSpec,
  caIssuerSpec,
  clusterIssuerSpec,
  SELF_SIGNED_ISSUER,
  selfSignedIssuerSpec,
  USER_ACME_EAB_KEY,
  USER_ACME_EAB_SECRET,
  userAcmeIssuerSpec,
} from "./values/cert-manager";
import { INGRESS_CLASS } from "./values/traefik";

export interface IssuerArgs {
  tls: TlsFacts;
  domain: string;
  /** cert-manager's namespace (the CA's and the EAB key's Secrets live there). */
  namespace: pulumi.Input<string>;
  /** cert-manager's release: the issuers are its custom resources. */
  certManager: pulumi.Resource;
  /** FreeIPA's ACME service (PlatformArgs.acme), with issuer `freeipa`. */
  freeipa?: { ready: pulumi.Resource; caCertificate: pulumi.Input<string>; dnsRecordsServed: pulumi.Resource[] };
  /** The EAB HMAC key of the user's ACME server (secret config `tlsAcmeEabHmacKey`), with `acme.eabKeyId`. */
  acmeEabHmacKey?: pulumi.Input<string>;
  opts: pulumi.CustomResourceOptions;
}

export interface Issuer {
  /** The ClusterIssuer the Certificates name (awaited Ready). */
  issuer: pulumi.Resource;
  /** What every Certificate waits for besides the issuer (FreeIPA's DNS records of the hosts). */
  certificatesAfter: pulumi.Resource[];
  /** The CA's certificate (PEM) when the program made it: clients trust it (stack output `tlsCaCertificate`). */
  caCertificate?: pulumi.Output<string>;
}

const clusterIssuer = (name: string, issuerName: string, spec: pulumi.Input<object>, opts: pulumi.CustomResourceOptions) =>
  new k8s.apiextensions.CustomResource(
    name,
    { apiVersion: CERT_MANAGER_API_VERSION, kind: "ClusterIssuer", metadata: { name: issuerName, annotations: awaitReady(CLUSTER_ISSUER_READY_TIMEOUT_SECONDS) }, spec },
    opts,
  );

export function registerIssuer(name: string, args: IssuerArgs): Issuer {
  const { tls, opts } = args;
  const after = (deps: pulumi.Resource[]) => ({ ...opts, dependsOn: [args.certManager, ...deps] });
  const issuerName = ISSUER_NAMES[tls.issuer];
  switch (tls.issuer) {
    case "freeipa": {
      const acme = args.freeipa;
      if (!acme) throw new Error("Platform: the topology has FreeIPA, but no ACME service was passed (args.acme)");
      const spec = pulumi.output(acme.caCertificate).apply((pem) => clusterIssuerSpec(tls.freeipa.fqdn, pem, INGRESS_CLASS));
      // The resource name predates the other kinds: kept, so a live stack's issuer is not replaced.
      const issuer = clusterIssuer(`${name}-cluster-issuer`, issuerName, spec, after([acme.ready, ...acme.dnsRecordsServed]));
      return { issuer, certificatesAfter: acme.dnsRecordsServed };
    }
    case "acme": {
      if (tls.acme.eabKeyId && !args.acmeEabHmacKey) throw new Error("Platform: tlsAcmeEabKeyId without its HMAC key (args.acmeEabHmacKey)");
      const eab =
        tls.acme.eabKeyId && args.acmeEabHmacKey
          ? [
              new k8s.core.v1.Secret(
                `${name}-acme-eab`,
                { metadata: { name: USER_ACME_EAB_SECRET, namespace: args.namespace }, type: "Opaque", stringData: { [USER_ACME_EAB_KEY]: pulumi.secret(args.acmeEabHmacKey) } },
                opts,
              ),
            ]
          : [];
      return { issuer: clusterIssuer(`${name}-cluster-issuer`, issuerName, userAcmeIssuerSpec(tls.acme, INGRESS_CLASS), after(eab)), certificatesAfter: [] };
    }
    case "selfSigned": {
      const selfSigned = clusterIssuer(`${name}-selfsigned-issuer`, SELF_SIGNED_ISSUER, selfSignedIssuerSpec(), after([]));
      const ca = new k8s.apiextensions.CustomResource(
        `${name}-ca-certificate`,
        {
          apiVersion: CERT_MANAGER_API_VERSION,
          kind: "Certificate",
          metadata: { name: CA_CERTIFICATE, namespace: args.namespace, annotations: awaitReady(CERTIFICATE_READY_TIMEOUT_SECONDS) },
          spec: caCertificateSpec(args.domain),
        },
        after([selfSigned]),
      );
      const issuer = clusterIssuer(`${name}-cluster-issuer`, issuerName, caIssuerSpec(), after([ca]));
      // Read once the CA is issued: the id waits for the Certificate's own id, which a preview that
      // creates it does not know, so that preview reads nothing. (Its namespace alone is known in
      // that preview: the engine then read a Secret that does not exist yet and the preview failed,
      // "resource 'cert-manager/flatcarmicrocloud-ca' does not exist", found by lab:kube.) Only its
      // certificate leaves: the key stays in the cluster (the read Secret's data is a secret output).
      const caSecretId = pulumi.all([ca.id, ca.metadata.namespace]).apply(([, namespace]) => `${namespace}/${CA_SECRET}`);
      const secret = k8s.core.v1.Secret.get(`${name}-ca-secret`, caSecretId, { ...opts, dependsOn: [ca] });
      const caCertificate = pulumi.unsecret(
        secret.data.apply((d) => {
          const pem = d?.["tls.crt"];
          if (!pem) throw new Error(`Secret ${CA_SECRET} holds no tls.crt: cert-manager has not issued the CA`);
          return Buffer.from(pem, "base64").toString("utf8");
        }),
      );
      return { issuer, certificatesAfter: [], caCertificate };
    }
  }
}
