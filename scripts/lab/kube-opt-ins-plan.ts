/**
 * What lab:kube's opt-ins step does and checks (scripts/lab/kube-opt-ins.js; docs/lab.md, "Opt-ins"),
 * as pure functions from platform/opt-ins.ts OPT_INS, the one list of the opt-ins (their keys,
 * examples, what they need, their releases): the config it sets (secrets through the CLI's stdin,
 * never in a file or an argument), the steps a preview must have, the charts the mirror must serve
 * and what the apiserver must hold while they are on (tests/lab-kube-opt-ins.test.ts).
 */
import { hasCrds, loadCrdManifest } from "../../platform/chart-crds";
import { chartName } from "../../platform/chart-source";
import { ELASTICSEARCH_NAME, KIBANA_NAME } from "../../platform/values/logs-elk";
import { ARGOCD_API_VERSION, DEFAULT_PROJECT, GITOPS_PROJECT } from "../../platform/gitops";
import { RETENTION_JOB } from "../../platform/logs-retention";
import { NAMESPACES, planNamespaces } from "../../platform/namespaces";
import { OPT_INS, OptIn } from "../../platform/opt-ins";
import { RELEASES } from "../../platform/releases";
import { TEKTON_API_VERSION } from "../../platform/builds/pipeline";
import { TEKTON_CONFIG_NAME, TEKTON_OPERATOR_API_VERSION } from "../../platform/values/tekton";
import { REGISTRY_CLAIM } from "../../platform/values/zot";
import { VPA_API_VERSION } from "../../platform/vpa-objects";
import { CHARTS } from "../../versions";

/** The Platform component's name (index.ts): every platform resource's name starts with it. */
export const PLATFORM = "platform";

/** The namespaces the program makes for `o` (its example), and only for it: platform/namespaces.ts's plan with and without it. */
export function optInNamespaces(o: OptIn): string[] {
  const off = new Set(planNamespaces({ settings: {} }));
  return planNamespaces({ settings: { [o.key]: o.example } })
    .filter((k) => !off.has(k))
    .map((k) => NAMESPACES[k].name);
}

/** The Helm release names of `o` (storage Secrets `sh.helm.release.v1.<name>.v<n>`), with their namespaces. */
export function optInReleases(o: OptIn): { key: string; name: string; namespace: string }[] {
  return o.releases.map((r) => ({ key: r, name: RELEASES[r].name, namespace: NAMESPACES[RELEASES[r].namespace].name }));
}

/** The CRDs the program applies for `o`'s releases (platform/crds, `retainOnDelete`); charts whose CRDs are templates have none here. */
export function optInProgramCrds(o: OptIn): string[] {
  return o.releases.flatMap((r) => (hasCrds(r) ? loadCrdManifest(r).crds.map((c) => c.metadata.name) : []));
}

/**
 * The steps turning `optIns` on must have (`<Kind> <name>`, created), each opt-in's: its releases,
 * its namespaces, the CRDs the program applies for it. Other creates may come with them (policies,
 * Secrets, monitors, custom resources: whatever the program makes for the opt-in); no other op may.
 */
export function requiredSteps(optIns: readonly OptIn[] = OPT_INS): string[] {
  return optIns.flatMap((o) => [
    ...optInReleases(o).map((r) => `Release ${PLATFORM}-${r.name}`),
    ...optInNamespaces(o).map((n) => `Namespace ${PLATFORM}-ns-${n}`),
    ...optInProgramCrds(o).map((n) => `CustomResourceDefinitionPatch ${PLATFORM}-crd-${n}`),
  ]);
}

/**
 * Objects outside the opt-ins that may update in place when they go on or off, with the exact
 * changed paths: none on the lab's stack. docs/day-two.md names two (rows logsOn, registryOn):
 * cert-manager's release (its hostAliases, for FreeIPA's HTTP-01 self-check) and FreeIPA's records
 * command; both exist only on a VM stack with FreeIPA, and the lab's stack is an existing cluster
 * without tlsIssuer at this point. Every opt-in's Grafana dashboard and monitor is an object of its
 * own (created, not a shared list updated), its NetworkPolicies are in its own namespaces, and the
 * platform's policies name the opt-ins' namespaces nowhere (tests/platform-*-day-two tests).
 */
export const SHARED_UPDATES: Record<string, string[]> = {};

export interface PreviewStep {
  op: string;
  kind: string;
  name: string;
  changed: string[];
}

const id = (s: PreviewStep) => `${s.kind} ${s.name}`;

/**
 * Where an opt-ins preview differs from what docs/day-two.md's rows say, one line each. `on`: only
 * creates (with every required step) and the SHARED_UPDATES; `off`: only deletes, exactly of what
 * turning them on created (`created`, the on preview's `<Kind> <name>`s), and the SHARED_UPDATES.
 */
export function optInPreviewProblems(steps: readonly PreviewStep[], direction: "on" | "off", required: readonly string[], created: readonly string[] = []): string[] {
  const want = direction === "on" ? "create" : "delete";
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const s of steps) {
    if (s.op === want) {
      seen.add(id(s));
      if (direction === "off" && !created.includes(id(s))) problems.push(`deletes ${id(s)}, which turning them on did not create`);
      continue;
    }
    const paths = SHARED_UPDATES[id(s)];
    if (s.op === "update" && paths && JSON.stringify(s.changed) === JSON.stringify([...paths].sort())) continue;
    problems.push(`unexpected: ${s.op} ${id(s)}${s.changed.length ? ` [${s.changed.join(", ")}]` : ""}`);
  }
  for (const r of required) if (!seen.has(r)) problems.push(`missing: ${want} ${r}`);
  if (direction === "off") for (const c of created) if (!seen.has(c) && !required.includes(c)) problems.push(`missing: delete ${c} (turning them on created it)`);
  return problems;
}

/** The config the lab sets to turn `optIns` on, and removes to turn them off again. */
export interface OptInConfig {
  /** Plain keys (the stack file; objects as YAML): each opt-in's example, and what it needs that the stack lacks. */
  set: Record<string, unknown>;
  /** Secret keys it needs that the stack lacks: `pulumi config set --secret`, the value on stdin. */
  secrets: Record<string, string>;
  /** What turning them off removes: the opt-ins' keys and what `set`/`secrets` added, nothing the stack had. */
  remove: string[];
  secretRemove: string[];
}

/**
 * From OPT_INS: each opt-in's `example`, and its `needs` where the stack has no value yet (a value
 * the stack has satisfies the need: the lab's `appsRegistry` stays, overwriting it would move every
 * app's image). `config`: the stack's keys (no project prefix); `secretKeys`: the secret keys set.
 */
export function optInConfig(optIns: readonly OptIn[], config: Record<string, unknown>, secretKeys: readonly string[]): OptInConfig {
  const set: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  for (const o of optIns) {
    if (config[o.key] !== undefined) throw new Error(`${o.key}: already on in the lab's stack; the step turns it on itself`);
    set[o.key] = o.example;
    for (const [k, v] of Object.entries(o.needs?.config ?? {})) if (config[k] === undefined && set[k] === undefined) set[k] = v;
    for (const [k, v] of Object.entries(o.needs?.secrets ?? {})) if (!secretKeys.includes(k)) secrets[k] = v;
  }
  return { set, secrets, remove: Object.keys(set), secretRemove: Object.keys(secrets) };
}

/** The CLI commands for the secrets (`pulumi config set --secret <key>`, the value on stdin; `config rm`). */
export function secretCommands(c: OptInConfig, stack: string): { on: { args: string[]; input: string }[]; off: { args: string[] }[] } {
  return {
    on: Object.entries(c.secrets).map(([k, v]) => ({ args: ["config", "set", "--secret", k, "--stack", stack], input: v })),
    off: c.secretRemove.map((k) => ({ args: ["config", "rm", k, "--stack", stack] })),
  };
}

/** The opt-ins' charts the mirror's index.yaml (`entries`) lacks at their pinned versions: `<chart> <version>` each. */
export function chartsMissing(optIns: readonly OptIn[], entries: Record<string, { version: string }[]>): string[] {
  return optIns.flatMap((o) => o.releases).filter((r) => !(entries[chartName(r)] ?? []).some((e) => e.version === CHARTS[r].version)).map((r) => `${chartName(r)} ${CHARTS[r].version}`);
}

/** A list the apiserver must answer with at least `min` items (exactly `exact`), while the opt-in is on. */
export interface ObjectCheck {
  what: string;
  path: string;
  min?: number;
  exact?: number;
  /** Each listed item must pass (e.g. a claim Bound, a Job complete); returns why not. */
  each?: (item: { metadata: { name: string }; spec?: Record<string, unknown>; status?: Record<string, unknown> }) => string | undefined;
}

export interface InCluster {
  /** Groups of the CRDs the opt-in brings (the program's or the chart's templates); kept when it goes. */
  crdGroups: string[];
  objects: ObjectCheck[];
}

const conditionTrue = (type: string) => (item: { metadata: { name: string }; status?: Record<string, unknown> }) =>
  ((item.status?.conditions as { type: string; status: string }[] | undefined) ?? []).some((c) => c.type === type && c.status === "True") ? undefined : `${item.metadata.name} is not ${type}`;

/**
 * What the apiserver must hold for each opt-in while it is on (its custom resources and the objects
 * it exists for), from the program's own names; `appDeployments`: the apps' Deployments (each gets a
 * VerticalPodAutoscaler with vpa). Throws for an opt-in it has no checks for, so a new entry in
 * OPT_INS cannot pass the lab unchecked.
 */
export function inClusterChecks(optIns: readonly OptIn[], appDeployments: number): Record<string, InCluster> {
  const ns = (k: keyof typeof NAMESPACES) => NAMESPACES[k].name;
  const all: Record<string, InCluster> = {
    logs: {
      crdGroups: ["elasticsearch.k8s.elastic.co", "kibana.k8s.elastic.co"],
      objects: [
        { what: `Elasticsearch ${ELASTICSEARCH_NAME}`, path: `/apis/elasticsearch.k8s.elastic.co/v1/namespaces/${ns("logging")}/elasticsearches`, exact: 1 },
        { what: `Kibana ${KIBANA_NAME}`, path: `/apis/kibana.k8s.elastic.co/v1/namespaces/${ns("logging")}/kibanas`, exact: 1 },
        { what: `Job ${RETENTION_JOB} complete`, path: `/apis/batch/v1/namespaces/${ns("logging")}/jobs`, exact: 1, each: conditionTrue("Complete") },
        { what: "Fluent Bit's DaemonSet", path: `/apis/apps/v1/namespaces/${ns("logging")}/daemonsets`, exact: 1 },
      ],
    },
    gitops: {
      crdGroups: ["argoproj.io"],
      objects: [
        // The program's project, and Argo CD's `default` as the program's AppProjectPatch locked it
        // (platform/gitops.ts lockedDefaultProjectSpec): nothing may be synced under it.
        {
          what: `AppProjects ${GITOPS_PROJECT} and ${DEFAULT_PROJECT} (locked)`,
          path: `/apis/${ARGOCD_API_VERSION}/namespaces/${ns("argocd")}/appprojects`,
          exact: 2,
          each: (p) => {
            if (p.metadata.name === GITOPS_PROJECT) return undefined;
            if (p.metadata.name !== DEFAULT_PROJECT) return `unexpected AppProject ${p.metadata.name}`;
            const open = ["sourceRepos", "sourceNamespaces", "destinations", "clusterResourceWhitelist"].filter((k) => ((p.spec?.[k] as unknown[] | undefined) ?? []).length > 0);
            return open.length > 0 ? `${DEFAULT_PROJECT} still allows ${open.join(", ")}` : undefined;
          },
        },
        {
          what: "an Application per gitops.applications entry",
          path: `/apis/${ARGOCD_API_VERSION}/namespaces/${ns("argocd")}/applications`,
          exact: ((OPT_INS.find((o) => o.key === "gitops")?.example.applications as unknown[]) ?? []).length,
        },
      ],
    },
    registry: {
      crdGroups: [],
      objects: [
        {
          what: `claim ${REGISTRY_CLAIM} Bound`,
          path: `/api/v1/namespaces/${ns("registry")}/persistentvolumeclaims`,
          exact: 1,
          each: (c) => (c.status?.phase === "Bound" ? undefined : `${c.metadata.name} is ${String(c.status?.phase)}`),
        },
        { what: "zot's StatefulSet", path: `/apis/apps/v1/namespaces/${ns("registry")}/statefulsets`, exact: 1 },
      ],
    },
    builds: {
      crdGroups: ["operator.tekton.dev"],
      objects: [
        { what: `TektonConfig ${TEKTON_CONFIG_NAME} Ready (STAND-IN)`, path: `/apis/${TEKTON_OPERATOR_API_VERSION}/tektonconfigs`, exact: 1, each: conditionTrue("Ready") },
        { what: "the build Task", path: `/apis/${TEKTON_API_VERSION}/namespaces/${ns("builds")}/tasks`, exact: 1 },
        { what: "the build Pipeline", path: `/apis/${TEKTON_API_VERSION}/namespaces/${ns("builds")}/pipelines`, exact: 1 },
      ],
    },
    vpa: {
      crdGroups: ["autoscaling.k8s.io"],
      objects: [
        { what: "a VerticalPodAutoscaler per app Deployment", path: `/apis/${VPA_API_VERSION}/namespaces/apps/verticalpodautoscalers`, exact: appDeployments },
        { what: "VerticalPodAutoscalers in all (the platform's controllers too)", path: `/apis/${VPA_API_VERSION}/verticalpodautoscalers`, min: appDeployments + 1 },
      ],
    },
  };
  const missing = optIns.filter((o) => !all[o.key]).map((o) => o.key);
  if (missing.length > 0) throw new Error(`lab:kube checks nothing in the apiserver for opt-in ${missing.join(", ")}: add it to inClusterChecks`);
  return Object.fromEntries(optIns.map((o) => [o.key, all[o.key]]));
}
