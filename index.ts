/**
 * FlatcarMicroCloud: config -> infra -> cluster -> platform -> apps, then the stack outputs.
 * Stages 1-2 build the cluster on the KVM hosts, or a stack with `kubeconfig` deploys stages 3-4 onto a
 * cluster the user already has; either way stages 3-4 take the same target cluster and facts.
 */
import { Apps, APPS_NAMESPACE } from "./apps";
import { assertStackFits } from "./apps/capacity";
import { appCredentials, appsImagePull } from "./apps/credentials";
import { appDatabase } from "./apps/facts";
import { clusterFacts, moreRoom, targetCluster } from "./cluster/target";
import { loadStackConfig } from "./config";
import { deploys } from "./config/topology";
import { infraStage } from "./infra/stage";
import { Platform, volumeBackupPlan } from "./platform";

// Config: every key validated; a bad stack config stops here, before anything is created.
const config = loadStackConfig();
const vms = config.target === "vms" ? config : undefined;
const facts = clusterFacts(config);
const appHosts = [...new Set(config.apps.apps.flatMap((a) => (a.ingress ? [a.ingress.host] : [])))];
// `deployUpTo` stops before the stages that reach into the VMs (SSH, K3s, Helm).
const deploysPlatform = !vms || deploys(vms.topology.deployUpTo, "platform");
const deploysApps = !vms || deploys(vms.topology.deployUpTo, "apps");
// Room: the platform, its volume backups and every app at its maximum replicas must fit the nodes.
const volumeBackups = volumeBackupPlan(config.backup.settings, config.apps.apps, APPS_NAMESPACE);
const capacity = deploysPlatform ? assertStackFits(facts, config.platform, config.apps.apps, volumeBackups, moreRoom(config)) : undefined;

// Stage 1: day-two admission, the VMs on the KVM hosts, the Rocky VMs' roles, after-boot SSH (infra/stage.ts).
const infra = vms && infraStage(vms, appHosts);

// Stage 2: K3s over SSH on the Flatcar VMs, or the cluster the user already has (cluster/target.ts).
const cluster = targetCluster(config, infra);

// Stage 3: the platform as pinned Helm releases on the cluster.
const platform =
  cluster && deploysPlatform
    ? new Platform("platform", {
        provider: cluster.provider, clusterLifetime: cluster.lifetime, ...facts, settings: config.platform, appHosts, alerts: config.alerts,
        acme: cluster.acme, acmeEabHmacKey: cluster.acmeEabHmacKey, backups: infra?.backups, registryAuth: cluster.registryAuth,
        volumeBackups: volumeBackups && config.backup.credentials && { plan: volumeBackups, credentials: config.backup.credentials },
      })
    : undefined;

// Stage 4: the user's apps (stack config `apps`) on the platform's services and the database VM.
const apps =
  cluster && platform && deploysApps
    ? new Apps("apps", {
        provider: cluster.provider, settings: config.apps, services: platform.services,
        database: vms && appDatabase(vms.topology, vms.roles.postgres),
        credentials: appCredentials(platform, infra?.postgresPassword),
        imagePull: appsImagePull(config, facts, cluster.registryAuth),
        after: [platform, ...cluster.appsAfter],
        clusterLifetime: cluster.lifetime,
      })
    : undefined;

// Stack outputs. Every password and the kubeconfig are secrets.
export const nodes = infra?.outputs.nodes;
export const deployment = infra?.outputs.deployment; // read back by the next run's day-two check (infra/deployment-record.ts)
export const wireguardPublicKey = infra?.outputs.wireguardPublicKey;
export const postgres = infra?.outputs.postgres;
export const freeipaAdminPassword = infra?.outputs.freeipaAdminPassword;
/** The CA certificate (PEM), FreeIPA's or the one the program made (tlsIssuer selfSigned): trust it to reach every route over HTTPS (README). */
export const tlsCaCertificate = infra?.outputs.tlsCaCertificate ?? platform?.tlsCaCertificate;
export const apiEndpoint = cluster?.outputs.apiEndpoint;
export const kubeconfig = cluster?.outputs.kubeconfig;
/** The cluster's node names: K3s's, or the existing cluster's `existingNodes`. */
export const k3sNodes = cluster?.outputs.k3sNodes;
/** The K3s server token (secret): an etcd restore needs it besides the snapshot (docs/backups.md). */
export const k3sToken = cluster?.outputs.k3sToken;
export const urls = platform?.urls;
export const endpoints = platform?.endpoints;
export const passwords = platform?.passwords;
export const platformCapacity = platform?.capacity;
export const appEndpoints = apps?.endpoints;
/** Each routed app's first URL (what `npm run smoke` reads). */
export const appUrls = apps && Object.fromEntries(Object.entries(apps.endpoints).flatMap(([name, e]) => (e.urls.length > 0 ? [[name, e.urls[0]]] : [])));
export const capacityBudget = capacity && { platformRequests: capacity.platform, appsRequests: capacity.apps, freeForMoreApps: capacity.free, allocatable: capacity.report.allocatable };
