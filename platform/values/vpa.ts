/**
 * The Vertical Pod Autoscaler (kubernetes/autoscaler chart vertical-pod-autoscaler 0.11.0, VPA
 * 1.7.1), opt-in `vpa` (config/opt-ins/vpa.ts), in recommendation mode only:
 * - the recommender alone: it reads the pods' usage from metrics.k8s.io (K3s's metrics-server) and
 *   writes a recommendation into each VerticalPodAutoscaler's status;
 * - no updater (it would evict pods to apply recommendations) and no admission controller (its
 *   mutating webhook rewrites pods' requests at creation, and needs a certgen Job or cert-manager):
 *   the requests the capacity check counts stay what the stack config says;
 * - every VerticalPodAutoscaler the program creates has `updateMode: "Off"` (./../vpa-objects.ts).
 * One replica, no PodDisruptionBudget: the chart's `minAvailable: 1` over one pod would block every
 * drain (kured's reboots); a recommender that is away for a reboot only delays recommendations (its
 * state is checkpointed in VerticalPodAutoscalerCheckpoint objects).
 * The CRDs come from the chart's crds/ and are applied by the program (../chart-crds.ts).
 */
import { CHARTS } from "../../versions";
import { Workload } from "../capacity";
import { Resources } from "../resources";
import { SIZING } from "../sizing";

export const VPA_RELEASE = "vpa";
/** `fullnameOverride`: the recommender Deployment is `vpa-recommender` (templates/_helpers.tpl). */
export const VPA_FULLNAME = "vpa";
export const VPA_RECOMMENDER = `${VPA_FULLNAME}-recommender`;
/** The recommender's metrics port (the container port named `prometheus` in the chart's Deployment). */
export const VPA_METRICS_PORT = 8942;
/** The recommender pods' labels (the chart's selector labels; nameOverride unset: the chart's name). */
export const VPA_RECOMMENDER_LABELS = { "app.kubernetes.io/name": "vertical-pod-autoscaler", "app.kubernetes.io/instance": VPA_RELEASE, "app.kubernetes.io/component": "recommender" } as const;

export interface VpaValues {
  fullnameOverride: string;
  podSecurityContext: { runAsNonRoot: true; runAsUser: number; runAsGroup: number; seccompProfile: { type: "RuntimeDefault" } };
  containerSecurityContext: { allowPrivilegeEscalation: false; readOnlyRootFilesystem: true; capabilities: { drop: ["ALL"] } };
  admissionController: { enabled: false };
  updater: { enabled: false };
  recommender: {
    enabled: true;
    image: { repository: string; tag: string };
    replicas: number;
    resources: Resources;
    podDisruptionBudget: { enabled: false };
    extraArgs: string[];
  };
}

export function vpaValues(): VpaValues {
  const { vpa } = CHARTS;
  return {
    fullnameOverride: VPA_FULLNAME,
    // PSA `restricted` (../namespaces.ts): the chart sets only runAsNonRoot/runAsUser by default.
    podSecurityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
    containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
    admissionController: { enabled: false },
    updater: { enabled: false },
    recommender: {
      enabled: true,
      image: { repository: vpa.image.repository, tag: vpa.image.tag },
      replicas: 1,
      resources: SIZING.vpaRecommender,
      podDisruptionBudget: { enabled: false },
      // The chart logs at --v=4 (every recommendation loop in detail); errors and warnings suffice.
      extraArgs: ["--v=2"],
    },
  };
}

export function vpaWorkloads(v: VpaValues): Workload[] {
  return [{ release: VPA_RELEASE, name: VPA_RECOMMENDER, kind: "Deployment", replicas: v.recommender.replicas, containers: [{ name: "recommender", resources: v.recommender.resources }] }];
}
