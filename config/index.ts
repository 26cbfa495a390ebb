/**
 * The whole stack config, read and validated before anything is created. Each stage's settings
 * are parsed by its own module; the problems of all of them are reported together, so one run
 * names every bad key.
 *
 * Two kinds of stack: the VM topology (`vms`, `networks`: stages 1-2 build the cluster on the KVM
 * host), or an existing cluster (`kubeconfig`, `existingNodes`: stages 3-4 only). Each refuses the
 * other's keys.
 */
import { AlertConfig, loadAlertSettings } from "./alerts";
import { AppsSettings, loadAppsSettings } from "./apps";
import { BackupConfig, loadBackupSettings } from "./backup";
import { ClusterConfig, loadClusterSettings } from "./cluster";
import {
  EXISTING_CLUSTER_CONFIG_KEYS,
  ExistingClusterConfig,
  existingKeysRefused,
  TLS_ACME_EAB_SECRET_KEY,
  loadExistingCluster,
  projectDefaults,
  VM_ONLY_KEYS,
  vmKeysRefused,
} from "./existing-cluster";
import { isConfigSet, loadTopology, readRawConfig } from "./load";
import { gitopsAppsConflicts } from "./opt-ins/gitops";
import { loadPlatformSettings, PlatformSettings } from "./platform";
import { nodeMirrorConflicts } from "./registry-mirror";
import { loadRoleSettings, RoleSettings } from "./roles";
import { deploys, Topology } from "./topology";
import { Collector, ConfigError, isDnsDomain } from "./validate";

/** A stack that builds its cluster on the KVM host (stages 1-4). */
export interface VmStackConfig {
  target: "vms";
  topology: Topology;
  roles: RoleSettings;
  cluster: ClusterConfig;
  platform: PlatformSettings;
  apps: AppsSettings;
  /** The off-host backup target (secrets as an Output) and the schedules per kind of data. */
  backup: BackupConfig;
  /** Where Alertmanager sends alerts (SMTP password and webhook URL as a secret Output). */
  alerts: AlertConfig;
}

/** A stack that deploys stages 3-4 onto a cluster the user already has (`kubeconfig`). */
export interface ExistingClusterStackConfig {
  target: "existing";
  /** DNS domain of the platform's and the apps' host names (the user's DNS serves them). */
  domain: string;
  existing: ExistingClusterConfig;
  platform: PlatformSettings;
  apps: AppsSettings;
  /** The off-host backup target and schedules, read as on every stack. */
  backup: BackupConfig;
  /** Where Alertmanager sends alerts, as on every stack. */
  alerts: AlertConfig;
}

export type StackConfig = VmStackConfig | ExistingClusterStackConfig;

/** Runs each loader, collecting every ConfigError's problems; throws one ConfigError naming them all. */
function collecting(): { attempt: <T>(load: () => T) => T | undefined; problems: string[] } {
  const problems: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(...e.problems);
      return undefined;
    }
  };
  return { attempt, problems };
}

export function loadStackConfig(): StackConfig {
  if (isConfigSet("kubeconfig")) return loadExistingClusterStack();
  const { attempt, problems } = collecting();
  const existingKeys = readRawConfig(EXISTING_CLUSTER_CONFIG_KEYS);
  if (Object.keys(existingKeys).length > 0) problems.push(...existingKeysRefused(existingKeys, projectDefaults()));
  if (isConfigSet(TLS_ACME_EAB_SECRET_KEY)) problems.push(`${TLS_ACME_EAB_SECRET_KEY}: configures the user's ACME server on an existing cluster (kubeconfig); the VM topology's certificates come from FreeIPA`);
  const topology = attempt(() => loadTopology());
  if (!topology) throw new ConfigError(problems);
  const roles = attempt(() => loadRoleSettings(topology));
  const cluster = attempt(() => loadClusterSettings(topology));
  const platform = attempt(() => loadPlatformSettings(topology));
  const apps = attempt(() => loadAppsSettings(topology, deploys(topology.deployUpTo, "apps")));
  const backup = attempt(() => loadBackupSettings(topology.stack));
  const alerts = attempt(() => loadAlertSettings());
  problems.push(...nodeMirrorConflicts(platform?.registry, cluster?.registryMirror?.settings));
  problems.push(...gitopsAppsConflicts(platform?.gitops, apps?.apps.map((a) => a.name) ?? []));
  if (!roles || !cluster || !platform || !apps || !backup || !alerts || problems.length > 0) throw new ConfigError(problems);
  return { target: "vms", topology, roles, cluster, platform, apps, backup, alerts };
}

function loadExistingClusterStack(): ExistingClusterStackConfig {
  const { attempt, problems } = collecting();
  const c = new Collector();
  const raw = readRawConfig(["domain", ...VM_ONLY_KEYS]);
  const domain = c.string("domain", raw.domain).toLowerCase();
  if (domain && !isDnsDomain(domain)) c.fail("domain", `"${domain}" is not a valid DNS domain`);
  problems.push(...c.problems, ...vmKeysRefused(raw, projectDefaults()));
  if (isConfigSet("sshPrivateKey")) {
    problems.push("sshPrivateKey: stage 2 (K3s over SSH) is not built on an existing cluster; remove it from this stack (pulumi config rm sshPrivateKey)");
  }
  if (isConfigSet("k3sToken")) {
    problems.push("k3sToken: is the token of the K3s cluster the program builds on its VMs; a stack with kubeconfig builds none: remove it from this stack (pulumi config rm k3sToken)");
  }
  const existing = attempt(() => loadExistingCluster());
  const nodes = existing?.settings.nodes ?? [];
  const platform = attempt(() => loadPlatformSettings({ nodes }));
  const apps = attempt(() => loadAppsSettings({ domain, vms: [] }));
  const backup = attempt(() => loadBackupSettings());
  const alerts = attempt(() => loadAlertSettings());
  problems.push(...gitopsAppsConflicts(platform?.gitops, apps?.apps.map((a) => a.name) ?? []));
  if (!existing || !platform || !apps || !backup || !alerts || problems.length > 0) throw new ConfigError(problems);
  return { target: "existing", domain, existing, platform, apps, backup, alerts };
}
