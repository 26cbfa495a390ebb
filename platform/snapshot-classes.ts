/**
 * The VolumeSnapshotClasses of Rook's CSI drivers, which Velero snapshots claims with (only while the
 * stack has a backup target). Driver names and snapshotter secrets as rook-ceph-cluster v1.20.6's own
 * template writes them (templates/volumesnapshotclass.yaml: `<operator namespace>.rbd.csi.ceph.com`,
 * `clusterID` the cluster's namespace, `rook-csi-<rbd|cephfs>-provisioner`); the chart's classes stay
 * off because it would render them before the snapshot CRDs exist. CephFS's only with the filesystem.
 * `deletionPolicy: Delete`: a snapshot lives only until its data is in the bucket.
 */
import { NAMESPACES } from "./namespaces";
import { PlatformPlan } from "./plan";
import { ROOK_CSI_DRIVER_VALUES } from "./values/rook";
import { VELERO_SNAPSHOT_CLASS_LABEL } from "./values/velero";

export const SNAPSHOT_API_VERSION = "snapshot.storage.k8s.io/v1";

export interface VolumeSnapshotClassDoc {
  name: string;
  driver: string;
  parameters: Record<string, string>;
  deletionPolicy: "Delete" | "Retain";
  labels: Record<string, string>;
}

export function volumeSnapshotClasses(plan: Pick<PlatformPlan, "settings">): VolumeSnapshotClassDoc[] {
  const ns = NAMESPACES.rookCeph.name;
  const cls = (name: string, driver: string, prefix: "rbd" | "cephfs"): VolumeSnapshotClassDoc => ({
    name,
    driver,
    parameters: {
      clusterID: ns,
      "csi.storage.k8s.io/snapshotter-secret-name": `rook-csi-${prefix}-provisioner`,
      "csi.storage.k8s.io/snapshotter-secret-namespace": ns,
    },
    deletionPolicy: "Delete",
    // Velero picks the class of a claim's driver by this label.
    labels: { [VELERO_SNAPSHOT_CLASS_LABEL]: "true" },
  });
  const { drivers } = ROOK_CSI_DRIVER_VALUES;
  return [
    cls("ceph-block", drivers.rbd.name, "rbd"),
    ...(plan.settings.ceph.filesystem ? [cls("ceph-filesystem", drivers.cephfs.name, "cephfs")] : []),
  ];
}
