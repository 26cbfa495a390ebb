/**
 * Stage 3 settings: retention and sizing of the platform services, the optional Ceph services, and
 * when kured may reboot nodes.
 * `parsePlatformSettings` is pure (raw config + validated topology in, plain settings out) and fails
 * with every problem at once, each naming its config key, before any resource is registered.
 */
import { X509Certificate } from "crypto";
import { readFileSync } from "fs";
import { isAbsolute } from "path";
import { ClusterNode, isSchedulable } from "../cluster-facts";
import { CHARTS, EARLIER_CHARTS } from "../versions";
import { isConfigSet, readRawConfig } from "./load";
import { inClusterRegistryOf, parseRegistry, registryHost, RegistrySettings } from "./opt-ins/registry";
import { parseVpa, VpaSettings } from "./opt-ins/vpa";
import { Topology } from "./topology";
import { Collector, ConfigError } from "./validate";
import { BuildsContext, BuildsSettings, BUILDS_PUSH_PASSWORD_KEY, parseBuilds } from "./opt-ins/builds";
import { readSecretKeys } from "./secret-keys";
import { LogsSettings, parseLogs } from "./opt-ins/logs";
import * as pulumi from "@pulumi/pulumi";
import { GITOPS_CREDENTIAL_KEY, GitopsSettings, parseGitops, RawCredential } from "./opt-ins/gitops";
import { isSecretConfig } from "./secret";

/** Stage 3 keys as written in Pulumi.<stack>.yaml (without the project prefix), before validation. */
export interface RawPlatformConfig {
  prometheusRetention?: unknown;
  prometheusRetentionSize?: unknown;
  prometheusVolumeGiB?: unknown;
  kafkaBrokers?: unknown;
  kafkaRetentionHours?: unknown;
  kafkaRetentionBytes?: unknown;
  kafkaVolumeGiB?: unknown;
  cephFilesystem?: unknown;
  cephObjectStore?: unknown;
  rebootWindow?: unknown;
  chartMirror?: unknown;
  chartMirrorCaFile?: unknown;
  chartVersions?: unknown;
  builds?: unknown;
  registry?: unknown;
  logs?: unknown;
  gitops?: unknown;
  /** The secret `gitopsRepoCredential`, read apart (never through Config.get): set?, encrypted?, value to check. */
  gitopsRepoCredential?: RawCredential;
  vpa?: unknown;
}

export type ChartKey = keyof typeof CHARTS;

export interface PlatformSettings {
  prometheus: {
    /** How long Prometheus keeps samples (Prometheus duration, e.g. `15d`). */
    retention: string;
    /** Size cap of the TSDB (e.g. `8GiB`); always below the volume, with room for the WAL. */
    retentionSize: string;
    retentionSizeBytes: number;
    volumeGiB: number;
  };
  kafka: {
    /** Dual-role (KRaft controller + broker) nodes; odd, so the controller quorum has a majority. 0/unset: 3 where three nodes can take them, else 1. */
    brokers: number;
    /** `log.retention.hours`. */
    retentionHours: number;
    /** `log.retention.bytes`: per partition, the size at which old segments are deleted. */
    retentionBytes: number;
    volumeGiB: number;
  };
  ceph: {
    /** The chart's default CephFS (MDS pods and a `ceph-filesystem` StorageClass). */
    filesystem: boolean;
    /** The chart's default object store (an RGW gateway and a `ceph-bucket` StorageClass). */
    objectStore: boolean;
  };
  /** When kured may reboot a node for a staged Flatcar update (UTC), from `rebootWindow`. */
  reboots: RebootWindow;
  /**
   * A classic chart repository (`chartMirror`) serving every pinned chart under its own name and
   * version: every release pulls from it instead of the charts' own repositories (platform/chart-source.ts).
   */
  chartMirror?: ChartMirror;
  /**
   * Charts held at an earlier release than their pin (`chartVersions`, one of EARLIER_CHARTS):
   * their release and their crds/ CRDs are that release's until the key is removed.
   */
  chartVersions: Partial<Record<ChartKey, string>>;
  /** Opt-in `builds` (config/opt-ins/builds.ts): Tekton and the reference app's image Pipeline; off when unset. */
  builds?: BuildsSettings;
  /** The registry opt-in (config/opt-ins/registry.ts); off when undefined. */
  registry?: RegistrySettings;
  /** The logging stack (opt-in `logs`, config/opt-ins/logs.ts); undefined: none. */
  logs?: LogsSettings;
  /** Argo CD syncing the user's apps from git (`gitops`, config/opt-ins/gitops.ts); off when absent. The credential's value as a secret Output. */
  gitops?: GitopsSettings & { credentialValue?: pulumi.Output<string> };
  /** The VPA recommender (`vpa`, config/opt-ins/vpa.ts); undefined: off. */
  vpa?: VpaSettings;
}

/** A classic chart repository serving every pinned chart (`chartMirror`, `chartMirrorCaFile`). */
export interface ChartMirror {
  /** The repository URL, without a trailing slash. */
  repo: string;
  /**
   * A PEM CA bundle on the machine running Pulumi (where the Kubernetes provider runs Helm) that the
   * mirror's HTTPS certificate chains to: Helm's `repositoryOpts.caFile`.
   */
  caFile?: string;
}

/** kured's window: the days a moment must fall on (kured's two-letter names) and the times, UTC. */
export interface RebootWindow {
  days: string[];
  /** `HH:MM`; a start after the end wraps past midnight (the days are those the moment falls on). */
  start: string;
  end: string;
}

export const WEEKDAYS = ["mo", "tu", "we", "th", "fr", "sa", "su"] as const;
const TIME = "([01]\\d|2[0-3]):[0-5]\\d";
const REBOOT_WINDOW = new RegExp(`^(?:(${WEEKDAYS.join("|")})((?:,(?:${WEEKDAYS.join("|")}))*) )?(${TIME})-(${TIME})$`);

/** `[days ]HH:MM-HH:MM` (UTC): `01:00-05:00`, `sa,su 02:00-06:00`, `mo 22:00-02:00`; a message when it is not one. */
export function parseRebootWindow(text: string): RebootWindow | string {
  const m = REBOOT_WINDOW.exec(text);
  if (!m) return `"${text}" is not a window like 01:00-05:00 or sa,su 02:00-06:00 (days: ${WEEKDAYS.join(",")}; times UTC)`;
  const listed = m[1] ? [m[1], ...m[2].split(",").filter((d) => d !== "")] : [...WEEKDAYS];
  const days = WEEKDAYS.filter((d) => listed.includes(d));
  if (days.length !== listed.length) return `"${text}" names a day twice`;
  const [start, end] = [m[3], m[5]];
  if (start === end) return `"${text}" is an empty window (start and end are the same time)`;
  return { days, start, end };
}

export const PLATFORM_CONFIG_KEYS: readonly Exclude<keyof RawPlatformConfig, "gitopsRepoCredential">[] = [
  "prometheusRetention",
  "prometheusRetentionSize",
  "prometheusVolumeGiB",
  "kafkaBrokers",
  "kafkaRetentionHours",
  "kafkaRetentionBytes",
  "kafkaVolumeGiB",
  "cephFilesystem",
  "cephObjectStore",
  "rebootWindow",
  "chartMirror",
  "chartMirrorCaFile",
  "chartVersions",
  "builds",
  "registry",
  "logs",
  "gitops",
  "vpa",
];

export const PLATFORM_DEFAULTS = {
  prometheusRetention: "15d",
  prometheusRetentionSize: "8GiB",
  prometheusVolumeGiB: 10,
  kafkaRetentionHours: 168,
  kafkaRetentionBytes: 1024 ** 3,
  kafkaVolumeGiB: 20,
  rebootWindow: "01:00-05:00",
} as const;

/** Share of the Prometheus volume the TSDB may fill: the WAL, head chunks and compaction need the rest. */
export const PROMETHEUS_MAX_RETENTION_SHARE = 0.9;

/** Prometheus duration: one or more `<n><unit>` (`15d`, `1w2d`, `36h`). */
const PROMETHEUS_DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;
/** Prometheus Operator's ByteSize: `<n>[.<n>]<K|M|G|T|P|E>[i]B` or a plain `<n>B`; Prometheus reads both base 2. */
const BYTE_SIZE = /^(\d+(\.\d+)?)(([KMGTPE])i?)?B$/;
const UNIT_POWER: Record<string, number> = { K: 1, M: 2, G: 3, T: 4, P: 5, E: 6 };

/** Bytes of a Prometheus ByteSize, or undefined when the text is not one. */
export function byteSize(text: string): number | undefined {
  const m = BYTE_SIZE.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * 1024 ** (m[4] ? UNIT_POWER[m[4]] : 0);
}

/**
 * The cluster stage 3 deploys onto, as far as its settings depend on it: the VM topology's K3s
 * nodes, or an existing cluster's nodes (`existingNodes`).
 */
export type PlatformTarget = Pick<Topology, "vms"> | { nodes: Pick<ClusterNode, "taints">[] };

/** Nodes without a NoSchedule/NoExecute taint: where ordinary pods (and so Kafka) can run. */
function schedulableNodes(target: PlatformTarget): number {
  if ("nodes" in target) return target.nodes.filter(isSchedulable).length;
  return target.vms.filter((vm) => (vm.role === "k3s-agent" || vm.role === "k3s-server") && isSchedulable(vm)).length;
}

/**
 * A classic chart repository: http(s), no query or fragment (Helm appends `index.yaml` and the
 * archives' relative URLs to it); a trailing slash is dropped so one mirror is always one string.
 */
export function parseChartMirrorUrl(c: Collector, value: unknown): string | undefined {
  // Empty is Pulumi.yaml's default: no mirror.
  if (value === undefined || value === "") return undefined;
  const text = c.string("chartMirror", value);
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !["http:", "https:"].includes(url.protocol) || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    c.fail("chartMirror", `must be the http(s) URL of a classic chart repository (the folder holding index.yaml), without query, fragment or credentials (got ${JSON.stringify(text)})`);
    return undefined;
  }
  return text.replace(/\/+$/, "");
}

/**
 * The mirror and its CA file. The file is read here, on the machine running Pulumi, because that is
 * where the provider's Helm reads it when it fetches a chart: a path that does not hold a PEM
 * certificate there fails now, naming the key, rather than at the first Helm release.
 */
export function parseChartMirror(c: Collector, url: unknown, caFile: unknown, read: (path: string) => string = (p) => readFileSync(p, "utf8")): ChartMirror | undefined {
  const repo = parseChartMirrorUrl(c, url);
  if (caFile === undefined || caFile === "") return repo === undefined ? undefined : { repo };
  const path = c.string("chartMirrorCaFile", caFile);
  if (repo === undefined) {
    if (url === undefined || url === "") c.fail("chartMirrorCaFile", "is the CA of the chart mirror and needs chartMirror");
    return undefined;
  }
  if (!repo.startsWith("https:")) {
    c.fail("chartMirrorCaFile", `the chart mirror ${repo} is plain http: there is no certificate to check; use an https URL or leave the key out`);
    return { repo };
  }
  if (!isAbsolute(path)) {
    c.fail("chartMirrorCaFile", `"${path}" is not an absolute path (the provider resolves it on the machine running Pulumi)`);
    return { repo };
  }
  let text: string;
  try {
    text = read(path);
  } catch (e) {
    c.fail("chartMirrorCaFile", `cannot read ${path} on this machine, where Helm reads it: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return { repo };
  }
  const { blocks, valid } = pemCertificates(text);
  if (valid.length === 0 || valid.length !== blocks.length) {
    c.fail("chartMirrorCaFile", `${path} holds no PEM certificate${blocks.length > valid.length ? " it can parse" : ""} (expected the CA bundle the mirror's HTTPS certificate chains to)`);
  }
  return { repo, caFile: path };
}

/** What the opt-ins are checked against besides their own key (the stack's other keys). */
export interface OptInContext {
  builds?: BuildsContext;
}

export function parsePlatformSettings(raw: RawPlatformConfig, topology: PlatformTarget, optIns: OptInContext = {}): PlatformSettings {
  const c = new Collector();
  const d = PLATFORM_DEFAULTS;

  const retention = c.string("prometheusRetention", raw.prometheusRetention, d.prometheusRetention);
  if (retention && !PROMETHEUS_DURATION.test(retention)) {
    c.fail("prometheusRetention", `"${retention}" is not a Prometheus duration (e.g. 15d, 2w, 36h)`);
  }
  const retentionSize = c.string("prometheusRetentionSize", raw.prometheusRetentionSize, d.prometheusRetentionSize);
  const retentionSizeBytes = byteSize(retentionSize);
  if (retentionSize && retentionSizeBytes === undefined) {
    c.fail("prometheusRetentionSize", `"${retentionSize}" is not a size like 8GiB or 512MB`);
  }
  const prometheusVolumeGiB = c.positiveInt("prometheusVolumeGiB", raw.prometheusVolumeGiB, d.prometheusVolumeGiB);
  const volumeBytes = prometheusVolumeGiB * 1024 ** 3;
  if (retentionSizeBytes !== undefined && prometheusVolumeGiB > 0 && retentionSizeBytes > volumeBytes * PROMETHEUS_MAX_RETENTION_SHARE) {
    c.fail(
      "prometheusRetentionSize",
      `${retentionSize} does not fit the ${prometheusVolumeGiB} GiB volume (prometheusVolumeGiB): keep it at most ` +
        `${Math.round(PROMETHEUS_MAX_RETENTION_SHARE * 100)}% of the volume, so the WAL and compaction have room`,
    );
  }

  const schedulable = schedulableNodes(topology);
  const defaultBrokers = schedulable >= 3 ? 3 : 1;
  // 0 (Pulumi.yaml's default) means "choose from the cluster", like leaving the key unset.
  const rawBrokers = raw.kafkaBrokers === 0 || raw.kafkaBrokers === "0" ? undefined : raw.kafkaBrokers;
  const brokers = c.positiveInt("kafkaBrokers", rawBrokers, defaultBrokers);
  if (brokers > 0 && brokers % 2 === 0) {
    c.fail("kafkaBrokers", `${brokers} dual-role nodes make an even KRaft controller quorum; use an odd number (1, 3, 5)`);
  }
  if (brokers > schedulable && schedulable > 0) {
    c.fail("kafkaBrokers", `${brokers} brokers but only ${schedulable} schedulable K3s nodes: two brokers on one node share its failure`);
  }
  const retentionHours = c.positiveInt("kafkaRetentionHours", raw.kafkaRetentionHours, d.kafkaRetentionHours);
  const retentionBytes = c.positiveInt("kafkaRetentionBytes", raw.kafkaRetentionBytes, d.kafkaRetentionBytes);
  const kafkaVolumeGiB = c.positiveInt("kafkaVolumeGiB", raw.kafkaVolumeGiB, d.kafkaVolumeGiB);
  if (retentionBytes > 0 && kafkaVolumeGiB > 0 && retentionBytes >= kafkaVolumeGiB * 1024 ** 3) {
    c.fail(
      "kafkaRetentionBytes",
      `${retentionBytes} bytes per partition does not fit a ${kafkaVolumeGiB} GiB broker volume (kafkaVolumeGiB)`,
    );
  }

  const filesystem = c.boolean("cephFilesystem", raw.cephFilesystem, false);
  const objectStore = c.boolean("cephObjectStore", raw.cephObjectStore, false);

  const windowText = c.string("rebootWindow", raw.rebootWindow, d.rebootWindow);
  const window = windowText ? parseRebootWindow(windowText) : undefined;
  if (typeof window === "string") c.fail("rebootWindow", window);
  const chartMirror = parseChartMirror(c, raw.chartMirror, raw.chartMirrorCaFile);
  const chartVersions = parseChartVersions(c, raw.chartVersions);
  const builds = parseBuilds(c, raw.builds, optIns.builds ?? {});
  const registry = parseRegistry(c, raw.registry);
  const logs = parseLogs(c, raw.logs);
  const gitops = parseGitops(c, raw.gitops, raw.gitopsRepoCredential);
  const vpa = parseVpa(c, raw.vpa);

  if (c.problems.length > 0) throw new ConfigError(c.problems);
  return {
    prometheus: { retention, retentionSize, retentionSizeBytes: retentionSizeBytes as number, volumeGiB: prometheusVolumeGiB },
    kafka: { brokers, retentionHours, retentionBytes, volumeGiB: kafkaVolumeGiB },
    ceph: { filesystem, objectStore },
    reboots: window as RebootWindow,
    chartMirror,
    chartVersions,
    ...(builds ? { builds } : {}),
    registry,
    ...(logs ? { logs } : {}),
    ...(gitops ? { gitops } : {}),
    ...(vpa ? { vpa } : {}),
  };
}

/**
 * `chartVersions`: `{ <chart key>: <version> }`, each an earlier release the program knows
 * (EARLIER_CHARTS) or the pinned one (the same as leaving it out). Every other key or version is
 * refused, naming it and what is allowed.
 */
export function parseChartVersions(c: Collector, value: unknown): Partial<Record<ChartKey, string>> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    c.fail("chartVersions", `must be a map of chart key to version, e.g. { traefik: "41.1.1" } (got ${JSON.stringify(value)})`);
    return {};
  }
  const held: Partial<Record<ChartKey, string>> = {};
  for (const [key, version] of Object.entries(value as Record<string, unknown>)) {
    if (!(key in CHARTS)) {
      c.fail(`chartVersions.${key}`, `is not a chart of the platform (${Object.keys(CHARTS).join(", ")})`);
      continue;
    }
    const chart = key as ChartKey;
    const allowed: readonly string[] = [CHARTS[chart].version, ...((EARLIER_CHARTS as Partial<Record<ChartKey, readonly string[]>>)[chart] ?? [])];
    if (typeof version !== "string" || !allowed.includes(version)) {
      c.fail(
        `chartVersions.${key}`,
        `${JSON.stringify(version)} is not a release the program can hold ${key} at: ${allowed.join(" or ")} ` +
          `(the pin, and the earlier releases whose CRDs the program knows: versions.ts EARLIER_CHARTS)`,
      );
      continue;
    }
    if (version !== CHARTS[chart].version) held[chart] = version;
  }
  return held;
}

/** The PEM certificate blocks of `text`, and those X.509 can parse. */
export function pemCertificates(text: string): { blocks: string[]; valid: string[] } {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const valid = blocks.filter((b) => {
    try {
      return new X509Certificate(b) !== undefined;
    } catch {
      return false;
    }
  });
  return { blocks, valid };
}

/** Reads the stage 3 keys from the stack config and validates them; throws a ConfigError naming each bad key. */
export function loadPlatformSettings(topology: PlatformTarget): PlatformSettings {
  // `builds` pushes to `appsRegistry` with the secret `buildsPushPassword`: read both for its checks.
  // With the in-cluster registry the password is the registry's own: buildsPushPassword is only tested
  // for presence (refused if set), never read as a secret, so `npm run plan` supplies it no placeholder.
  const { appsRegistry, domain } = readRawConfig(["appsRegistry", "domain"]);
  const inClusterRegistryHost = typeof domain === "string" ? registryHost(domain.toLowerCase()) : undefined;
  const pushesInCluster = typeof appsRegistry === "string" && typeof domain === "string" && inClusterRegistryOf(appsRegistry, domain.toLowerCase()) !== undefined;
  const { raw: secrets, outputs } = readSecretKeys<typeof BUILDS_PUSH_PASSWORD_KEY>(pushesInCluster ? [] : [BUILDS_PUSH_PASSWORD_KEY]);
  const password = pushesInCluster ? (isConfigSet(BUILDS_PUSH_PASSWORD_KEY) ? { value: "set", secret: true } : undefined) : secrets[BUILDS_PUSH_PASSWORD_KEY];
  // The gitops credential from the raw store, not Config.get: checked here (it may be a multi-line
  // SSH key) and delivered only as a secret Output.
  const credential = pulumi.runtime.getConfig(`${pulumi.getProject()}:${GITOPS_CREDENTIAL_KEY}`)?.trim();
  const raw: RawPlatformConfig = {
    ...readRawConfig(PLATFORM_CONFIG_KEYS),
    ...(credential ? { gitopsRepoCredential: { value: credential, secret: isSecretConfig(GITOPS_CREDENTIAL_KEY) } } : {}),
  };
  const settings = parsePlatformSettings(raw, topology, {
    builds: {
      appsRegistry: typeof appsRegistry === "string" ? appsRegistry : undefined,
      pushPassword: password && { set: password.value !== "", secret: password.secret },
      // An appsRegistry on the registry opt-in's host pushes with its credentials (config/opt-ins/builds.ts).
      ...(inClusterRegistryHost ? { inClusterRegistryHost } : {}),
    },
  });
  if (settings.gitops?.credential) settings.gitops.credentialValue = new pulumi.Config().requireSecret(GITOPS_CREDENTIAL_KEY);
  const pushPassword = outputs[BUILDS_PUSH_PASSWORD_KEY];
  return settings.builds && pushPassword ? { ...settings, builds: { ...settings.builds, pushPassword } } : settings;
}
