/**
 * The whole stack config, read and validated before anything is created. Each stage's settings
 * are parsed by its own module; the problems of all of them are reported together, so one run
 * names every bad key.
 */
import { AppsSettings, loadAppsSettings } from "./apps";
import { BackupConfig, loadBackupSettings } from "./backup";
import { ClusterConfig, loadClusterSettings } from "./cluster";
import { loadTopology } from "./load";
import { loadPlatformSettings, PlatformSettings } from "./platform";
import { loadRoleSettings, RoleSettings } from "./roles";
import { Topology } from "./topology";
import { ConfigError } from "./validate";

export interface StackConfig {
  topology: Topology;
  roles: RoleSettings;
  cluster: ClusterConfig;
  platform: PlatformSettings;
  apps: AppsSettings;
  /** The off-host backup target (secrets as an Output) and the schedules per kind of data. */
  backup: BackupConfig;
}

export function loadStackConfig(): StackConfig {
  const topology = loadTopology();
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
  const roles = attempt(() => loadRoleSettings(topology));
  const cluster = attempt(() => loadClusterSettings(topology));
  const platform = attempt(() => loadPlatformSettings(topology));
  const apps = attempt(() => loadAppsSettings(topology));
  const backup = attempt(() => loadBackupSettings(topology.stack));
  if (!roles || !cluster || !platform || !apps || !backup) throw new ConfigError(problems);
  return { topology, roles, cluster, platform, apps, backup };
}
