/**
 * Velero (vmware-tanzu chart) backs up the Ceph volumes of Kafka, Redis, Prometheus, Mosquitto and
 * the apps that ask (../volume-backups.ts) to the stack's S3 target, only while it has one:
 * - CSI snapshot data movement: each claim is snapshotted through Rook's CSI driver (crash-consistent,
 *   ../snapshot-classes.ts), a claim made from the snapshot is read by a data mover pod, and kopia
 *   uploads it, deduplicated and encrypted (AES-256-GCM) with the repository password, which is the
 *   stack's `backupPassphrase` (the Secret `velero-repo-credentials`, which Velero reads and only
 *   creates with its built-in password when it is missing: pkg/repository/keys/keys.go);
 * - only claims and volumes (`includedResources`): the program re-creates every other object, and
 *   Velero stores object manifests unencrypted (Secrets would reach the bucket in plain text);
 * - a Schedule per `backupVolumesSchedule`, each backup kept `backupVolumesRetentionDays` (its TTL:
 *   Velero's garbage collection deletes an expired backup's objects and kopia snapshots, nothing else);
 * - the target's credentials in a Secret of the program's (an AWS credentials file), its CA as the
 *   storage location's `caCert`, path-style URLs as configured.
 * The CRDs are applied by the program (../chart-crds.ts); the chart's CRD upgrade Job is off.
 */
import { BackupTarget } from "../../config/backup";
import { toCron } from "../../config/backup-schedule";
import { CHARTS } from "../../versions";
import { Workload } from "../capacity";
import { NAMESPACES } from "../namespaces";
import { Resources } from "../resources";
import { SIZING } from "../sizing";
import { BACKED_UP_NAMESPACES, VolumeBackupPlan } from "../volume-backups";

export const VELERO_RELEASE = "velero";
export const VELERO_NAMESPACE = NAMESPACES.velero.name;
/** The target's credentials as an AWS credentials file (key `cloud`), which the S3 plugin reads. */
export const VELERO_S3_SECRET = "velero-s3";
export const VELERO_S3_SECRET_KEY = "cloud";
/** Kopia's repository password: Velero's fixed Secret name and key (pkg/repository/keys/keys.go). */
export const VELERO_REPO_SECRET = "velero-repo-credentials";
export const VELERO_REPO_SECRET_KEY = "repository-password";
export const BACKUP_STORAGE_LOCATION = "default";
/** Schedule keys in the values; the chart names each Schedule `velero-<key>`. */
export const SCHEDULES = { platform: "fmc-volumes", apps: "fmc-volumes-apps" } as const;
export const scheduleName = (key: string) => `${VELERO_RELEASE}-${key}`;
/** The server's and the node agent's metrics port (`http-monitoring`). */
export const VELERO_METRICS_PORT = 8085;
/** The node agent's ConfigMap (`<release>-<key>` of the chart's configMaps). */
const NODE_AGENT_CONFIG = "node-agent-config";
/** Label that makes a VolumeSnapshotClass the one Velero uses for its driver. */
export const VELERO_SNAPSHOT_CLASS_LABEL = "velero.io/csi-volumesnapshot-class";
/** Claims an app asks to back up carry its name (apps/render.ts appLabels). */
const APP_NAME_LABEL = "app.kubernetes.io/name";

export interface ScheduleTemplate {
  ttl: string;
  includedNamespaces: string[];
  includedResources: string[];
  labelSelector?: { matchExpressions: { key: string; operator: "In"; values: string[] }[] };
  snapshotVolumes: boolean;
  snapshotMoveData: boolean;
  storageLocation: string;
  csiSnapshotTimeout: string;
  itemOperationTimeout: string;
}

export interface VeleroValues {
  image: { repository: string; tag: string };
  initContainers: {
    name: string;
    image: string;
    imagePullPolicy: string;
    volumeMounts: { mountPath: string; name: string }[];
    resources: Resources;
    securityContext: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean; capabilities: { drop: string[] } };
  }[];
  resources: Resources;
  containerSecurityContext: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean; capabilities: { drop: string[] } };
  upgradeCRDs: boolean;
  cleanUpCRDs: boolean;
  metrics: { enabled: boolean; serviceMonitor: { enabled: boolean; autodetect: boolean }; nodeAgentPodMonitor: { enabled: boolean; autodetect: boolean }; prometheusRule: { enabled: boolean; autodetect: boolean } };
  credentials: { useSecret: boolean; existingSecret: string };
  backupsEnabled: boolean;
  snapshotsEnabled: boolean;
  deployNodeAgent: boolean;
  nodeAgent: { resources: Resources; extraArgs: string[] };
  configuration: {
    backupStorageLocation: {
      name: string;
      provider: string;
      bucket: string;
      prefix: string;
      caCert?: string;
      default: boolean;
      accessMode: string;
      credential: { name: string; key: string };
      config: Record<string, string>;
    }[];
    volumeSnapshotLocation: never[];
    uploaderType: string;
    features: string;
    defaultSnapshotMoveData: boolean;
    defaultVolumesToFsBackup: boolean;
    repositoryMaintenanceJob: { repositoryConfigData: { name: string; global: Record<string, unknown> } };
  };
  configMaps: Record<string, { data: Record<string, string> }>;
  schedules: Record<string, { disabled: boolean; schedule: string; useOwnerReferencesInBackup: boolean; template: ScheduleTemplate }>;
}

/** Kubernetes duration of `days` days (Velero's TTL). */
export function ttl(days: number): string {
  return `${days * 24}h0m0s`;
}

/** The AWS credentials file the S3 plugin reads (`AWS_SHARED_CREDENTIALS_FILE`). */
export function awsCredentialsFile(accessKeyId: string, secretAccessKey: string): string {
  if (/[\r\n]/.test(accessKeyId + secretAccessKey)) throw new Error("backupS3AccessKeyId and backupS3SecretAccessKey must be one line each");
  return `[default]\naws_access_key_id=${accessKeyId}\naws_secret_access_key=${secretAccessKey}\n`;
}

/** The storage location's `config` for the S3 plugin: the endpoint, region and URL style of the target. */
export function storageLocationConfig(target: BackupTarget): Record<string, string> {
  return {
    region: target.region,
    s3Url: target.endpoint.replace(/\/+$/, ""),
    s3ForcePathStyle: String(target.pathStyle),
    // The plugin's default CRC32 request checksums (aws-sdk-go-v2) are refused by several
    // S3-compatible servers; the empty value turns them off (velero-plugin-for-aws README).
    checksumAlgorithm: "",
  };
}

function template(vb: VolumeBackupPlan, namespaces: string[], apps?: string[]): ScheduleTemplate {
  return {
    ttl: ttl(vb.schedule.retentionDays),
    includedNamespaces: namespaces,
    includedResources: ["persistentvolumeclaims", "persistentvolumes"],
    ...(apps ? { labelSelector: { matchExpressions: [{ key: APP_NAME_LABEL, operator: "In" as const, values: [...apps].sort() }] } } : {}),
    snapshotVolumes: true,
    snapshotMoveData: true,
    storageLocation: BACKUP_STORAGE_LOCATION,
    csiSnapshotTimeout: "10m0s",
    itemOperationTimeout: "4h0m0s",
  };
}

const resourcesJson = (r: Resources) => ({ cpuRequest: r.requests.cpu, memoryRequest: r.requests.memory, cpuLimit: r.limits.cpu, memoryLimit: r.limits.memory });

export function veleroValues(vb: VolumeBackupPlan): VeleroValues {
  const { velero } = CHARTS;
  const cron = toCron(vb.schedule.schedule);
  const hardened = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
  const schedules: VeleroValues["schedules"] = {
    [SCHEDULES.platform]: { disabled: false, schedule: cron, useOwnerReferencesInBackup: false, template: template(vb, [...BACKED_UP_NAMESPACES]) },
  };
  if (vb.apps.length > 0) {
    schedules[SCHEDULES.apps] = { disabled: false, schedule: cron, useOwnerReferencesInBackup: false, template: template(vb, [vb.appsNamespace], vb.apps) };
  }
  return {
    image: { repository: velero.image.repository, tag: velero.image.tag },
    // Velero finds its object store plugin in /target (the chart's `plugins` emptyDir).
    initContainers: [
      {
        name: "velero-plugin-for-aws",
        image: `${velero.awsPlugin.repository}:${velero.awsPlugin.tag}`,
        imagePullPolicy: "IfNotPresent",
        volumeMounts: [{ mountPath: "/target", name: "plugins" }],
        resources: SIZING.velero.awsPlugin,
        securityContext: hardened,
      },
    ],
    resources: SIZING.velero.server,
    containerSecurityContext: hardened,
    // The program applies the CRDs (chart-crds.ts); the chart's hook Job would need a kubectl image.
    upgradeCRDs: false,
    cleanUpCRDs: false,
    // The platform's own ServiceMonitor and recording rule (after the monitoring CRDs exist).
    metrics: {
      enabled: true,
      serviceMonitor: { enabled: false, autodetect: false },
      nodeAgentPodMonitor: { enabled: false, autodetect: false },
      prometheusRule: { enabled: false, autodetect: false },
    },
    credentials: { useSecret: true, existingSecret: VELERO_S3_SECRET },
    backupsEnabled: true,
    // No VolumeSnapshotLocation: the snapshots are CSI ones, moved to the bucket, never kept in Ceph.
    snapshotsEnabled: false,
    deployNodeAgent: true,
    nodeAgent: { resources: SIZING.velero.nodeAgent, extraArgs: [`--node-agent-configmap=${VELERO_RELEASE}-${NODE_AGENT_CONFIG}`] },
    configuration: {
      backupStorageLocation: [
        {
          name: BACKUP_STORAGE_LOCATION,
          provider: "aws",
          bucket: vb.target.bucket,
          prefix: `${vb.target.prefix}/volumes`,
          ...(vb.target.caCertificate ? { caCert: Buffer.from(vb.target.caCertificate).toString("base64") } : {}),
          default: true,
          accessMode: "ReadWrite",
          credential: { name: VELERO_S3_SECRET, key: VELERO_S3_SECRET_KEY },
          config: storageLocationConfig(vb.target),
        },
      ],
      volumeSnapshotLocation: [],
      uploaderType: "kopia",
      // Still required in 1.18.1, where the CSI plugin lives in Velero itself: without the flag every
      // `velero.io/csi-*` backup and restore item action is skipped (pkg/util/csi/util.go:31
      // ShouldSkipAction, called at pkg/backup/item_backupper.go:378 and pkg/restore/restore.go:1328).
      // The chart passes it to the server and the node agent alike (--features).
      features: "EnableCSI",
      defaultSnapshotMoveData: true,
      defaultVolumesToFsBackup: false,
      repositoryMaintenanceJob: {
        repositoryConfigData: { name: `${VELERO_RELEASE}-repo-maintenance`, global: { keepLatestMaintenanceJobs: 3, podResources: resourcesJson(SIZING.velero.maintenance) } },
      },
    },
    configMaps: {
      [NODE_AGENT_CONFIG]: {
        // One data mover pod per node at a time; sized here, not by the namespace's LimitRange.
        data: { "node-agent-config.json": JSON.stringify({ loadConcurrency: { globalConfig: 1 }, podResources: resourcesJson(SIZING.velero.dataMover) }) },
      },
    },
    schedules,
  };
}

/**
 * The server, the node agent on every node pods can use (it tolerates no taint: the servers run no
 * claims), and what runs while a backup runs: one data mover pod per node (Jobs in the report: not
 * steady, but they must find room at the scheduled time) and kopia's maintenance job.
 */
export function veleroWorkloads(v: VeleroValues): Workload[] {
  return [
    { release: VELERO_RELEASE, name: "velero", kind: "Deployment", replicas: 1, containers: [{ name: "velero", resources: v.resources }] },
    { release: VELERO_RELEASE, name: "node-agent", kind: "DaemonSet", replicas: 0, containers: [{ name: "node-agent", resources: v.nodeAgent.resources }] },
    { release: VELERO_RELEASE, name: "data-mover", kind: "Job", replicas: 1, containers: [{ name: "data-mover", resources: SIZING.velero.dataMover }] },
    { release: VELERO_RELEASE, name: "repo-maintenance", kind: "Job", replicas: 1, containers: [{ name: "maintenance", resources: SIZING.velero.maintenance }] },
  ];
}

export interface SnapshotControllerValues {
  installCRDs: boolean;
  controller: { replicaCount: number; image: { repository: string; tag: string }; resources: Resources };
  webhook: { enabled: boolean };
  volumeSnapshotClasses: never[];
}

export function snapshotControllerValues(): SnapshotControllerValues {
  const { snapshotController } = CHARTS;
  return {
    // The program applies the CRDs (chart-crds.ts): Helm would delete templated CRDs, and every
    // VolumeSnapshot with them, when the release is uninstalled (backups turned off).
    installCRDs: false,
    controller: {
      replicaCount: 1,
      image: { repository: snapshotController.image.repository, tag: snapshotController.image.tag },
      resources: SIZING.snapshotController,
    },
    // The conversion webhook serves only the group snapshot API's old version: off, and no certificate.
    webhook: { enabled: false },
    // Classes are the program's own (../snapshot-classes.ts), after Rook's driver secrets exist.
    volumeSnapshotClasses: [],
  };
}

export function snapshotControllerWorkloads(v: SnapshotControllerValues): Workload[] {
  return [{ release: "snapshot-controller", name: "snapshot-controller", kind: "Deployment", replicas: v.controller.replicaCount, containers: [{ name: "snapshot-controller", resources: v.controller.resources }] }];
}
