/**
 * /etc/rancher/k3s/registries.yaml of every K3s node, from plain data: which mirror the node's
 * containerd pulls the public registries through, with the mirror's CA and credentials. K3s reads the
 * file when it starts (docs.k3s.io "Private Registry Configuration"): a change needs a restart of
 * the node's K3s, which the install script does only where the file changed (cluster/scripts/install-k3s.sh).
 *
 * Two mirrors, never both (config/registry-mirror.ts refuses the pair):
 * - the registry opt-in's zot (`registry.mirrors`): a pull-through cache inside the cluster. It cannot
 *   serve its own image, nor the platform's before it runs, so containerd's default endpoint (the
 *   public registry) stays the fallback: a node pulls from the internet whenever zot does not answer.
 * - a mirror outside the cluster the user names (`registryMirror`): with `airGap` (the default) the
 *   nodes never fall back to the public registries: K3s's `disable-default-registry-endpoint`
 *   (a config.yaml flag, in K3s since v1.26.13+k3s1, v1.27.10+k3s1, v1.28.6+k3s1 and v1.29.1+k3s1,
 *   experimental in those January 2024 releases; the pinned K3S_VERSION is later).
 */
import { stringify } from "yaml";

/** Where the install script writes the mirror's CA bundle (a directory of the program's own). */
export const REGISTRY_CA_FILE = "/etc/rancher/k3s/flatcarmicrocloud/registry-ca.pem";
/** The marker lines that separate the files on the install script's stdin, after config.yaml. */
export const STDIN_FILE_MARKER = "#@flatcarmicrocloud";
export const HEADER = "# Written by FlatcarMicroCloud (Pulumi, stage 2). Edits here are replaced on the next `pulumi up`.\n";

export interface NodeMirror {
  /** `https://host[:port]` (an optional path is kept: containerd appends /v2 to it). */
  endpoint: string;
  /** The registries whose pulls go to the mirror first (docker.io, ghcr.io, ...). */
  registries: string[];
  /**
   * The mirror keeps each registry's repositories under the registry's name (zot's sync
   * destinations: `docker.io/library/nginx`): a rewrite per registry adds the prefix.
   */
  prefixRepositories: boolean;
  /** PEM CA bundle the mirror's certificate chains to; the system roots when absent. */
  caPem?: string;
  /** Basic auth for every request to the mirror's host (the registry opt-in's `pull` user). */
  auth?: { username: string; password: string };
  /** The nodes pull only from the mirror: no fallback to the public registries (config.yaml flag). */
  airGap: boolean;
  /**
   * The in-cluster registry the apps pull from (`appsRegistry` on the registry opt-in's host) when
   * the mirror is another registry (`registryMirror`): its host gets its own endpoint, the `pull`
   * user's credentials and FreeIPA's CA, which joins the mirror's in the one CA file.
   */
  apps?: { endpoint: string; caPem: string; auth: { username: string; password: string } };
}

/** `host[:port]` of an endpoint: the key of registries.yaml's `configs`. */
export function mirrorHost(endpoint: string): string {
  return new URL(endpoint).host;
}

export function renderRegistriesYaml(mirror: NodeMirror): string {
  const endpoint = mirror.endpoint.replace(/\/+$/, "");
  const host = mirrorHost(endpoint);
  const mirrors: Record<string, { endpoint: string[]; rewrite?: Record<string, string> }> = {};
  for (const registry of mirror.registries) {
    mirrors[registry] = {
      endpoint: [endpoint],
      ...(mirror.prefixRepositories ? { rewrite: { "^(.*)$": `${registry}/$1` } } : {}),
    };
  }
  // The mirror's own images (the apps' under appsRegistry) with the same credentials and CA.
  mirrors[host] ??= { endpoint: [endpoint] };
  const config: Record<string, unknown> = {
    ...(mirror.auth ? { auth: { username: mirror.auth.username, password: mirror.auth.password } } : {}),
    ...(mirror.caPem ? { tls: { ca_file: REGISTRY_CA_FILE } } : {}),
  };
  const configs: Record<string, unknown> = Object.keys(config).length > 0 ? { [host]: config } : {};
  if (mirror.apps) {
    // The in-cluster registry beside an outside mirror: pulled directly, with its own credentials.
    const appsEndpoint = mirror.apps.endpoint.replace(/\/+$/, "");
    const appsHost = mirrorHost(appsEndpoint);
    mirrors[appsHost] = { endpoint: [appsEndpoint] };
    configs[appsHost] = { auth: { ...mirror.apps.auth }, tls: { ca_file: REGISTRY_CA_FILE } };
  }
  const doc: Record<string, unknown> = { mirrors };
  if (Object.keys(configs).length > 0) doc.configs = configs;
  return HEADER + stringify(doc, { lineWidth: 0 });
}

/**
 * The one CA file's PEM: the mirror's CA and the in-cluster registry's (containerd reads every
 * certificate of a `ca_file` bundle into the host's pool), or none.
 */
export function registryCaBundle(mirror: NodeMirror): string | undefined {
  const pems = [mirror.caPem, mirror.apps?.caPem].filter((p): p is string => !!p).map((p) => p.trim());
  return pems.length > 0 ? [...new Set(pems)].join("\n") : undefined;
}

/**
 * The install script's stdin: config.yaml as before, then each further file after a marker line.
 * Without a mirror it is config.yaml alone, byte for byte what it was before mirrors existed, so a
 * stack that never sets one sees no change on its nodes.
 */
export function nodeStdin(configYaml: string, mirror: NodeMirror | undefined): string {
  if (!mirror) return configYaml;
  const files: [string, string][] = [["registries.yaml", renderRegistriesYaml(mirror)]];
  const ca = registryCaBundle(mirror);
  if (ca) files.push(["registry-ca.pem", HEADER + ca + "\n"]);
  const body = configYaml.endsWith("\n") ? configYaml : `${configYaml}\n`;
  return body + files.map(([name, text]) => `${STDIN_FILE_MARKER} ${name}\n${text}`).join("");
}
