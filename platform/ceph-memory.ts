/**
 * The memory targets Ceph's daemons tune their caches to, from the resources the platform gives their
 * pods. Rook v1.20.6 passes every Ceph daemon its pod's requests and limits (`POD_MEMORY_REQUEST`,
 * `POD_MEMORY_LIMIT`, pkg/operator/k8sutil/pod.go `ClusterDaemonEnvVars`), and Ceph reads them in
 * `md_config_t::parse_env` (src/common/config.cc) for OSDs only:
 *
 *   osd_memory_target = min(POD_MEMORY_REQUEST, POD_MEMORY_LIMIT × osd_memory_target_cgroup_limit_ratio)
 *
 * with the ratio's default 0.8. A mon gets nothing from its pod: `mon_memory_target` keeps Ceph's
 * default of 2 GiB (src/common/options/mon.yaml.in) whatever its limit, and Rook v1.20.6 sets no
 * mon_memory_target of its own, so a mon whose limit is below 2 GiB could grow its caches into an OOM
 * kill. The platform therefore sets `mon_memory_target` itself (cephConfig), by the same rule.
 */
import { memoryMiB, Resources } from "./resources";

/** Ceph's `osd_memory_target_cgroup_limit_ratio` default. */
export const CEPH_CGROUP_LIMIT_RATIO = 0.8;

/** Rook v1.20.6's recommended minimum memory limits (pkg/operator/ceph/cluster/{osd,mon,mgr}): it warns below them. */
export const ROOK_MINIMUM_LIMIT_MB = { osd: 2048, mon: 1024, mgr: 512 } as const;

/** The memory target Ceph derives for an OSD from its pod's resources, in MiB (the rule above). */
export function cephMemoryTargetMiB(r: Resources): number {
  return Math.min(memoryMiB(r.requests.memory), Math.floor(memoryMiB(r.limits.memory) * CEPH_CGROUP_LIMIT_RATIO));
}

/** The same target in bytes, as Ceph's config options take it (a quoted string in cephConfig). */
export function cephMemoryTargetBytes(r: Resources): string {
  return String(cephMemoryTargetMiB(r) * 1024 * 1024);
}

/** Rook compares the limit with its minimum in MB of 2^20 bytes (pkg/util/display `BToMb`, `MbTob`). */
export function belowRookMinimum(daemon: keyof typeof ROOK_MINIMUM_LIMIT_MB, r: Resources): boolean {
  return memoryMiB(r.limits.memory) < ROOK_MINIMUM_LIMIT_MB[daemon];
}
