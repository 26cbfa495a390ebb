/**
 * Stage 3: the platform as pinned Helm releases on the new cluster.
 *
 * Order, real dependencies only:
 *   namespaces (PSA labels) -> their LimitRange and NetworkPolicies -> the releases in them;
 *   rook-ceph (CRDs, operator) -> ceph-csi-drivers -> rook-ceph-cluster -> storage gate (a claim on
 *     ceph-block that must bind) -> everything with a volume: Kafka, Redis, Mosquitto, Prometheus;
 *   each chart's crds/ CRDs (applied here, ./chart-crds.ts) -> its release (traefik, strimzi, monitoring);
 *   strimzi -> KafkaNodePool -> Kafka (awaited until Ready);
 *   kube-prometheus-stack (monitoring CRDs) -> the platform's ServiceMonitors (Ceph, Traefik, Redis),
 *     each also after what it watches, its alert rules, the backup VMs' ScrapeConfig and the backup
 *     dashboard; no release waits for monitoring;
 *   each generated Secret -> the release that reads it;
 *   with a backup target: snapshot CRDs -> snapshot-controller -> Rook's VolumeSnapshotClasses;
 *     Velero's CRDs and its two Secrets (S3 credentials, kopia's repository password) -> velero;
 *   with `builds`: the Tekton operator's CRDs -> tekton-operator -> TektonConfig (awaited Ready: the
 *     operator installed Pipelines) -> the build Task and Pipeline; the push Secret in `builds`.
 *   with `logs` (./logs.ts): elk: eck-operator -> eck-stack (Elasticsearch on Ceph, Kibana) ->
 *     the retention Job (ILM policy, index template) -> fluent-bit; loki: loki -> fluent-bit and
 *     Grafana's Loki datasource.
 *   with the `vpa` opt-in: the VPA CRDs -> vpa (the recommender) -> the platform's VerticalPodAutoscalers;
 *     its PodMonitor after monitoring.
 * Everything else installs in parallel (rook-ceph and strimzi start at once).
 *
 * Values, custom resources and policies are rendered in ./render.ts from the plan (./plan.ts); this
 * component only wires resources.
 */
import * as k8s from "@pulumi/kubernetes";
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { AlertConfig } from "../config/alerts";
import { BackupMonitoring } from "../config/backup-freshness";
import { ALERTMANAGER_CONFIG_KEY, ALERTMANAGER_CONFIG_SECRET, renderAlertmanagerConfig } from "./alertmanager";
import { GRAFANA_DASHBOARD_LABEL } from "./backup-alerts";
import * as random from "@pulumi/random";
import { PlatformSettings } from "../config/platform";
import { ConfigError } from "../config/validate";
import { chartSource } from "./chart-source";
import { CapacityReport, capacityReport, describeCapacity } from "./capacity";
import { ChartWithCrds, crdPatchArgs, hasCrds, loadCrdManifest } from "./chart-crds";
import { PlatformFacts } from "./facts";
import { limitRangeSpec, NAMESPACES, NamespaceKey, planNamespaces, psaLabels } from "./namespaces";
import type { BackupCredentials } from "../config/backup";
import { VolumeBackupPlan } from "./volume-backups";
import { SNAPSHOT_API_VERSION } from "./snapshot-classes";
import { awsCredentialsFile, VELERO_REPO_SECRET, VELERO_REPO_SECRET_KEY, VELERO_S3_SECRET, VELERO_S3_SECRET_KEY } from "./values/velero";
import { planPlatform } from "./plan";
import { ChartKey, RELEASES, STORAGE_GATE_TIMEOUT } from "./releases";
import { PlatformServices, platformServices } from "./services";
import { renderPlatform } from "./render";
import { awaitReady } from "./await";
import { CERT_MANAGER_API_VERSION } from "./certificates";
import { registerIssuer } from "./issuer";
import { registerGitops } from "./gitops-resources";
import { argocdHost } from "./values/argocd";
import { KAFKA_API_VERSION, KAFKA_CLUSTER, KAFKA_NODE_POOL, KAFKA_READY_TIMEOUT_SECONDS, kafkaBootstrap } from "./values/kafka";
import { GRAFANA_ADMIN_USER, GRAFANA_SECRET, GRAFANA_SECRET_KEYS, grafanaHost } from "./values/monitoring";
import { MOSQUITTO_SECRET, MOSQUITTO_USER, MOSQUITTO_USERS_CHECKSUM, MOSQUITTO_USERS_KEY, MOSQUITTO_USERS_SECRET, mqttInternalEndpoint } from "./values/mosquitto";
import { MOSQUITTO_SALT_BYTES, mosquittoPasswordFile, MQTT_APPS_USER, MQTT_EXTERNAL_USER } from "./mqtt-users";
import { REDIS_MASTER_SET, REDIS_SECRET, REDIS_SECRET_KEYS, redisSentinelEndpoint } from "./values/redis";
import { cephDashboardHost, STORAGE_CLASS } from "./values/rook";
import { TRAEFIK_DASHBOARD_SECRET, TRAEFIK_DASHBOARD_USER, traefikHost } from "./values/traefik";
import { CHARTS } from "../versions";
import { TEKTON_CONFIG_NAME, TEKTON_OPERATOR_API_VERSION, TEKTON_READY_TIMEOUT_SECONDS } from "./values/tekton";
import { dockerConfigJson, PUSH_SECRET } from "./builds/pipeline";
import { BUILDKITD_CONFIGMAP, buildkitdConfigData } from "./builds/registry";
import type { RegistryAuth } from "../cluster/registry-credentials";
import type { RegistrySettings } from "../config/opt-ins/registry";
import {
  dockerConfigJson as registryDockerConfig,
  htpasswdFile,
  REGISTRY_HTPASSWD_KEY,
  REGISTRY_HTPASSWD_SECRET,
  REGISTRY_METRICS_SECRET,
  REGISTRY_CLAIM,
  registryClaimSpec,
  REGISTRY_PUSH_SECRET,
  registryHost,
  RegistryPush,
  registryPush,
} from "./values/zot";
import { kibanaRoute } from "./values/logs-elk";
import { registerLogs } from "./logs";
import { VPA_API_VERSION } from "./vpa-objects";

export type { PlatformFacts, PlatformNode } from "./facts";
export { volumeBackupPlan } from "./volume-backups";

export interface PlatformArgs extends PlatformFacts {
  /** Stage 2's provider for the new cluster. */
  provider: k8s.Provider;
  /**
   * Deleted only when the cluster itself is destroyed (stage 2's `lifetime`). Every platform object
   * is `deletedWith` it: `pulumi destroy` skips their deletes (Helm uninstalls waiting on Rook,
   * which refuses to delete a pool holding data, on PVCs that StatefulSets and Strimzi never delete)
   * because the cluster and its disks go anyway. Removing one object from the config still deletes it.
   */
  clusterLifetime?: pulumi.Resource;
  settings: PlatformSettings;
  /** Hosts of the apps' routes (stage 4): cert-manager reaches them for its HTTP-01 self-check. */
  appHosts?: string[];
  /**
   * FreeIPA's ACME service (guest roles), required when the facts have `tls`: the command that enabled
   * it (the issuer waits for it), the CA certificate it printed (the issuer trusts it), and the
   * commands that put every route host into FreeIPA's DNS. FreeIPA's validator resolves a host there
   * and gives up after 5 tries 5 s apart; cert-manager then backs the Certificate off for 1 h. So the
   * issuer and every Certificate wait for the records.
   */
  acme?: { ready: pulumi.Resource; caCertificate: pulumi.Input<string>; dnsRecordsServed: pulumi.Resource[] };
  /** The EAB HMAC key of the user's ACME server (an existing cluster's secret `tlsAcmeEabHmacKey`). */
  acmeEabHmacKey?: pulumi.Input<string>;
  /** Where Alertmanager sends alerts, the SMTP password and webhook URL as a secret Output; none when unset. */
  alerts?: AlertConfig;
  /** The backup kinds to watch and the VMs whose exporters carry their metric; nothing watched when unset. */
  backups?: BackupMonitoring;
  /** Velero's volume backups (./volume-backups.ts) and the target's credentials; none without a backup target. */
  volumeBackups?: { plan: VolumeBackupPlan; credentials: pulumi.Output<BackupCredentials> };
  /** The registry opt-in's users (made with the cluster: the nodes pull with `pull`); required with `settings.registry`. */
  registryAuth?: RegistryAuth;
}

export interface PlatformUrls {
  grafana: string;
  traefikDashboard: string;
  cephDashboard: string;
  /** zot's UI (the registry opt-in; absent while off). */
  registry?: string;
  /** Only with `logs.stack: elk` (user `elastic`, password in the Secret logging/elasticsearch-es-elastic-user: docs/logs.md). */
  kibana?: string;
  /** Argo CD's UI, only with the `gitops` opt-in. */
  argocd?: string;
}

export interface PlatformEndpoints {
  /** Kafka plain listener, inside the cluster. */
  kafkaBootstrap: string;
  mqttInternal: string;
  /** MQTT through the load balancer, on the VM networks only (plain text: never on the LAN). */
  mqttExternal: string;
  /** The apps' MQTT user. */
  mqttUser: string;
  /** The user for clients outside the cluster (password: `passwords.mqttExternal`; topics `external/#`). */
  mqttExternalUser: string;
  /** Sentinel address; ask it for the master of `redisMasterSet`. */
  redisSentinel: string;
  redisMasterSet: string;
  /**
   * The registry opt-in (absent while off): push to `registry.endpoint` as `registry.username`
   * (password: `passwords.registryPush`), or mount the `kubernetes.io/dockerconfigjson` Secret
   * `registry.secretName` of namespace `registry.namespace` (builds copy it into their namespace).
   */
  registry?: RegistryPush;
}

export interface PlatformPasswords {
  grafanaAdmin: string;
  /** Argo CD's `admin`, only with the `gitops` opt-in. */
  argocdAdmin?: string;
  traefikDashboard: string;
  mqtt: string;
  mqttExternal: string;
  redis: string;
  redisSentinel: string;
  /** The registry opt-in's users (absent while off). */
  registryPush?: string;
  registryPull?: string;
}

/** The passwords the apps' credentials Secrets carry (apps/credentials.ts). */
export type AppPasswords = Pick<PlatformPasswords, "mqtt" | "redis" | "redisSentinel">;

export class Platform extends pulumi.ComponentResource {
  declare readonly urls: PlatformUrls;
  declare readonly endpoints: PlatformEndpoints;
  /** Every generated password, as one secret output. Users: `admin` (Grafana, Traefik), `mqtt`, `external` (MQTT). */
  declare readonly passwords: pulumi.Output<PlatformPasswords>;
  /**
   * Only the passwords the apps use, from their own generators: an opt-in's new password (registry,
   * gitops) is unknown in the preview that turns it on, and through `passwords` it made every app's
   * credentials Secret unknown, which the preview showed as a replacement.
   */
  declare readonly appPasswords: pulumi.Output<AppPasswords>;
  /** Requests of every workload against the schedulable nodes' allocatable resources. */
  declare readonly capacity: CapacityReport;
  /** What the apps stage uses: service addresses, namespaces, ports, the certificate issuer. */
  declare readonly services: PlatformServices;
  /** The CA the program made (`tlsIssuer: selfSigned`), PEM: clients trust it to reach the routes. */
  declare readonly tlsCaCertificate: pulumi.Output<string> | undefined;
  /** The registry opt-in: where to push, as whom, and the Secret with the push credentials; none while off. */
  declare readonly registry: RegistryPush | undefined;
  /** The registry users' passwords (secret): `push`, `pull`. */
  declare readonly registryPasswords: pulumi.Output<{ push: string; pull: string }> | undefined;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flatcarmicrocloud:platform:Platform", name, {}, opts);
    const plan = planPlatform({ ...args, alerts: args.alerts?.settings, volumeBackups: args.volumeBackups?.plan });
    const rendered = renderPlatform(plan);
    const capacity = capacityReport(rendered.workloads, plan.nodes);
    if (!capacity.fits) throw new ConfigError(capacity.problems.map((p) => `platform capacity: ${p}`));
    void pulumi.log.info(`platform capacity: ${describeCapacity(capacity)}`, this);

    const k8sOpts = { parent: this, provider: args.provider, deletedWith: args.clusterLifetime };

    // ---- namespaces and their guard rails --------------------------------------------------------
    const namespaces = {} as Record<NamespaceKey, k8s.core.v1.Namespace>;
    const guardRails = {} as Record<NamespaceKey, pulumi.Resource[]>;
    for (const key of planNamespaces(plan)) {
      const spec = NAMESPACES[key];
      const ns = new k8s.core.v1.Namespace(`${name}-ns-${spec.name}`, { metadata: { name: spec.name, labels: psaLabels(spec) } }, k8sOpts);
      namespaces[key] = ns;
      guardRails[key] = [
        new k8s.core.v1.LimitRange(
          `${name}-${spec.name}-container-defaults`,
          { metadata: { name: "container-defaults", namespace: ns.metadata.name }, spec: limitRangeSpec() },
          k8sOpts,
        ),
      ];
    }
    const keyOf = (namespace: string) => (Object.keys(NAMESPACES) as NamespaceKey[]).find((k) => NAMESPACES[k].name === namespace) as NamespaceKey;
    for (const np of rendered.networkPolicies) {
      const key = keyOf(np.namespace);
      guardRails[key].push(
        new k8s.networking.v1.NetworkPolicy(
          `${name}-${np.namespace}-${np.name}`,
          { metadata: { name: np.name, namespace: namespaces[key].metadata.name }, spec: np.spec },
          k8sOpts,
        ),
      );
    }

    // ---- generated credentials -------------------------------------------------------------------
    const password = (id: string) => new random.RandomPassword(`${name}-${id}`, { length: 32, special: false }, { parent: this });
    const grafanaPassword = password("grafana-admin");
    const traefikPassword = password("traefik-dashboard");
    const mqttPassword = password("mqtt");
    const mqttExternalPassword = password("mqtt-external");
    const redisPassword = password("redis");
    const sentinelPassword = password("redis-sentinel");
    const secret = (key: NamespaceKey, secretName: string, stringData: pulumi.Input<Record<string, pulumi.Input<string>>>) =>
      new k8s.core.v1.Secret(
        `${name}-${secretName}`,
        { metadata: { name: secretName, namespace: namespaces[key].metadata.name }, type: "Opaque", stringData: pulumi.secret(stringData) },
        k8sOpts,
      );
    const grafanaSecret = secret("monitoring", GRAFANA_SECRET, {
      [GRAFANA_SECRET_KEYS.user]: GRAFANA_ADMIN_USER,
      [GRAFANA_SECRET_KEYS.password]: grafanaPassword.result,
    });
    // htpasswd form with a bcrypt hash: the Secret never holds the dashboard password itself.
    const traefikSecret = secret("traefik", TRAEFIK_DASHBOARD_SECRET, {
      users: pulumi.interpolate`${TRAEFIK_DASHBOARD_USER}:${traefikPassword.bcryptHash}`,
    });
    const mqttSecret = secret("mosquitto", MOSQUITTO_SECRET, { username: MOSQUITTO_USER, password: mqttPassword.result });
    // Mosquitto's password file of both users, hashed here (the chart hashes only its one user); each
    // user's salt is generated once, so the file (and the broker) changes only with a password.
    const salt = (user: string) => new random.RandomBytes(`${name}-mqtt-salt-${user}`, { length: MOSQUITTO_SALT_BYTES }, { parent: this }).base64;
    const mqttPasswordFile = pulumi
      .all([mqttPassword.result, salt(MQTT_APPS_USER), mqttExternalPassword.result, salt(MQTT_EXTERNAL_USER)])
      .apply(([apps, appsSalt, external, externalSalt]) =>
        mosquittoPasswordFile([
          { name: MQTT_APPS_USER, password: apps, saltBase64: appsSalt },
          { name: MQTT_EXTERNAL_USER, password: external, saltBase64: externalSalt },
        ]),
      );
    const mqttUsersSecret = secret("mosquitto", MOSQUITTO_USERS_SECRET, { [MOSQUITTO_USERS_KEY]: mqttPasswordFile });
    const redisSecret = secret("redis", REDIS_SECRET, {
      [REDIS_SECRET_KEYS.redis]: redisPassword.result,
      [REDIS_SECRET_KEYS.sentinel]: sentinelPassword.result,
    });

    // ---- releases --------------------------------------------------------------------------------
    // A chart's crds/ CRDs are applied by the program, at the pinned version, before its release
    // (./chart-crds.ts): Helm would install them once and never upgrade them. Never deleted by the
    // program (`retainOnDelete`: deleting a CRD deletes every object of its kind), like Helm.
    // A chart held back (`chartVersions`) gets its held release's CRDs, the same objects: moving it to
    // the pin updates them in place.
    const chartCrds = (key: ChartWithCrds): pulumi.Resource[] =>
      loadCrdManifest(key, args.settings.chartVersions[key]).crds.map(
        (crd) =>
          new k8s.apiextensions.v1.CustomResourceDefinitionPatch(`${name}-crd-${crd.metadata.name}`, crdPatchArgs(crd), {
            ...k8sOpts,
            retainOnDelete: true,
          }),
      );
    const release = (key: ChartKey, dependsOn: pulumi.Resource[], values: pulumi.Input<object> = rendered.values[key] ?? {}): k8s.helm.v3.Release => {
      const spec = RELEASES[key];
      const held = args.settings.chartVersions[key];
      if (held) void pulumi.log.warn(`chartVersions: chart ${key} is held at ${held}, not its pin ${CHARTS[key].version}; remove the key to move it to the pin`, this);
      const crds = hasCrds(key) ? chartCrds(key) : [];
      return new k8s.helm.v3.Release(
        `${name}-${spec.name}`,
        {
          name: spec.name,
          ...chartSource(key, args.settings.chartMirror, args.settings.chartVersions[key]),
          namespace: namespaces[spec.namespace].metadata.name,
          createNamespace: false,
          atomic: true,
          timeout: spec.timeoutSeconds,
          maxHistory: 5,
          values,
          skipCrds: hasCrds(key),
        },
        { ...k8sOpts, dependsOn: [...guardRails[spec.namespace], ...crds, ...dependsOn] },
      );
    };

    // Storage: operator, CSI drivers, cluster, then a claim that binds only once Ceph serves volumes.
    const rookCeph = release("rookCeph", []);
    const cephCsiDrivers = release("cephCsiDrivers", [rookCeph]);
    const rookCephCluster = release("rookCephCluster", [cephCsiDrivers]);
    const storageReady = new k8s.core.v1.PersistentVolumeClaim(
      `${name}-ceph-block-ready`,
      {
        metadata: {
          name: "ceph-block-ready",
          namespace: namespaces.rookCeph.metadata.name,
          annotations: { "pulumi.com/waitFor": "jsonpath={.status.phase}=Bound" },
        },
        spec: { storageClassName: STORAGE_CLASS, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      },
      { ...k8sOpts, dependsOn: [rookCephCluster], customTimeouts: { create: STORAGE_GATE_TIMEOUT, update: STORAGE_GATE_TIMEOUT } },
    );

    // Alertmanager's config, receivers' credentials included, in a Secret the Alertmanager resource
    // names (configSecret); the release's values carry none of it.
    const alertSecrets = args.alerts?.secrets ?? pulumi.output({});
    const alertmanagerSecret = new k8s.core.v1.Secret(
      `${name}-${ALERTMANAGER_CONFIG_SECRET}`,
      {
        metadata: { name: ALERTMANAGER_CONFIG_SECRET, namespace: namespaces.monitoring.metadata.name },
        type: "Opaque",
        stringData: pulumi.secret(alertSecrets.apply((s) => ({ [ALERTMANAGER_CONFIG_KEY]: renderAlertmanagerConfig(plan.alerts, s) }))),
      },
      { ...k8sOpts, additionalSecretOutputs: ["data", "stringData"] },
    );
    const monitoring = release("kubePrometheusStack", [grafanaSecret, alertmanagerSecret, storageReady]);
    // Traefik needs neither storage nor monitoring: only its ServiceMonitor waits for the
    // monitoring CRDs (below), so the ingress is up while Ceph and Prometheus still start.
    const traefik = release("traefik", [traefikSecret]);
    const redis = release("redisHa", [redisSecret, storageReady]);
    // The chart's checksums cover only its own Secret: the users' file's digest restarts the broker
    // when a password changes (the file is mounted with subPath, which is never updated in place).
    // Only the annotation waits for the passwords: the rest of the values stay known in a preview.
    const mosquittoValues = {
      ...rendered.values.mosquitto,
      podAnnotations: { [MOSQUITTO_USERS_CHECKSUM]: mqttPasswordFile.apply((file) => createHash("sha256").update(file).digest("hex")) },
    };
    release("mosquitto", [mqttSecret, mqttUsersSecret, storageReady], mosquittoValues);
    const strimzi = release("strimzi", []);

    // TLS: cert-manager, its ClusterIssuer (./issuer.ts), one Certificate per route host.
    let caCertificate: pulumi.Output<string> | undefined;
    if (plan.tls) {
      const certManager = release("certManager", []);
      const issued = registerIssuer(name, {
        tls: plan.tls,
        domain: plan.domain,
        namespace: namespaces.certManager.metadata.name,
        certManager,
        freeipa: args.acme,
        acmeEabHmacKey: args.acmeEabHmacKey,
        opts: k8sOpts,
      });
      caCertificate = issued.caCertificate;
      // Each waits until issued: an ACME challenge goes through Traefik (the solver's Ingress) and the
      // solver NetworkPolicy of its namespace (in its guard rails), so both come first.
      for (const cert of rendered.certificates) {
        const key = keyOf(cert.namespace);
        new k8s.apiextensions.CustomResource(
          `${name}-certificate-${cert.name}`,
          {
            apiVersion: CERT_MANAGER_API_VERSION,
            kind: "Certificate",
            metadata: { name: cert.name, namespace: namespaces[key].metadata.name, annotations: cert.annotations },
            spec: cert.spec,
          },
          { ...k8sOpts, dependsOn: [issued.issuer, traefik, ...issued.certificatesAfter, ...guardRails[key]] },
        );
      }
    }
    this.tlsCaCertificate = caCertificate;

    // Kafka is awaited until Strimzi reports it Ready, so what uses it (the apps, their topics) finds
    // brokers. The node pool has no Ready condition (Strimzi writes only its node ids and replicas,
    // while reconciling the Kafka): it comes first and Kafka's readiness covers its brokers.
    const kafkaOpts = { ...k8sOpts, dependsOn: [strimzi, storageReady] };
    const kafkaNodePool = new k8s.apiextensions.CustomResource(
      `${name}-kafka-node-pool`,
      {
        apiVersion: KAFKA_API_VERSION,
        kind: "KafkaNodePool",
        metadata: { name: KAFKA_NODE_POOL, namespace: namespaces.kafka.metadata.name, labels: { "strimzi.io/cluster": KAFKA_CLUSTER } },
        spec: rendered.kafkaNodePool,
      },
      kafkaOpts,
    );
    new k8s.apiextensions.CustomResource(
      `${name}-kafka`,
      {
        apiVersion: KAFKA_API_VERSION,
        kind: "Kafka",
        metadata: {
          name: KAFKA_CLUSTER,
          namespace: namespaces.kafka.metadata.name,
          annotations: awaitReady(KAFKA_READY_TIMEOUT_SECONDS),
        },
        spec: rendered.kafka,
      },
      { ...kafkaOpts, dependsOn: [...kafkaOpts.dependsOn, kafkaNodePool] },
    );

    // Volume backups (./volume-backups.ts), only with a backup target: the snapshot controller and
    // Rook's snapshot classes, then Velero with the target's credentials and kopia's repository
    // password (the stack's passphrase), both Secrets of the program's, before Velero starts (it would
    // create the password Secret itself, with its built-in password, if it were missing).
    let velero: k8s.helm.v3.Release | undefined;
    if (args.volumeBackups && rendered.values.velero && rendered.values.snapshotController) {
      const credentials = args.volumeBackups.credentials;
      const backupSecret = (secretName: string, data: pulumi.Input<Record<string, pulumi.Input<string>>>) =>
        new k8s.core.v1.Secret(
          `${name}-${secretName}`,
          { metadata: { name: secretName, namespace: namespaces.velero.metadata.name }, type: "Opaque", stringData: pulumi.secret(data) },
          { ...k8sOpts, additionalSecretOutputs: ["data", "stringData"] },
        );
      const s3Secret = backupSecret(VELERO_S3_SECRET, credentials.apply((c) => ({ [VELERO_S3_SECRET_KEY]: awsCredentialsFile(c.accessKeyId, c.secretAccessKey) })));
      const repoSecret = backupSecret(VELERO_REPO_SECRET, credentials.apply((c) => ({ [VELERO_REPO_SECRET_KEY]: c.passphrase })));
      const snapshotController = release("snapshotController", [], rendered.values.snapshotController);
      const classes = rendered.volumeSnapshotClasses.map(
        (c) =>
          new k8s.apiextensions.CustomResource(
            `${name}-snapshot-class-${c.name}`,
            { apiVersion: SNAPSHOT_API_VERSION, kind: "VolumeSnapshotClass", metadata: { name: c.name, labels: c.labels }, driver: c.driver, parameters: c.parameters, deletionPolicy: c.deletionPolicy },
            { ...k8sOpts, dependsOn: [snapshotController] },
          ),
      );
      velero = release("velero", [s3Secret, repoSecret, ...classes], rendered.values.velero);
    }

    // Builds (opt-in `builds`, ./builds/pipeline.ts): the operator, then the TektonConfig, awaited
    // until the operator reports it Ready (it has installed Tekton Pipelines into tekton-pipelines:
    // its CRDs, controller and webhook), then the build Task and Pipeline; the push credentials as a
    // dockerconfigjson Secret from the stack's secret buildsPushPassword.
    let tektonConfig: pulumi.Resource | undefined;
    const builds = plan.settings.builds;
    if (builds && rendered.builds && rendered.values.tektonOperator) {
      const operator = release("tektonOperator", [], rendered.values.tektonOperator);
      tektonConfig = new k8s.apiextensions.CustomResource(
        `${name}-tekton-config`,
        {
          apiVersion: TEKTON_OPERATOR_API_VERSION,
          kind: "TektonConfig",
          metadata: { name: TEKTON_CONFIG_NAME, annotations: awaitReady(TEKTON_READY_TIMEOUT_SECONDS) },
          spec: rendered.builds.tektonConfig,
        },
        { ...k8sOpts, dependsOn: [operator, ...guardRails.tektonPipelines] },
      );
      // Pushing to the in-cluster registry: its `push` user's own password (config/opt-ins/builds.ts
      // refuses buildsPushPassword then), and its route's CA for BuildKit (./builds/registry.ts).
      if (builds.inClusterRegistry && !args.registryAuth) throw new Error("builds: appsRegistry is the in-cluster registry, but the platform has no registry users (registryAuth)");
      const password = (builds.inClusterRegistry ? args.registryAuth?.push.password : builds.pushPassword) ?? pulumi.output("");
      const registryCa = rendered.builds.registryCa;
      const caPem: pulumi.Input<string> | undefined =
        registryCa?.kind === "freeipa" ? args.acme?.caCertificate : registryCa?.kind === "selfSigned" ? caCertificate : registryCa?.kind === "acmeBundle" ? registryCa.pem : undefined;
      if (registryCa && !caPem) throw new Error(`builds: the in-cluster registry's route CA (${registryCa.kind}) is not available to the platform`);
      const buildkitdConfig =
        caPem &&
        new k8s.core.v1.ConfigMap(
          `${name}-${BUILDKITD_CONFIGMAP}`,
          { metadata: { name: BUILDKITD_CONFIGMAP, namespace: namespaces.builds.metadata.name }, data: pulumi.output(caPem).apply((pem) => buildkitdConfigData(builds.registryHost, pem)) },
          { ...k8sOpts, dependsOn: guardRails.builds },
        );
      new k8s.core.v1.Secret(
        `${name}-${PUSH_SECRET}`,
        {
          metadata: { name: PUSH_SECRET, namespace: namespaces.builds.metadata.name },
          type: "kubernetes.io/dockerconfigjson",
          stringData: pulumi.secret(password.apply((p) => ({ ".dockerconfigjson": dockerConfigJson(builds.registryHost, builds.pushUser, p) }))),
        },
        { ...k8sOpts, dependsOn: guardRails.builds, additionalSecretOutputs: ["data", "stringData"] },
      );
      for (const doc of [rendered.builds.task, rendered.builds.pipeline]) {
        new k8s.apiextensions.CustomResource(
          `${name}-build-${doc.kind.toLowerCase()}`,
          { apiVersion: doc.apiVersion, kind: doc.kind, metadata: { ...doc.metadata, namespace: namespaces.builds.metadata.name }, spec: doc.spec },
          { ...k8sOpts, dependsOn: [tektonConfig, ...guardRails.builds, ...(buildkitdConfig ? [buildkitdConfig] : [])] },
        );
      }
    }

    // The registry opt-in (./values/zot.ts): its users' htpasswd (bcrypt hashes only), the push
    // credentials for builds, Prometheus's basic auth, then zot on its Ceph volume.
    let zot: k8s.helm.v3.Release | undefined;
    const registryAuth = args.registryAuth;
    if (rendered.values.zot) {
      if (!registryAuth) throw new Error("registry: the platform needs the registry's users (registryAuth) with settings.registry");
      const { push, pull } = registryAuth;
      const registrySecret = (secretName: string, type: string, data: pulumi.Input<Record<string, pulumi.Input<string>>>) =>
        new k8s.core.v1.Secret(
          `${name}-${secretName}`,
          { metadata: { name: secretName, namespace: namespaces.registry.metadata.name }, type, stringData: pulumi.secret(data) },
          { ...k8sOpts, additionalSecretOutputs: ["data", "stringData"] },
        );
      const htpasswd = registrySecret(REGISTRY_HTPASSWD_SECRET, "Opaque", {
        [REGISTRY_HTPASSWD_KEY]: pulumi.all([push.bcryptHash, pull.bcryptHash]).apply(([p, q]) => htpasswdFile([{ name: push.username, bcryptHash: p }, { name: pull.username, bcryptHash: q }])),
      });
      const endpoint = registryPush(plan.domain, plan.ingress.httpsPort).endpoint;
      registrySecret(REGISTRY_PUSH_SECRET, "kubernetes.io/dockerconfigjson", {
        ".dockerconfigjson": push.password.apply((p) => registryDockerConfig(endpoint, push.username, p)),
      });
      const metricsAuth = registrySecret(REGISTRY_METRICS_SECRET, "Opaque", { username: pull.username, password: pull.password });
      // The images' claim is the program's (./values/zot.ts): a larger volumeGiB grows it in place.
      // Deleted with the opt-in, and the images with it (docs/registry.md).
      const claim = new k8s.core.v1.PersistentVolumeClaim(
        `${name}-${REGISTRY_CLAIM}`,
        { metadata: { name: REGISTRY_CLAIM, namespace: namespaces.registry.metadata.name }, spec: registryClaimSpec(plan.settings.registry as RegistrySettings) },
        { ...k8sOpts, dependsOn: [storageReady, ...guardRails.registry] },
      );
      zot = release("zot", [htpasswd, metricsAuth, claim], rendered.values.zot);
    }
    // GitOps (./gitops-resources.ts), only with the `gitops` opt-in: Argo CD, its project and Applications.
    const gitops =
      args.settings.gitops &&
      registerGitops(name, { settings: args.settings.gitops, namespace: namespaces.argocd, guardRails: guardRails.argocd, release: (d) => release("argoCd", d), opts: k8sOpts, parent: this });

    // Logs (./logs.ts), only with the `logs` opt-in.
    const logs = registerLogs(name, { rendered, release, namespaces, storageReady, monitoring, opts: k8sOpts });
    // The VPA opt-in: the recommender, then a VerticalPodAutoscaler (updateMode Off) per platform
    // controller, after the CRDs and the recommender (a VPA may name a controller that does not
    // exist yet: the recommender waits for its pods).
    const vpa = rendered.values.vpa ? release("vpa", [], rendered.values.vpa) : undefined;
    if (vpa) {
      for (const v of rendered.vpas) {
        const key = keyOf(v.namespace);
        new k8s.apiextensions.CustomResource(
          `${name}-vpa-${v.namespace}-${v.name}`,
          { apiVersion: VPA_API_VERSION, kind: "VerticalPodAutoscaler", metadata: { name: v.name, namespace: namespaces[key].metadata.name }, spec: v.spec },
          { ...k8sOpts, dependsOn: [vpa, ...guardRails[key]] },
        );
      }
    }

    // The platform's own ServiceMonitors wait for the monitoring CRDs and for what they watch.
    const watched: Partial<Record<NamespaceKey, pulumi.Resource>> = {
      rookCeph: rookCephCluster,
      traefik,
      redis,
      ...(velero ? { velero } : {}),
      ...(tektonConfig ? { tektonPipelines: tektonConfig } : {}),
      ...(zot ? { registry: zot } : {}),
      ...(logs ? { logging: logs.collector } : {}),
      ...(gitops ? { argocd: gitops.release } : {}),
      ...(vpa ? { vpa } : {}),
    };
    for (const sm of rendered.serviceMonitors) {
      const key = keyOf(sm.namespace);
      new k8s.apiextensions.CustomResource(
        `${name}-${sm.name}-monitor`,
        { apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", metadata: { name: sm.name, namespace: namespaces[key].metadata.name }, spec: sm.spec },
        { ...k8sOpts, dependsOn: [monitoring, ...(watched[key] ? [watched[key]] : [])] },
      );
    }
    for (const pm of rendered.podMonitors) {
      const key = keyOf(pm.namespace);
      new k8s.apiextensions.CustomResource(
        `${name}-${pm.name}-pod-monitor`,
        { apiVersion: "monitoring.coreos.com/v1", kind: "PodMonitor", metadata: { name: pm.name, namespace: namespaces[key].metadata.name }, spec: pm.spec },
        { ...k8sOpts, dependsOn: [monitoring, ...(watched[key] ? [watched[key]] : [])] },
      );
    }
    // The Rocky VMs' exporters (backup freshness) and the dashboards, once the monitoring CRDs and
    // Grafana's sidecar exist.
    for (const sc of rendered.scrapeConfigs) {
      new k8s.apiextensions.CustomResource(
        `${name}-${sc.name}-scrape`,
        { apiVersion: "monitoring.coreos.com/v1alpha1", kind: "ScrapeConfig", metadata: { name: sc.name, namespace: namespaces.monitoring.metadata.name }, spec: sc.spec },
        { ...k8sOpts, dependsOn: [monitoring, ...guardRails.monitoring] },
      );
    }
    for (const d of rendered.dashboards) {
      new k8s.core.v1.ConfigMap(
        `${name}-${d.name}`,
        { metadata: { name: d.name, namespace: namespaces[keyOf(d.namespace)].metadata.name, labels: { ...GRAFANA_DASHBOARD_LABEL } }, data: { [d.key]: d.json } },
        { ...k8sOpts, dependsOn: [monitoring] },
      );
    }
    const rules = rendered.prometheusRules.map((rule) => {
      const key = keyOf(rule.namespace);
      return new k8s.apiextensions.CustomResource(
        `${name}-${rule.name}-rules`,
        { apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: rule.name, namespace: namespaces[key].metadata.name }, spec: rule.spec },
        { ...k8sOpts, dependsOn: [monitoring, ...guardRails[key]] },
      );
    });

    // Reboots: kured installs last, once the alerts its gate reads exist (before that, a node with a
    // staged Flatcar update could reboot without Ceph's health being checked).
    // Only on Flatcar nodes whose own reboots wait for it (an existing cluster's nodes may reboot
    // their own way: existingNodes[].os).
    if (plan.kured) release("kured", rules);

    // ---- outputs ---------------------------------------------------------------------------------
    const https = (host: string, path = "/") => `https://${host}${plan.ingress.httpsPort === 443 ? "" : `:${plan.ingress.httpsPort}`}${path}`;
    this.urls = {
      grafana: https(grafanaHost(plan)),
      traefikDashboard: https(traefikHost(plan), "/dashboard/"),
      cephDashboard: https(cephDashboardHost(plan)),
      ...(rendered.values.zot ? { registry: https(registryHost(plan.domain)) } : {}),
      ...(plan.settings.logs?.stack === "elk" ? { kibana: https(kibanaRoute(plan).host) } : {}),
      ...(gitops ? { argocd: https(argocdHost(plan)) } : {}),
    };
    this.registry = rendered.values.zot && registryPush(plan.domain, plan.ingress.httpsPort);
    this.endpoints = {
      kafkaBootstrap: kafkaBootstrap(),
      mqttInternal: mqttInternalEndpoint(),
      mqttExternal: `mqtt://${plan.ingress.mqttAddress}:${plan.ingress.mqttPort}`,
      mqttUser: MOSQUITTO_USER,
      mqttExternalUser: MQTT_EXTERNAL_USER,
      redisSentinel: redisSentinelEndpoint(),
      redisMasterSet: REDIS_MASTER_SET,
      ...(this.registry ? { registry: this.registry } : {}),
    };
    this.registryPasswords =
      rendered.values.zot && registryAuth
        ? pulumi.secret(pulumi.all([registryAuth.push.password, registryAuth.pull.password]).apply(([push, pull]) => ({ push, pull })))
        : undefined;
    const registryUsers = this.registryPasswords ?? pulumi.output(undefined);
    this.passwords = pulumi.secret(
      pulumi
        .all([grafanaPassword.result, traefikPassword.result, mqttPassword.result, mqttExternalPassword.result, redisPassword.result, sentinelPassword.result, registryUsers, gitops ? gitops.adminPassword : undefined])
        .apply(([grafanaAdmin, traefikDashboard, mqtt, mqttExternal, redis, redisSentinel, registry, argocdAdmin]) => ({
          grafanaAdmin,
          traefikDashboard,
          mqtt,
          mqttExternal,
          redis,
          redisSentinel,
          ...(registry ? { registryPush: registry.push, registryPull: registry.pull } : {}),
          ...(argocdAdmin === undefined ? {} : { argocdAdmin }),
        })),
    );
    this.appPasswords = pulumi.secret(
      pulumi.all([mqttPassword.result, redisPassword.result, sentinelPassword.result]).apply(([mqtt, redis, redisSentinel]) => ({ mqtt, redis, redisSentinel })),
    );
    this.capacity = capacity;
    this.services = platformServices(plan);
    this.registerOutputs({ urls: this.urls, endpoints: this.endpoints, passwords: this.passwords, tlsCaCertificate: this.tlsCaCertificate, registry: this.registry });
  }
}
