/**
 * The builds pushing to the in-cluster registry (`appsRegistry: registry.<domain>[:port]/<path>` with
 * the registry opt-in, docs/builds.md): what the build step needs beyond an outside registry.
 * - Credentials: the registry opt-in's `push` user and its generated password, as the builds' own
 *   dockerconfigjson Secret (pipeline.ts PUSH_SECRET), so no `buildsPushPassword` is set.
 * - Trust: the push goes through the route (`registry.<domain>`, TLS terminated by Traefik with the
 *   cluster issuer's certificate; zot itself serves plain HTTP on its Service), so BuildKit must trust
 *   the issuer's CA. BuildKit v0.32.2 reads it from buildkitd.toml, `[registry."<host>"] ca = [<PEM
 *   file>]` (docs/buildkitd.toml.md; util/resolver/resolver.go loadTLSConfig appends each file to the
 *   system pool, so the public base images still verify). The rootless buildkitd's default config is
 *   `$HOME/.config/buildkit/buildkitd.toml` (cmd/buildkitd defaultConfigPath, appdefaults
 *   UserConfigDir); the Task mounts a ConfigMap there and names it with `--config` as well, so a
 *   missing file fails the build instead of being ignored.
 * Pushing to zot's Service instead (plain HTTP inside the cluster) would need no CA but would send
 * the push password unencrypted over the pod network: not done.
 */
import type { TlsFacts } from "../facts";

/** The ConfigMap with buildkitd.toml and the route's CA, in the builds namespace (the CA is public). */
export const BUILDKITD_CONFIGMAP = "builds-buildkitd";
/** The rootless buildkitd's config directory in BuildKit's rootless image (HOME=/home/user). */
export const BUILDKITD_CONFIG_DIR = "/home/user/.config/buildkit";
export const BUILDKITD_TOML = "buildkitd.toml";
export const BUILDKITD_CA = "registry-ca.pem";

/** Where the route's certificate chains to, by the cluster's issuer: the CA the builds must be given, or the system roots. */
export type RouteCa = { kind: "freeipa" } | { kind: "selfSigned" } | { kind: "acmeBundle"; pem: string } | { kind: "systemRoots" };

/**
 * The route's CA by issuer: FreeIPA's (VM topology), the CA the program makes (`tlsIssuer:
 * selfSigned`), the user's ACME server's `tlsAcmeCaBundle`, or (ACME without a bundle: a public CA)
 * the builder image's system roots. Without an issuer the route serves Traefik's default
 * certificate, which nothing can verify: undefined (cluster/target.ts refuses that stack, config/opt-ins/registry.ts).
 */
export function routeCa(tls: TlsFacts | undefined): RouteCa | undefined {
  if (!tls) return undefined;
  if (tls.issuer === "freeipa") return { kind: "freeipa" };
  if (tls.issuer === "selfSigned") return { kind: "selfSigned" };
  return tls.acme.caBundle ? { kind: "acmeBundle", pem: tls.acme.caBundle } : { kind: "systemRoots" };
}

/** buildkitd.toml: the route's host trusts the mounted CA (added to the system roots). */
export function renderBuildkitdToml(registryHost: string): string {
  return `# Written by FlatcarMicroCloud (platform/builds/registry.ts): the in-cluster registry's route CA.\n[registry."${registryHost}"]\n  ca = ["${BUILDKITD_CONFIG_DIR}/${BUILDKITD_CA}"]\n`;
}

/** The ConfigMap's data: buildkitd.toml and the CA it names. */
export function buildkitdConfigData(registryHost: string, caPem: string): Record<string, string> {
  return { [BUILDKITD_TOML]: renderBuildkitdToml(registryHost), [BUILDKITD_CA]: caPem.trim() + "\n" };
}
