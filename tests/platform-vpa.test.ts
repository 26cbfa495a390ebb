/**
 * The `vpa` opt-in (issue 20 item 5; docs/vpa.md): the VPA recommender alone, in recommendation
 * mode. Its config key, the chart values (no updater, no admission controller, PSA restricted), the
 * room it takes, its NetworkPolicies and PodMonitor, the VerticalPodAutoscalers (updateMode Off) of
 * the platform's controllers and of each app, the Platform and Apps components under mocks, and
 * docs/day-two.md's rows vpaOn, vpaOff and vpaPlatform with pulumi-kubernetes' replace rules.
 */
import * as pulumi from "@pulumi/pulumi";
import { Apps } from "../apps";
import { k3sClusterFacts } from "../cluster/facts";
import { parseApps } from "../config/apps";
import { parseVpa } from "../config/opt-ins/vpa";
import { parsePlatformSettings } from "../config/platform";
import { Collector, parseTopology } from "../config/validate";
import { dayTwo } from "../plan/day-two-model";
import { loadCrdManifest } from "../platform/chart-crds";
import { NAMESPACES } from "../platform/namespaces";
import { renderNetworkPolicies } from "../platform/network-policies";
import { planPlatform } from "../platform/plan";
import { renderPlatform } from "../platform/render";
import { platformServices } from "../platform/services";
import { VPA_METRICS_PORT, VPA_RECOMMENDER, VPA_RECOMMENDER_LABELS, vpaValues, vpaWorkloads } from "../platform/values/vpa";
import { platformVpaTargets } from "../platform/vpa-objects";
import { CHARTS } from "../versions";
import { randomOutputs } from "./helpers/machine-outputs";
import { problemsOf } from "./helpers/problems";
import { expectOnlyOwn, platformRun, runOf } from "./helpers/platform-runs";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { rawStack } from "./helpers/stacks";

const topology = parseTopology(rawStack("prod"), "prod");
const facts = k3sClusterFacts(topology);
const settingsOf = (raw: Record<string, unknown>) => parsePlatformSettings(raw, topology);
const render = (raw: Record<string, unknown>) => renderPlatform(planPlatform({ ...facts, settings: settingsOf(raw) }));

describe("the vpa key", () => {
  const parse = (raw: unknown) => {
    const c = new Collector();
    const v = parseVpa(c, raw);
    return { v, problems: c.problems };
  };
  it("absent: off; an object with platform true/false: on", () => {
    expect(parse(undefined)).toEqual({ v: undefined, problems: [] });
    expect(parse({ platform: true })).toEqual({ v: { platform: true }, problems: [] });
    expect(parse({ platform: "false" })).toEqual({ v: { platform: false }, problems: [] });
    expect(settingsOf({}).vpa).toBeUndefined();
    expect(settingsOf({ vpa: { platform: false } }).vpa).toEqual({ platform: false });
  });
  it("anything else is refused, naming the key", () => {
    expect(parse("on").problems).toEqual([expect.stringMatching(/^vpa: must be an object such as \{ platform: true \}/)]);
    expect(parse({}).problems).toEqual([expect.stringMatching(/^vpa\.platform: is required/)]);
    expect(parse({ platform: true, updateMode: "Auto" }).problems).toEqual([expect.stringMatching(/^vpa\.updateMode: is not a setting of the VPA/)]);
    expect(parse({ platform: "yes" }).problems).toEqual([expect.stringMatching(/^vpa\.platform: must be true or false/)]);
    expect(problemsOf(() => settingsOf({ vpa: [] }))).toEqual([expect.stringMatching(/^vpa: must be an object/)]);
  });
});

describe("the chart's values and the room", () => {
  it("only the recommender: no updater (evictions), no admission controller (webhook, certgen Job); one replica without a PDB (kured's drains)", () => {
    const v = vpaValues();
    expect(v.updater.enabled).toBe(false);
    expect(v.admissionController.enabled).toBe(false);
    expect(v.recommender).toMatchObject({ enabled: true, replicas: 1, podDisruptionBudget: { enabled: false } });
    expect(v.recommender.image).toEqual({ repository: "registry.k8s.io/autoscaling/vpa-recommender", tag: "1.7.1" });
    expect(v.fullnameOverride).toBe("vpa");
    expect(VPA_RECOMMENDER).toBe("vpa-recommender");
  });

  it("meets Pod Security `restricted` (its namespace's level): non-root, RuntimeDefault seccomp, no escalation, no capabilities", () => {
    const v = vpaValues();
    expect(NAMESPACES.vpa.enforce).toBe("restricted");
    expect(v.podSecurityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(v.containerSecurityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
  });

  it("renders only with the key on; its one Deployment is counted with requests and limits", () => {
    expect(render({}).values.vpa).toBeUndefined();
    expect(render({}).workloads.some((w) => w.release === "vpa")).toBe(false);
    const on = render({ vpa: { platform: true } });
    expect(on.values.vpa).toEqual(vpaValues());
    expect(on.workloads.filter((w) => w.release === "vpa")).toEqual(vpaWorkloads(vpaValues()));
    expect(vpaWorkloads(vpaValues())[0].containers[0].resources).toEqual({ requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "200m", memory: "512Mi" } });
  });

  it("its CRDs come from the chart's crds/ (the VPA and its checkpoints), applied by the program", () => {
    const m = loadCrdManifest("vpa");
    expect({ chart: m.chart, version: m.version }).toEqual({ chart: "vertical-pod-autoscaler", version: CHARTS.vpa.version });
    expect(m.crds.map((c) => c.metadata.name)).toEqual(["verticalpodautoscalercheckpoints.autoscaling.k8s.io", "verticalpodautoscalers.autoscaling.k8s.io"]);
  });
});

describe("policies, monitor and VerticalPodAutoscalers", () => {
  it("the vpa namespace: default deny, the API server, Prometheus's scrape of the metrics port; nothing without the key", () => {
    const plan = (raw: Record<string, unknown>) => planPlatform({ ...facts, settings: settingsOf(raw) });
    expect(renderNetworkPolicies(plan({})).filter((p) => p.namespace === "vpa")).toEqual([]);
    const docs = renderNetworkPolicies(plan({ vpa: { platform: true } })).filter((p) => p.namespace === "vpa");
    expect(docs.map((d) => d.name)).toEqual(["default-deny", "allow-api-server", "allow-from-monitoring"]);
    expect(JSON.stringify(docs.find((d) => d.name === "allow-from-monitoring")!.spec)).toContain(`"port":${VPA_METRICS_PORT}`);
  });

  it("a PodMonitor on the recommender's `prometheus` port (the chart has no Service for it)", () => {
    expect(render({}).podMonitors).toEqual([]);
    const [pm] = render({ vpa: { platform: true } }).podMonitors;
    expect(pm).toMatchObject({ name: "vpa-recommender", namespace: "vpa", spec: { selector: { matchLabels: VPA_RECOMMENDER_LABELS }, podMetricsEndpoints: [{ port: "prometheus" }] } });
  });

  it("the platform's controllers get a VerticalPodAutoscaler, updateMode Off, with vpa.platform true; none with false or off", () => {
    expect(render({}).vpas).toEqual([]);
    expect(render({ vpa: { platform: false } }).vpas).toEqual([]);
    const vpas = render({ vpa: { platform: true } }).vpas;
    expect(vpas.map((v) => `${v.namespace}/${v.spec.targetRef.kind}/${v.name}`)).toEqual([
      "traefik/Deployment/traefik",
      "rook-ceph/Deployment/rook-ceph-operator",
      "kafka/Deployment/strimzi-cluster-operator",
      "redis/StatefulSet/redis-ha-server",
      "mosquitto/StatefulSet/mosquitto",
      "monitoring/Deployment/kube-prometheus-stack-operator",
      "monitoring/Deployment/kube-prometheus-stack-kube-state-metrics",
      "monitoring/Deployment/kube-prometheus-stack-grafana",
      "cert-manager/Deployment/cert-manager",
      "cert-manager/Deployment/cert-manager-webhook",
      "cert-manager/Deployment/cert-manager-cainjector",
    ]);
    for (const v of vpas) expect(v.spec.updatePolicy).toEqual({ updateMode: "Off" });
    // Without TLS, no cert-manager.
    expect(platformVpaTargets({ tls: undefined }).some((t) => t.namespace === "cert-manager")).toBe(false);
  });
});

// ---- the components under mocks, and docs/day-two.md's rows ------------------------------------

const RELEASE = "kubernetes:helm.sh/v3:Release";
const VPA_TYPE = "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler";
let h: Harness;

const { apps } = parseApps(
  {
    appsRegistry: "registry.example.com/fmc",
    apps: [{ name: "web", image: "web:1.0", port: 8080, replicas: { min: 1, max: 2 }, resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } } }],
  },
  topology,
);

/** The Platform and the Apps as index.ts wires them, with `raw` stage 3 settings, under `name`. */
function stack(name: string, raw: Record<string, unknown>): void {
  const settings = settingsOf(raw);
  const { platform, provider } = platformRun(name, { ...facts, settings });
  new Apps(`${name}-apps`, {
    provider,
    settings: { registry: "registry.example.com/fmc", apps },
    services: platform.services,
    credentials: pulumi.output({ redisPassword: "r", redisSentinelPassword: "s", mqttUser: "mqtt", mqttPassword: "m" }),
    after: [platform],
  });
}

beforeAll(async () => {
  h = await startHarness({ stack: "prod", outputsFor: randomOutputs });
  stack("off", {});
  stack("on", { vpa: { platform: true } });
  stack("apponly", { vpa: { platform: false } });
  await h.settle();
}, 300_000);

const of = (prefix: string) => runOf(h, prefix);

describe("the components", () => {
  it("on: the release in the vpa namespace (restricted), its CRDs kept on delete, skipped by Helm", () => {
    const on = of("on");
    const release = on.find((r) => r.type === RELEASE && r.inputs.name === "vpa")!;
    expect(release.inputs).toMatchObject({ namespace: "vpa", skipCrds: true, atomic: true, chart: "vertical-pod-autoscaler", version: "0.11.0" });
    expect(release.inputs.values).toEqual(JSON.parse(JSON.stringify(vpaValues())));
    const crds = on.filter((r) => r.type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinitionPatch" && /autoscaling\.k8s\.io$/.test(r.name));
    expect(crds.map((c) => c.name).sort()).toEqual(["on-crd-verticalpodautoscalercheckpoints.autoscaling.k8s.io", "on-crd-verticalpodautoscalers.autoscaling.k8s.io"]);
    expect(crds.every((c) => c.retainOnDelete)).toBe(true);
    const urn = (n: string) => on.find((r) => r.name === n)!.urn;
    for (const c of crds) expect(release.dependencies).toContain(c.urn);
    expect(on.find((r) => r.name === "on-ns-vpa")!.inputs).toMatchObject({ metadata: { labels: { "pod-security.kubernetes.io/enforce": "restricted" } } });
    expect(on.find((r) => r.name === "on-vpa-recommender-pod-monitor")!.inputs).toMatchObject({ kind: "PodMonitor", metadata: { name: "vpa-recommender", namespace: "vpa" } });
    // The platform's VPAs wait for the release (its CRDs).
    const vpas = on.filter((r) => r.type === VPA_TYPE && !r.name.startsWith("on-apps"));
    expect(vpas.length).toBe(render({ vpa: { platform: true } }).vpas.length);
    for (const v of vpas) {
      expect(v.dependencies).toContain(urn(release.name));
      expect(v.inputs.spec).toMatchObject({ updatePolicy: { updateMode: "Off" } });
    }
  });

  it("each app Deployment gets a VerticalPodAutoscaler (updateMode Off) in the apps namespace, after its Deployment", () => {
    for (const prefix of ["on", "apponly"]) {
      const vpa = h.all().find((r) => r.name === `${prefix}-apps-web-vpa`)!;
      expect(vpa.type).toBe(VPA_TYPE);
      expect(vpa.inputs).toMatchObject({ metadata: { name: "web", namespace: "apps" }, spec: { targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, updatePolicy: { updateMode: "Off" } } });
      const deployment = h.all().find((r) => r.name === `${prefix}-apps-web` && r.type === "kubernetes:apps/v1:Deployment")!;
      expect(vpa.dependencies).toContain(deployment.urn);
    }
    // vpa.platform false: the apps' only.
    expect(of("apponly").filter((r) => r.type === VPA_TYPE).map((r) => r.name)).toEqual(["apponly-apps-web-vpa"]);
  });

  it("off: nothing of the VPA", () => {
    expect(of("off").filter((r) => /vpa|verticalpodautoscaler/i.test(r.name) || r.type === VPA_TYPE)).toEqual([]);
  });

  it("platformServices tells the apps stage whether the VPA is on", () => {
    const plan = (raw: Record<string, unknown>) => planPlatform({ ...facts, settings: settingsOf(raw) });
    expect(platformServices(plan({})).verticalPodAutoscaler).toBeUndefined();
    expect(platformServices(plan({ vpa: { platform: false } })).verticalPodAutoscaler).toBe(true);
  });
});

/** The day-two model from `before` to `after`; a password and its Secret share a name and are left out when alike. */
function changes(before: string, after: string) {
  const r = dayTwo(h.all(), h.all(), before, after);
  const names = (prefix: string) => of(prefix).map((x) => x.name.slice(prefix.length + 1));
  const shared = [...new Set(names(after))].filter((n) => names(after).filter((m) => m === n).length > 1);
  for (const n of shared) {
    const pick = (prefix: string) => h.all().filter((x) => x.name === `${prefix}-${n}`).map((x) => JSON.stringify([x.type, x.inputs])).sort();
    expect({ n, inputs: pick(after) }).toEqual({ n, inputs: pick(before) });
    for (const list of [r.updated, r.created, r.deleted, r.replaced]) if (list.includes(n)) list.splice(list.indexOf(n), 1);
  }
  return r;
}

const ours = /(^|-)vpa($|-)|autoscaling\.k8s\.io$/;

describe("docs/day-two.md row vpaOn", () => {
  it("turning it on only creates: its namespace, policies, CRDs, release, monitor and VPAs; nothing else changes", () => {
    const r = changes("off", "on");
    expectOnlyOwn(r, "created", ours);
    expect(r.created).toEqual(expect.arrayContaining(["ns-vpa", "vpa", "vpa-default-deny", "vpa-recommender-pod-monitor", "apps-web-vpa", "vpa-traefik-traefik"]));
  });
});

describe("docs/day-two.md row vpaOff", () => {
  it("turning it off only deletes its objects; its CRDs stay (retainOnDelete), and with them any VPA objects a user made", () => {
    const r = changes("on", "off");
    expectOnlyOwn(r, "deleted", ours);
    const crds = of("on").filter((x) => x.name.startsWith("on-crd-") && /autoscaling\.k8s\.io$/.test(x.name));
    expect(crds.every((c) => r.deleted.includes(c.name.slice(3)) && c.retainOnDelete)).toBe(true);
  });
});

describe("docs/day-two.md row vpaPlatform", () => {
  it("vpa.platform true -> false deletes only the platform's VPAs; the release, the apps' VPAs and the rest stay", () => {
    const r = changes("on", "apponly");
    expect({ replaced: r.replaced, created: r.created, updated: r.updated }).toEqual({ replaced: [], created: [], updated: [] });
    expect(r.deleted.sort()).toEqual(render({ vpa: { platform: true } }).vpas.map((v) => `vpa-${v.namespace}-${v.name}`).sort());
  });
});
