/**
 * The VerticalPodAutoscaler objects of the `vpa` opt-in (./values/vpa.ts): one per workload the
 * recommender should size, always `updateMode: "Off"` (recommend only: nothing evicts or resizes a
 * pod). Users read the result with
 * `kubectl get vpa -A` and `kubectl describe vpa <name> -n <namespace>` (status.recommendation:
 * target, lowerBound, upperBound per container).
 *
 * The platform's own targets are its top-level controllers whose object names the charts fix from
 * the release names (below, each with the template that names it); controllers that an operator
 * owns (Ceph's mons and OSDs, Kafka's StrimziPodSets, Prometheus's StatefulSet) are left out: a VPA
 * on an owned controller is resolved to its owner by the recommender, and those sizes are set in
 * the operators' custom resources (./sizing.ts), not by their pods' requests.
 */
import { NAMESPACES, NamespaceKey } from "./namespaces";
import { PlatformPlan } from "./plan";

export const VPA_API_VERSION = "autoscaling.k8s.io/v1";

export interface VpaTarget {
  namespace: string;
  kind: "Deployment" | "StatefulSet";
  name: string;
}

export interface VpaDoc {
  name: string;
  namespace: string;
  spec: {
    targetRef: { apiVersion: "apps/v1"; kind: VpaTarget["kind"]; name: string };
    updatePolicy: { updateMode: "Off" };
  };
}

/** The VerticalPodAutoscaler for one workload: named after it, in its namespace, recommending only. */
export function vpaFor(target: VpaTarget): VpaDoc {
  return {
    name: target.name,
    namespace: target.namespace,
    spec: { targetRef: { apiVersion: "apps/v1", kind: target.kind, name: target.name }, updatePolicy: { updateMode: "Off" } },
  };
}

const target = (ns: NamespaceKey, kind: VpaTarget["kind"], name: string): VpaTarget => ({ namespace: NAMESPACES[ns].name, kind, name });

/**
 * The platform's main controllers, by the names their charts give them: Traefik's Deployment is the
 * release's fullname (`traefik`); Rook's operator `rook-ceph-operator`; Strimzi's
 * `strimzi-cluster-operator`; redis-ha's `<release>-server`; Mosquitto's the release's fullname;
 * kube-prometheus-stack's operator and kube-state-metrics `<release>-operator` and
 * `<release>-kube-state-metrics`, Grafana `<release>-grafana`; cert-manager's three Deployments.
 */
export function platformVpaTargets(plan: Pick<PlatformPlan, "tls">): VpaTarget[] {
  return [
    target("traefik", "Deployment", "traefik"),
    target("rookCeph", "Deployment", "rook-ceph-operator"),
    target("kafka", "Deployment", "strimzi-cluster-operator"),
    target("redis", "StatefulSet", "redis-ha-server"),
    target("mosquitto", "StatefulSet", "mosquitto"),
    target("monitoring", "Deployment", "kube-prometheus-stack-operator"),
    target("monitoring", "Deployment", "kube-prometheus-stack-kube-state-metrics"),
    target("monitoring", "Deployment", "kube-prometheus-stack-grafana"),
    ...(plan.tls ? (["cert-manager", "cert-manager-webhook", "cert-manager-cainjector"] as const).map((n) => target("certManager", "Deployment", n)) : []),
  ];
}

/** The platform's VerticalPodAutoscalers: none with the opt-in off, or with `vpa.platform: false`. */
export function platformVpas(plan: Pick<PlatformPlan, "tls" | "settings">): VpaDoc[] {
  return plan.settings.vpa?.platform ? platformVpaTargets(plan).map(vpaFor) : [];
}
