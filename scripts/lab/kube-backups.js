/**
 * `npm run lab:kube`'s volume backups (docs/lab.md, docs/backups.md): the lab's prod stack gets a
 * backup target, so Velero, the snapshot controller and their objects go through the real apiserver
 * and the real Helm. STAND-IN (labelled): the target is an address that never answers
 * (`.invalid`, RFC 6761); nothing here waits for it, and Velero's storage location stays Unavailable.
 * Room: prod at the reference apps' replicas.max has ~125 MiB left, which the volume backups do not
 * fit (the capacity check refuses it, naming backupS3Endpoint): the lab lowers two apps' replicas.max,
 * as a user would (api 4 -> 3, worker 3 -> 1; the day-two steps still change api's replicas).
 */
"use strict";

const LAB_BACKUP_TARGET = { backupS3Endpoint: "https://backup-target.lab.invalid:9000", backupS3Bucket: "fmc-lab-backups" };
/** Lab-only values of the secret keys (set with --secret): nothing real. */
const LAB_BACKUP_SECRETS = { backupS3AccessKeyId: "LABFAKEACCESSKEY", backupS3SecretAccessKey: "lab-fake-secret-key", backupPassphrase: "lab fake passphrase, never a real one" };
const LAB_REPLICAS_MAX = { api: 3, worker: 1 };

/** Adds the lab's backup target to the stack config (in place) and lowers the apps' replicas.max; returns what changed. */
function labBackups(config) {
  Object.assign(config, LAB_BACKUP_TARGET);
  const lowered = [];
  config.apps = (config.apps || []).map((app) => {
    const max = LAB_REPLICAS_MAX[app.name];
    if (max === undefined || !app.replicas) return app;
    lowered.push(`${app.name} replicas.max ${app.replicas.max} -> ${max}`);
    return { ...app, replicas: { min: Math.min(app.replicas.min, max), max } };
  });
  return { secrets: LAB_BACKUP_SECRETS, lowered, keys: Object.keys(LAB_BACKUP_TARGET) };
}

/** What the program's volume backups put into the cluster, counted from the apiserver; refuses a missing piece. */
async function backupObjects(kube, stack) {
  const count = async (p) => (await kube.get(p)).items.length;
  const ns = "velero";
  const counts = {
    crds: (await kube.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")).items.filter((c) => /\.velero\.io$|snapshot\.storage\.k8s\.io$/.test(c.metadata.name)).length,
    deployments: await count(`/apis/apps/v1/namespaces/${ns}/deployments`),
    daemonSets: await count(`/apis/apps/v1/namespaces/${ns}/daemonsets`),
    pods: await count(`/api/v1/namespaces/${ns}/pods`),
    secrets: await count(`/api/v1/namespaces/${ns}/secrets`),
    configMaps: await count(`/api/v1/namespaces/${ns}/configmaps`),
    networkPolicies: await count(`/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`),
    backupStorageLocations: await count(`/apis/velero.io/v1/namespaces/${ns}/backupstoragelocations`),
    schedules: await count(`/apis/velero.io/v1/namespaces/${ns}/schedules`),
    volumeSnapshotClasses: await count("/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses"),
    prometheusRules: await count(`/apis/monitoring.coreos.com/v1/namespaces/${ns}/prometheusrules`),
    serviceMonitors: await count(`/apis/monitoring.coreos.com/v1/namespaces/${ns}/servicemonitors`),
  };
  const schedule = await kube.get(`/apis/velero.io/v1/namespaces/${ns}/schedules/velero-fmc-volumes`);
  const bsl = await kube.get(`/apis/velero.io/v1/namespaces/${ns}/backupstoragelocations/default`);
  const repo = await kube.get(`/api/v1/namespaces/${ns}/secrets/velero-repo-credentials`);
  const problems = [];
  if (counts.crds !== 13 + 6) problems.push(`${counts.crds} Velero and snapshot CRDs, not 19`);
  if (counts.deployments !== 2 || counts.daemonSets !== 1) problems.push(`${counts.deployments} Deployments and ${counts.daemonSets} DaemonSets in ${ns}, not 2 and 1`);
  if (counts.volumeSnapshotClasses < 1) problems.push("no VolumeSnapshotClass");
  if (bsl.spec.objectStorage.prefix !== `flatcarmicrocloud/${stack}/volumes`) problems.push(`the storage location's prefix is ${bsl.spec.objectStorage.prefix}`);
  if (!schedule.spec.template.snapshotMoveData) problems.push("the Schedule does not move snapshot data");
  if (Buffer.from(repo.data["repository-password"], "base64").toString() !== LAB_BACKUP_SECRETS.backupPassphrase) problems.push("kopia's repository password is not the stack's passphrase");
  if (problems.length > 0) throw new Error(problems.join("; "));
  return { counts, schedule: schedule.spec.schedule, ttl: schedule.spec.template.ttl };
}

module.exports = { labBackups, backupObjects, LAB_BACKUP_TARGET, LAB_BACKUP_SECRETS };
