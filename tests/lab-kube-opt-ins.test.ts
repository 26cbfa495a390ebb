/**
 * lab:kube's opt-ins step (scripts/lab/kube-opt-ins.js; docs/lab.md, "Opt-ins"), its pure parts: the
 * config it sets from OPT_INS (secrets only on the CLI's stdin), the steps its previews are held to,
 * the charts the mirror must serve, what it checks in the apiserver, the capacity check's refusal
 * it expects and the room it adds (KWOK nodes like a second host's agents, in existingNodes).
 */
import * as path from "path";
import { secondHostRoom } from "../cluster/second-host";
import { parseTopology } from "../config/validate";
import { readStackFile } from "../plan/stack-config";
import { OPT_INS } from "../platform/opt-ins";
import { RELEASES } from "../platform/releases";
import { lockedDefaultProjectSpec } from "../platform/gitops";
import { CHARTS } from "../versions";
import { chartName } from "../platform/chart-source";
import { labStackConfig } from "../scripts/lab/kube-nodes";
import { capacityRefusal, nextAddresses, roomForOptIns, roomPolicyUpdates, secondHostAgents, withOptIns, ROOM_NODE_PREFIX } from "../scripts/lab/kube-room";
import {
  chartsMissing,
  inClusterChecks,
  optInConfig,
  optInNamespaces,
  optInPreviewProblems,
  optInProgramCrds,
  PreviewStep,
  requiredSteps,
  secretCommands,
  SHARED_UPDATES,
} from "../scripts/lab/kube-opt-ins-plan";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { labBackups, LAB_BACKUP_SECRETS } = require("../scripts/lab/kube-backups");

const ROOT = path.join(__dirname, "..");
const topology = parseTopology(readStackFile(ROOT, "prod").config, "prod");

/** The lab's stack config as kube-pulumi.js makes it (prod's stages 3-4 on its KWOK nodes, the backup target). */
function labConfig(): { raw: Record<string, unknown>; secretKeys: string[] } {
  const { config } = labStackConfig(ROOT, "prod");
  config.appsRegistry = "registry.lab.invalid/flatcarmicrocloud";
  labBackups(config);
  return { raw: config, secretKeys: ["kubeconfig", ...Object.keys(LAB_BACKUP_SECRETS)] };
}

const step = (op: string, kind: string, name: string, changed: string[] = []): PreviewStep => ({ op, kind, name, changed });

describe("the steps an opt-ins preview is held to, from OPT_INS", () => {
  const required = requiredSteps();

  it("requires each opt-in's releases, namespaces and the CRDs the program applies for it", () => {
    for (const o of OPT_INS) {
      for (const r of o.releases) expect(required).toContain(`Release platform-${RELEASES[r].name}`);
      expect(optInNamespaces(o).length).toBeGreaterThan(0);
      for (const n of optInNamespaces(o)) expect(required).toContain(`Namespace platform-ns-${n}`);
    }
    // The operator installs Tekton Pipelines into tekton-pipelines; the builds run in builds.
    expect(optInNamespaces(OPT_INS.find((o) => o.key === "builds")!)).toEqual(["tekton-operator", "tekton-pipelines", "builds"]);
    expect(optInProgramCrds(OPT_INS.find((o) => o.key === "vpa")!).sort()).toEqual(["verticalpodautoscalercheckpoints.autoscaling.k8s.io", "verticalpodautoscalers.autoscaling.k8s.io"]);
    expect(required).toContain("CustomResourceDefinitionPatch platform-crd-tektonconfigs.operator.tekton.dev");
    // ECK's and Argo CD's CRDs are chart templates: Helm's, not the program's.
    expect(optInProgramCrds(OPT_INS.find((o) => o.key === "logs")!)).toEqual([]);
    expect(new Set(required).size).toBe(required.length);
  });

  it("on: only creates, every required one among them; an update, replace or delete of anything fails", () => {
    const creates = [...required.map((r) => step("create", r.split(" ")[0], r.split(" ")[1])), step("create", "NetworkPolicy", "platform-argocd-default-deny")];
    expect(optInPreviewProblems(creates, "on", required)).toEqual([]);
    expect(optInPreviewProblems([...creates, step("update", "Release", "platform-traefik", ["values"])], "on", required)).toEqual(["unexpected: update Release platform-traefik [values]"]);
    expect(optInPreviewProblems([...creates, step("replace", "Secret", "platform-grafana-admin")], "on", required)).toEqual(["unexpected: replace Secret platform-grafana-admin"]);
    expect(optInPreviewProblems(creates.slice(1), "on", required)).toEqual([`missing: create ${required[0]}`]);
    // No shared object may update on the lab's stack (an existing cluster without tlsIssuer).
    expect(SHARED_UPDATES).toEqual({});
  });

  it("off: only deletes, exactly of what turning them on created", () => {
    const created = [...required, "NetworkPolicy platform-argocd-default-deny"];
    const deletes = created.map((c) => step("delete", c.split(" ")[0], c.split(" ")[1]));
    expect(optInPreviewProblems(deletes, "off", required, created)).toEqual([]);
    expect(optInPreviewProblems([...deletes, step("delete", "Deployment", "apps-api")], "off", required, created)).toEqual(["deletes Deployment apps-api, which turning them on did not create"]);
    expect(optInPreviewProblems(deletes.slice(0, -1), "off", required, created)).toEqual(["missing: delete NetworkPolicy platform-argocd-default-deny (turning them on created it)"]);
    expect(optInPreviewProblems([...deletes, step("create", "Namespace", "platform-ns-argocd")], "off", required, created)).toEqual(["unexpected: create Namespace platform-ns-argocd"]);
  });
});

describe("the config the step sets", () => {
  it("each opt-in's example, what it needs only where the stack has no value, the secrets apart", () => {
    const { raw, secretKeys } = labConfig();
    const c = optInConfig(OPT_INS, raw, secretKeys);
    for (const o of OPT_INS) expect(c.set[o.key]).toEqual(o.example);
    // The lab's appsRegistry satisfies builds' need: overwriting it would move every app's image.
    expect(c.set.appsRegistry).toBeUndefined();
    expect(optInConfig(OPT_INS, { ...raw, appsRegistry: undefined }, secretKeys).set.appsRegistry).toBe("registry.example.com/fmc");
    expect(c.secrets).toEqual({ buildsPushPassword: OPT_INS.find((o) => o.key === "builds")!.needs!.secrets!.buildsPushPassword });
    expect(optInConfig(OPT_INS, raw, [...secretKeys, "buildsPushPassword"]).secrets).toEqual({});
    expect(c.remove.sort()).toEqual(OPT_INS.map((o) => o.key).sort());
    expect(c.secretRemove).toEqual(["buildsPushPassword"]);
    expect(() => optInConfig(OPT_INS, { ...raw, vpa: { platform: false } }, secretKeys)).toThrow(/^vpa: already on/);
  });

  it("a secret goes to `pulumi config set --secret` on stdin: never in an argument, never in the stack file", () => {
    const { raw, secretKeys } = labConfig();
    const c = optInConfig(OPT_INS, raw, secretKeys);
    const cmds = secretCommands(c, "kube");
    expect(cmds.on).toEqual([{ args: ["config", "set", "--secret", "buildsPushPassword", "--stack", "kube"], input: c.secrets.buildsPushPassword }]);
    expect(cmds.off).toEqual([{ args: ["config", "rm", "buildsPushPassword", "--stack", "kube"] }]);
    const plain = JSON.stringify(c.set) + JSON.stringify(cmds.on.map((x) => x.args));
    for (const v of Object.values(c.secrets)) expect(plain).not.toContain(v);
  });
});

describe("the chart mirror and the apiserver", () => {
  it("names an opt-in chart the mirror's index lacks at its pin", () => {
    const full = Object.fromEntries(OPT_INS.flatMap((o) => o.releases).map((r) => [chartName(r), [{ version: "0.0.1" }, { version: CHARTS[r].version }]]));
    expect(chartsMissing(OPT_INS, full)).toEqual([]);
    expect(chartsMissing(OPT_INS, { ...full, zot: [{ version: "0.0.1" }] })).toEqual([`zot ${CHARTS.zot.version}`]);
    expect(chartsMissing(OPT_INS, { ...full, "tekton-operator": [] })).toEqual([`tekton-operator ${CHARTS.tektonOperator.version}`]);
  });

  it("checks something in the apiserver for every opt-in, and refuses an opt-in it has no check for", () => {
    const checks = inClusterChecks(OPT_INS, 3);
    for (const o of OPT_INS) expect(checks[o.key].objects.length).toBeGreaterThan(0);
    expect(checks.gitops.objects.find((x) => x.what.startsWith("an Application"))!.exact).toBe(1);
    expect(checks.vpa.objects[0].exact).toBe(3);
    // Argo CD's default project is there beside the program's, and must be the locked one.
    const projects = checks.gitops.objects.find((x) => x.what.startsWith("AppProjects"))!;
    expect(projects.exact).toBe(2);
    expect(projects.each!({ metadata: { name: "gitops" }, spec: { sourceRepos: ["https://git.example.com/x.git"] } })).toBeUndefined();
    expect(projects.each!({ metadata: { name: "default" }, spec: lockedDefaultProjectSpec() as unknown as Record<string, unknown> })).toBeUndefined();
    expect(projects.each!({ metadata: { name: "default" }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } })).toBe("default still allows sourceRepos, destinations");
    expect(projects.each!({ metadata: { name: "other" } })).toBe("unexpected AppProject other");
    const job = checks.logs.objects.find((x) => x.what.includes("complete"))!;
    expect(job.each!({ metadata: { name: "logs-retention" }, status: { conditions: [{ type: "Complete", status: "True" }] } })).toBeUndefined();
    expect(job.each!({ metadata: { name: "logs-retention" }, status: {} })).toBe("logs-retention is not Complete");
    expect(() => inClusterChecks([...OPT_INS, { ...OPT_INS[0], key: "nextOne" as never }], 3)).toThrow(/opt-in nextOne: add it to inClusterChecks/);
  });
});

describe("room for the opt-ins on the lab's stack (prod's nodes as an existing cluster)", () => {
  const { raw, secretKeys } = labConfig();
  const withSecrets = [...secretKeys, "buildsPushPassword"];

  it("the program's check refuses logs (ELK) beside the apps, naming it, the backups and existingNodes; the stack without opt-ins fits", () => {
    expect(capacityRefusal(raw, secretKeys)).toEqual([]);
    const refusal = capacityRefusal(withOptIns(raw, ["logs"]), secretKeys);
    expect(refusal).toHaveLength(1);
    expect(refusal[0]).toMatch(
      /^logs, backupS3Endpoint: the opt-ins that are on do not fit next to the platform and the apps at replicas\.max, and the stack fits without them \(requests: logs \d+m CPU, \d+ MiB; the volume backups \(backupS3Endpoint\) \d+m CPU, \d+ MiB\): memory requests \d+ MiB exceed .*; or add nodes to the cluster and list them in existingNodes$/,
    );
  });

  it("adds the fewest agents of a second host like prod's first with which every opt-in fits", () => {
    const room = roomForOptIns(raw, secretKeys, topology, "v1.36.5");
    const more = secondHostRoom(topology) as { nodes: { allocatable: unknown }[] };
    const nodes = raw.existingNodes as Record<string, unknown>[];
    const fits = (n: number) => capacityRefusal({ ...withOptIns(raw), existingNodes: [...nodes, ...secondHostAgents(topology, n, nodes.map((x) => String(x.address)), "v", true).existingNodes] }, withSecrets).length === 0;
    expect(room.count).toBeGreaterThanOrEqual(1);
    expect(fits(room.count)).toBe(true);
    if (room.count > 1) expect(fits(room.count - 1)).toBe(false);
    expect(capacityRefusal(withOptIns(raw), withSecrets)).not.toEqual([]);
    // Sized as the capacity model sizes the second host's agents; after prod's addresses; no taint, no disk.
    expect(room.nodes.map((n) => n.metadata.name)).toEqual(Array.from({ length: room.count }, (_, i) => `${ROOM_NODE_PREFIX}${i + 1}`));
    for (const e of room.existingNodes) {
      const a = more.nodes[0].allocatable as { cpuMilli: number; memoryMiB: number };
      expect(e).toEqual({ name: e.name, role: "agent", address: e.address, allocatable: { cpu: `${a.cpuMilli}m`, memory: `${a.memoryMiB}Mi` }, os: "flatcar" });
    }
    expect(room.nodes[0].status.allocatable.memory).toBe((room.existingNodes[0].allocatable as { memory: string }).memory);
    expect(room.nodes[0].spec).toEqual({});
    expect(room.description).toMatch(/^\d of the \d K3s agents a second host like .* would hold, like worker\d \(\d vCPU, \d+ MiB\)$/);
  });

  it("adding nodes updates exactly the NetworkPolicies that list the nodes' addresses", () => {
    const room = roomForOptIns(raw, secretKeys, topology, "v1.36.5");
    expect(roomPolicyUpdates(raw, room.existingNodes)).toEqual(["update NetworkPolicy platform-monitoring-allow-scrape-nodes", "update NetworkPolicy platform-rook-ceph-allow-to-nodes"]);
    expect(roomPolicyUpdates(raw, [])).toEqual([]);
  });

  it("continues the cluster network's addresses", () => {
    expect(nextAddresses(["10.17.4.21", "10.17.4.26", "10.17.4.9"], 2)).toEqual(["10.17.4.27", "10.17.4.28"]);
    expect(() => nextAddresses(["10.0.0.250"], 5)).toThrow(/no room for 5/);
  });
});

describe("STAND-IN: the Tekton operator (kube-opt-ins.js tektonStandIn)", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { tektonStandIn, pipelineCrds } = require("../scripts/lab/kube-opt-ins");
  const configs = "/apis/operator.tekton.dev/v1alpha1/tektonconfigs";

  /** An apiserver in memory: one TektonConfig, the CRDs it is given (Established at once), the writes it saw. */
  function fakeKube(refuseStatus = false) {
    const crds = new Map<string, Record<string, unknown>>();
    const writes: string[] = [];
    let items: Record<string, unknown>[] = [{ metadata: { name: "config" } }];
    const request = async (method: string, p: string, body?: Record<string, unknown>) => {
      await Promise.resolve();
      writes.push(`${method} ${p}`);
      if (method === "GET" && p === configs) return { status: 200, json: { items } };
      if (method === "POST") {
        const name = (body!.metadata as { name: string }).name;
        crds.set(name, { ...body, status: { conditions: [{ type: "Established", status: "True" }] } });
        return { status: 201, json: body };
      }
      if (method === "GET") {
        const c = crds.get(p.split("/").pop()!);
        return c ? { status: 200, json: c } : { status: 404, text: "" };
      }
      if (method === "PATCH") {
        if (refuseStatus) return { status: 422, json: { message: "status.conditions: Invalid value" }, text: "" };
        items = [{ metadata: { name: "config" }, status: body!.status }];
        return { status: 200, json: items[0] };
      }
      return { status: 405, text: "" };
    };
    return { kube: { request, del: (p: string) => (crds.delete(p.split("/").pop()!), writes.push(`DELETE ${p}`), Promise.resolve({ status: 200 })) }, crds, writes, items: () => items, clear: () => (items = []) };
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const crds = pipelineCrds(path.join(__dirname, ".."), CHARTS.tektonOperator.pipelinesVersion);

  it("applies Tekton Pipelines' CRDs (labelled), then sets Ready with reason LabStandIn; removes the CRDs when the TektonConfig goes", async () => {
    const f = fakeKube();
    const s = tektonStandIn(f.kube, { crds, configs });
    await sleep(1500);
    expect([...s.ready]).toEqual(["config"]);
    expect([...f.crds.keys()].sort()).toEqual(["pipelineruns.tekton.dev", "pipelines.tekton.dev", "tasks.tekton.dev"]);
    for (const c of f.crds.values()) expect((c.metadata as { annotations: Record<string, string> }).annotations["fmc-lab/stand-in"]).toMatch(/in place of the Tekton operator/);
    const ready = ((f.items()[0].status as { conditions: Record<string, string>[] }).conditions)[0];
    expect(ready).toMatchObject({ type: "Ready", status: "True", reason: "LabStandIn" });
    f.clear();
    await sleep(1500);
    s.stop();
    expect(f.crds.size).toBe(0);
    expect([...s.removed].sort()).toEqual(["pipelineruns.tekton.dev", "pipelines.tekton.dev", "tasks.tekton.dev"]);
    expect([...s.errors]).toEqual([]);
  });

  it("retries what the apiserver asks to retry (429 while its storage for a new CRD initializes), reports nothing for it", async () => {
    const f = fakeKube();
    let busy = 2;
    const request = f.kube.request;
    const kube = { ...f.kube, request: (m: string, p: string, b?: Record<string, unknown>) => (m === "GET" && p === configs && busy-- > 0 ? Promise.resolve({ status: 429, json: { message: "storage is (re)initializing" }, text: "" }) : request(m, p, b)) };
    const s = tektonStandIn(kube, { crds, configs });
    await sleep(3500);
    s.stop();
    expect([...s.errors]).toEqual([]);
    expect([...s.ready]).toEqual(["config"]);
  });

  it("reports what the apiserver refused, never marks it Ready", async () => {
    const f = fakeKube(true);
    const s = tektonStandIn(f.kube, { crds, configs });
    await sleep(1500);
    s.stop();
    expect(s.ready.size).toBe(0);
    expect([...s.errors]).toEqual([`PATCH TektonConfig config/status: 422 status.conditions: Invalid value`]);
  });
});
