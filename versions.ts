/**
 * Every version the program installs, in one place. Bump here and nowhere else; tests read these
 * constants, and the chart key fixtures under tests/fixtures are derived per chart version.
 */

/**
 * Guest images. Pinned files only: `current`/`latest` would change machines behind the user's back.
 * libvirt downloads them itself over HTTPS from these exact URLs; it verifies no checksum.
 */
export const IMAGES = {
  flatcar: {
    release: "4593.2.5",
    channel: "stable",
    url: "https://stable.release.flatcar-linux.net/amd64-usr/4593.2.5/flatcar_production_qemu_image.img",
    format: "qcow2",
    // Ships qemu-guest-agent in /usr (amd64); udev starts it when the provider's
    // org.qemu.guest_agent.0 port exists. The provider itself never asks it (infra/index.ts).
  },
  rocky: {
    release: "9.5-20241118.0",
    // The vault keeps every point release, so the pinned file never disappears from the mirror.
    url: "https://dl.rockylinux.org/vault/rocky/9.5/images/x86_64/Rocky-9-GenericCloud-Base-9.5-20241118.0.x86_64.qcow2",
    format: "qcow2",
  },
} as const;

/**
 * Base images of earlier pins that existing VMs still run on. A bump of IMAGES applies to new VMs
 * only (and to VMs that get a new root disk): an existing root disk is a qcow2 overlay on the image
 * it was created from, its `baseVolumeId` is ignored on change (it is ForceNew: a new base would
 * replace every root disk), and that image must stay. So a bump moves the old pin here, release and
 * URL; remove an entry only once every VM created on it has a new root disk (`pulumi up --replace`
 * on its root volume), else those VMs lose their backing file. Existing VMs update through their OS
 * (Flatcar's update engine, dnf on Rocky).
 */
export const RETAINED_IMAGES: Record<keyof typeof IMAGES, readonly { release: string; url: string }[]> = {
  flatcar: [],
  rocky: [],
};

/**
 * The Terraform provider line the local `@pulumi/libvirt` package bridges (0.9 is an incompatible
 * rewrite). The CLI reads these from Pulumi.yaml `packages:` and sdks/libvirt/package.json; a test
 * holds both to this constant.
 */
export const LIBVIRT_PROVIDER = { terraform: "0.8.3", bridge: "1.1.3" } as const;

export const K3S_VERSION = "v1.36.5+k3s1";

/** PostgreSQL on the database VM: Rocky 9's AppStream module stream (`dnf module enable postgresql:16`). */
export const POSTGRESQL_MODULE_STREAM = "16";

/**
 * An image pin as chart values take it (`repository` and `tag`), written as the reference one pulls
 * (`repository:tag`) so that every pin below reads the same and greps as `docker pull` names it.
 * Tags only, no registry port: the split is at the last colon.
 */
function image(ref: `${string}:${string}`): { readonly repository: string; readonly tag: string } {
  const at = ref.lastIndexOf(":");
  return { repository: ref.slice(0, at), tag: ref.slice(at + 1) };
}

/**
 * Helm charts of stage 3 (`platform/`), one entry per release. `repo` is a classic chart repository;
 * Strimzi publishes only an OCI chart, so its `chart` is the OCI reference and it has no `repo`. The
 * key fixtures in tests/fixtures/chart-keys/ are derived per version (scripts/derive-chart-keys.js):
 * bump a version here, re-derive, and the tests check the values against the new chart's keys.
 *
 * CRDs: Helm installs a chart's `crds/` once and never upgrades them. For the charts that ship some
 * (traefik, strimzi, kubePrometheusStack: platform/chart-crds.ts) the program applies them itself,
 * server-side and before the release, from platform/crds/<key>-<version>.json, and the release skips
 * them. So a bump here also needs `node scripts/derive-chart-crds.js <dir with the new archives>`
 * (it prints the `helm pull` commands, and what changed in the CRDs); until then the program stops
 * naming that command. docs/platform.md ("CRDs") has the details.
 */
export const CHARTS = {
  traefik: { chart: "traefik", version: "41.3.0", repo: "https://traefik.github.io/charts" },
  rookCeph: { chart: "rook-ceph", version: "v1.20.6", repo: "https://charts.rook.io/release" },
  cephCsiDrivers: { chart: "ceph-csi-drivers", version: "1.0.4", repo: "https://ceph.github.io/ceph-csi-operator" },
  rookCephCluster: { chart: "rook-ceph-cluster", version: "v1.20.6", repo: "https://charts.rook.io/release" },
  strimzi: { chart: "oci://quay.io/strimzi-helm/strimzi-kafka-operator", version: "1.2.0" },
  redisHa: { chart: "redis-ha", version: "4.39.0", repo: "https://dandydeveloper.github.io/charts" },
  mosquitto: { chart: "mosquitto", version: "1.4.0", repo: "https://repo.helmforge.dev" },
  kubePrometheusStack: { chart: "kube-prometheus-stack", version: "88.5.3", repo: "https://prometheus-community.github.io/helm-charts" },
  certManager: { chart: "cert-manager", version: "v1.21.1", repo: "https://charts.jetstack.io" },
  // The chart's appVersion is 1.23.0; the image is pinned here too, so the values never fall back to
  // the chart's default tag and a chart bump shows the image it brings.
  kured: { chart: "kured", version: "6.1.0", repo: "https://kubereboot.github.io/charts", image: image("ghcr.io/kubereboot/kured:1.23.0") },
  // Volume backups (platform/values/velero.ts), installed only while the stack has a backup target.
  // Velero 1.18.1 is the chart's appVersion; its S3 plugin line for 1.18 is v1.14.x. Tags, not
  // digests: the registries cannot be asked from here (docs/backups.md says how to pin a digest).
  velero: {
    chart: "velero", version: "12.1.0", repo: "https://vmware-tanzu.github.io/helm-charts",
    image: image("docker.io/velero/velero:v1.18.1"),
    awsPlugin: image("docker.io/velero/velero-plugin-for-aws:v1.14.2"),
  },
  // The CSI snapshot controller (kubernetes-csi/external-snapshotter v8.6.0, the chart's appVersion):
  // K3s ships none, and Velero's CSI snapshots need it.
  snapshotController: { chart: "snapshot-controller", version: "5.2.0", repo: "https://piraeus.io/helm-charts/", image: image("registry.k8s.io/sig-storage/snapshot-controller:v8.6.0") },
  // In-cluster image builds (opt-in `builds`, docs/builds.md): the Tekton operator 0.81.1 (its
  // appVersion), which installs Tekton Pipelines v1.15.0 (the operator's components.yaml at
  // v0.81.1) from the release manifests built into its image. The chart names its images by these
  // repositories and the appVersion; pinned here so a chart bump shows the images it brings.
  tektonOperator: {
    // Published only as an OCI chart (the chart's README and .github/workflows/helm-release.yaml).
    chart: "oci://ghcr.io/tektoncd/operator/charts/tekton-operator",
    version: "0.81.1",
    image: image("ghcr.io/tektoncd/operator/operator-303303c315a48490ba6517859ef65b77:v0.81.1"),
    webhookImage: image("ghcr.io/tektoncd/operator/webhook-f2bb711aa8f0c0892856a4cbf6d9ddd8:v0.81.1"),
    proxyImage: image("ghcr.io/tektoncd/operator/proxy-webhook-f6167da7bc41b96a27c5529f850e63d1:v0.81.1"),
    pipelinesVersion: "v1.15.0",
  },
  // The registry opt-in (`registry`, platform/values/zot.ts): zot, an OCI-only registry in one Go
  // process (docs/registry.md says why not Harbor, with figures). v2.1.18 is the chart's appVersion.
  zot: { chart: "zot", version: "0.1.122", repo: "https://zotregistry.dev/helm-charts", image: image("ghcr.io/project-zot/zot:v2.1.18") },
  // Logs (opt-in `logs`, config/opt-ins/logs.ts): the ECK operator and its Elasticsearch and Kibana
  // custom resources (`logs.stack: elk`), or Loki in single binary mode (`logs.stack: loki`), with
  // Fluent Bit collecting on every node for either. Tags are the charts' appVersions (Elasticsearch
  // and Kibana: eck-stack 0.20.0's default `version`), written into the values so that a chart bump
  // shows the images it brings; the ECK operator derives the Elasticsearch and Kibana images from
  // `elasticStack` (docker.elastic.co/elasticsearch/elasticsearch:<v>, docker.elastic.co/kibana/kibana:<v>).
  eckOperator: { chart: "eck-operator", version: "3.5.0", repo: "https://helm.elastic.co", image: image("docker.elastic.co/eck/eck-operator:3.5.0") },
  eckStack: {
    chart: "eck-stack", version: "0.20.0", repo: "https://helm.elastic.co",
    elasticStack: "9.5.0",
    elasticsearchImage: image("docker.elastic.co/elasticsearch/elasticsearch:9.5.0"),
    kibanaImage: image("docker.elastic.co/kibana/kibana:9.5.0"),
  },
  fluentBit: { chart: "fluent-bit", version: "0.58.1", repo: "https://fluent.github.io/helm-charts", image: image("cr.fluentbit.io/fluent/fluent-bit:5.1.1") },
  // Loki's chart takes the registry apart from the repository.
  loki: { chart: "loki", version: "7.3.0", repo: "https://grafana.github.io/helm-charts", image: { registry: "docker.io", ...image("grafana/loki:3.6.12") } },
  // GitOps (`gitops`, platform/values/argocd.ts), installed only with the opt-in. Argo CD v3.4.4 is
  // the chart's appVersion; redis is the chart's own default image and tag, pinned here.
  argoCd: {
    chart: "argo-cd", version: "10.1.1", repo: "https://argoproj.github.io/argo-helm",
    image: image("quay.io/argoproj/argocd:v3.4.4"),
    redis: image("ecr-public.aws.com/docker/library/redis:8.2.3-alpine"),
  },
  // The Vertical Pod Autoscaler's recommender only (opt-in `vpa`, platform/values/vpa.ts): VPA 1.7.1 is
  // the chart's appVersion (kubernetes/autoscaler tag vertical-pod-autoscaler-chart-0.11.0).
  vpa: { chart: "vertical-pod-autoscaler", version: "0.11.0", repo: "https://kubernetes.github.io/autoscaler", image: image("registry.k8s.io/autoscaling/vpa-recommender:1.7.1") },
} as const;

/**
 * The rootless builder of the `builds` pipeline (platform/builds/): BuildKit's rootless image, which
 * runs as uid 1000 and ships `buildctl-daemonless.sh` (a buildkitd per step) and git (the clone
 * step). Kaniko is not used: Google archived it in 2025 (docs/builds.md).
 */
export const BUILDER_IMAGE = { repository: "docker.io/moby/buildkit", tag: "v0.32.2-rootless" } as const;

/**
 * Earlier releases a stack may hold a chart at (`chartVersions`, docs/platform.md "Holding a chart
 * back"): the release each of these charts had before its current pin, whose CRDs changed on the way.
 * The program knows their CRDs (platform/crds/<key>-<version>.json, derived with the pinned ones) and
 * the lab installs them, then moves to the pin (docs/lab.md). Any other version is refused: the
 * program's values are written for the pinned charts, and an unknown release's CRDs are not derived.
 * Not Strimzi 1.1.0 (../shared has it too): the Kafka the program asks for (KAFKA_VERSION) is the
 * 1.2 operator's newest, which an older operator is not known to run.
 */
export const EARLIER_CHARTS = {
  traefik: ["41.1.1"],
} as const satisfies Partial<Record<keyof typeof CHARTS, readonly string[]>>;

/** Kafka release the Strimzi 1.2 operator runs (its newest supported one). */
export const KAFKA_VERSION = "4.3.1";
