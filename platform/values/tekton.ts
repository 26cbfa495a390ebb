/**
 * Tekton for the opt-in `builds` (docs/builds.md): the Tekton operator chart (tektoncd/operator
 * charts/tekton-operator 0.81.1) runs the operator (one pod, two containers: `lifecycle` reconciles
 * TektonConfig and the components, `cluster-operations` applies their TektonInstallerSets) and its
 * admission webhook; the operator then installs Tekton Pipelines v1.15.0 (its components.yaml at
 * v0.81.1) from the release manifests built into its image, into `tekton-pipelines`.
 *
 * The program creates the one TektonConfig (`config`, the only name the operator reconciles) itself,
 * with profile `lite`: Pipelines only. `basic` adds Triggers, Chains and Results, `all` the Dashboard
 * and Pipelines-as-Code (shared/tektonconfig reconciler and kubernetes extension at v0.81.1), none of
 * which a manual build needs; so the chart's auto-install (which would create a TektonConfig with
 * profile `all`: shared/tektonconfig/instance.go) is off.
 *
 * What `lite` deploys into tekton-pipelines (Tekton Pipelines v1.15.0's config/*.yaml, and the
 * operator's cmd/kubernetes/operator/kodata/webhook/webhook.yaml at v0.81.1):
 * - tekton-pipelines-controller, tekton-events-controller: no resources upstream; set here through the
 *   TektonConfig's `pipeline.options.deployments` (the operator merges them into its manifests);
 * - tekton-pipelines-webhook: 100m/100Mi requests, 500m/500Mi limits upstream, behind an HPA of 1-5
 *   replicas: held at 1 here (`options.horizontalPodAutoscalers`), so the count below is the most;
 * - tekton-pipelines-remote-resolvers: 100m/100Mi requests, 1 CPU/4Gi limits upstream;
 * - tekton-operator-proxy-webhook: 100m/100Mi requests, 500m/500Mi limits (operator's manifest);
 * - the job pruner's CronJob (the operator's tkn image; no resources: the namespace's LimitRange gives
 *   them), keeping `builds.keepRuns` PipelineRuns;
 * - the operator's own NetworkPolicies for those pods (TektonPipeline `networkPolicy`, on by default:
 *   default deny, then DNS, the API server, webhook and metrics ingress).
 */
import { BuildsSettings } from "../../config/opt-ins/builds";
import { CHARTS } from "../../versions";
import { Workload } from "../capacity";
import { NAMESPACES } from "../namespaces";
import { resources, Resources } from "../resources";
import { SIZING } from "../sizing";

export const TEKTON_OPERATOR_RELEASE = "tekton-operator";
/** The one TektonConfig name the operator reconciles (v1alpha1.ConfigResourceName). */
export const TEKTON_CONFIG_NAME = "config";
export const TEKTON_OPERATOR_API_VERSION = "operator.tekton.dev/v1alpha1";
/** The smallest profile with Pipelines. */
export const TEKTON_PROFILE = "lite";
/** A first install pulls the operator's, then Pipelines' images and waits for their webhooks. */
export const TEKTON_READY_TIMEOUT_SECONDS = 900;
/** The pipelines controller's metrics port (Tekton Pipelines config/controller.yaml, Service `tekton-pipelines-controller` port `http-metrics`). */
export const TEKTON_METRICS_PORT = 9090;
/** The chart's webhook container port (values `webhook.httpsWebhookPort`). */
export const TEKTON_OPERATOR_WEBHOOK_PORT = 8443;

/**
 * Requests and limits. Upstream figures are restated (and cited) so the capacity check counts what
 * the operator deploys; the operator's own and the controllers' are this program's choice (the chart
 * and Tekton ship none for them).
 */
export const TEKTON_SIZING = {
  operatorLifecycle: resources("50m", "96Mi", "500m", "384Mi"),
  operatorWebhook: resources("20m", "48Mi", "200m", "192Mi"),
  pipelinesController: resources("100m", "128Mi", "1", "512Mi"),
  eventsController: resources("20m", "48Mi", "200m", "192Mi"),
  /** Tekton Pipelines v1.15.0 config/webhook.yaml. */
  pipelinesWebhook: resources("100m", "100Mi", "500m", "500Mi"),
  /** Tekton Pipelines v1.15.0 config/resolvers/resolvers-deployment.yaml. */
  remoteResolvers: resources("100m", "100Mi", "1", "4Gi"),
  /** Operator v0.81.1 cmd/kubernetes/operator/kodata/webhook/webhook.yaml. */
  proxyWebhook: resources("100m", "100Mi", "500m", "500Mi"),
} as const;

const restrictedContainer = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
} as const;

export interface TektonOperatorValues {
  installCRDs: false;
  operator: {
    replicas: number;
    image: { repository: string; tag: string };
    autoInstallComponents: false;
    defaultTargetNamespace: string;
    resources: Resources;
  };
  webhook: { replicas: number; image: { repository: string; tag: string }; resources: Resources };
  webhookProxy: { image: { repository: string; tag: string } };
  podSecurityContext: { runAsNonRoot: true; runAsUser: number; runAsGroup: number; seccompProfile: { type: "RuntimeDefault" } };
  securityContext: typeof restrictedContainer;
  service: { createServiceMonitor: false };
}

export function tektonOperatorValues(): TektonOperatorValues {
  const t = CHARTS.tektonOperator;
  return {
    // The program applies the CRDs (../chart-crds.ts): the chart templates them, and Helm would
    // delete every Tekton object with them when the opt-in is turned off mid-reconcile.
    installCRDs: false,
    operator: {
      replicas: 1,
      image: { repository: t.image.repository, tag: t.image.tag },
      autoInstallComponents: false,
      defaultTargetNamespace: NAMESPACES.tektonPipelines.name,
      // The chart gives both operator containers this one entry: the larger of the two.
      resources: TEKTON_SIZING.operatorLifecycle,
    },
    webhook: { replicas: 1, image: { repository: t.webhookImage.repository, tag: t.webhookImage.tag }, resources: TEKTON_SIZING.operatorWebhook },
    webhookProxy: { image: { repository: t.proxyImage.repository, tag: t.proxyImage.tag } },
    // ko-built on Tekton's static base (.ko.yaml at v0.81.1), run as its uid 65532, given by number
    // so the kubelet can check runAsNonRoot whatever the image's USER says: the pods meet `restricted`.
    podSecurityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
    securityContext: restrictedContainer,
    // The platform's own ServiceMonitor (../monitors.ts pattern) covers Pipelines' controller.
    service: { createServiceMonitor: false },
  };
}

/** A Deployment's container resources as the operator's `options.deployments` merge them. */
function containerResources(container: string, r: Resources): Record<string, unknown> {
  return { spec: { template: { spec: { containers: [{ name: container, resources: r }] } } } };
}

/** The TektonConfig `config` spec: profile lite into tekton-pipelines, sized, pruned, nothing else. */
export function tektonConfigSpec(builds: BuildsSettings): Record<string, unknown> {
  return {
    profile: TEKTON_PROFILE,
    targetNamespace: NAMESPACES.tektonPipelines.name,
    pipeline: {
      options: {
        deployments: {
          "tekton-pipelines-controller": containerResources("tekton-pipelines-controller", TEKTON_SIZING.pipelinesController),
          "tekton-events-controller": containerResources("tekton-events-controller", TEKTON_SIZING.eventsController),
        },
        horizontalPodAutoscalers: { "tekton-pipelines-webhook": { spec: { minReplicas: 1, maxReplicas: 1 } } },
      },
    },
    // The job pruner (one CronJob, hourly): keeps the newest `keepRuns` PipelineRuns per namespace.
    // The event-based pruner (`tektonpruner`) and the scheduler are Deployments the operator leaves
    // out by default (DefaultPrunerDisabled, DefaultSchedulerDisabled: true at v0.81.1); they are not
    // written here because their CRD schema requires fields the operator's webhook fills in.
    pruner: { disabled: false, schedule: "0 * * * *", keep: builds.keepRuns, resources: ["pipelinerun"] },
    platforms: { kubernetes: { pipelinesAsCode: { enable: false } } },
  };
}

/** The chart's pods and what the operator deploys for profile lite (module comment), for the capacity check. */
export function tektonWorkloads(v: TektonOperatorValues): Workload[] {
  const s = TEKTON_SIZING;
  const op = (name: string, containers: Workload["containers"]): Workload => ({ release: TEKTON_OPERATOR_RELEASE, name, kind: "Deployment", replicas: 1, containers });
  return [
    {
      release: TEKTON_OPERATOR_RELEASE,
      name: "tekton-operator",
      kind: "Deployment",
      replicas: v.operator.replicas,
      containers: [
        { name: "tekton-operator-lifecycle", resources: v.operator.resources },
        { name: "tekton-operator-cluster-operations", resources: v.operator.resources },
      ],
    },
    { release: TEKTON_OPERATOR_RELEASE, name: "tekton-operator-webhook", kind: "Deployment", replicas: v.webhook.replicas, containers: [{ name: "webhook", resources: v.webhook.resources }] },
    op("tekton-pipelines-controller", [{ name: "tekton-pipelines-controller", resources: s.pipelinesController }]),
    op("tekton-events-controller", [{ name: "tekton-events-controller", resources: s.eventsController }]),
    op("tekton-pipelines-webhook", [{ name: "webhook", resources: s.pipelinesWebhook }]),
    op("tekton-pipelines-remote-resolvers", [{ name: "controller", resources: s.remoteResolvers }]),
    op("tekton-operator-proxy-webhook", [{ name: "proxy", resources: s.proxyWebhook }]),
    { release: TEKTON_OPERATOR_RELEASE, name: "tekton-resource-pruner", kind: "Job", replicas: 1, containers: [{ name: "tkn-pruner", resources: SIZING.namespaceDefault }] },
  ];
}
