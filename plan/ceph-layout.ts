/**
 * The Ceph layout a VM topology gets (platform/ceph-layout.ts), for the plan: OSDs, failure domain,
 * pool size and min_size, what a disk, VM or host failure does, the daemons' memory and warnings.
 */
import { k3sClusterFacts } from "../cluster/facts";
import { Topology } from "../config/topology";
import { CephLayout, cephLayout } from "../platform/ceph-layout";

export function cephLayoutOf(topology: Topology): CephLayout {
  return cephLayout(k3sClusterFacts(topology).nodes.filter((n) => n.cephDevice !== undefined));
}
