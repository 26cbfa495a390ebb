/**
 * lab:kube's opt-ins step (issue 20 item 6; docs/lab.md, "Opt-ins"): every opt-in of
 * platform/opt-ins.ts OPT_INS goes through the real apiserver and the real Helm (its charts from the
 * lab's chart mirror) on the lab's stack, after the base platform is up:
 *
 * 1. the program's capacity check refuses `logs` (ELK) on prod's nodes beside the apps, with its
 *    exact message, before anything is created;
 * 2. room, as the check's message says for an existing cluster: KWOK nodes sized as the agents a
 *    second host like prod's first would hold (kube-room.ts), listed in `existingNodes`; the preview
 *    is exactly the NetworkPolicies that list the nodes' addresses, updated in place;
 * 3. every opt-in on at once with its OPT_INS example and needs (the secret ones with `pulumi config
 *    set --secret`, the value on stdin): the preview only creates (each opt-in's releases, namespaces
 *    and the CRDs the program applies among them), `up`, then a no-op `up`;
 * 4. the apiserver holds their namespaces, CRDs, custom resources and Helm releases; the secret the
 *    lab gave is in the state only as ciphertext;
 * 5. every opt-in off: the preview only deletes, exactly what 3 created; `up`, a no-op `up`; their
 *    namespaces and releases gone, their CRDs kept.
 *
 * STAND-IN (docs/lab.md): the Tekton operator, which cannot run under kwok. The program awaits the
 * TektonConfig's Ready (the operator has then installed Tekton Pipelines, whose CRDs the build Task
 * and Pipeline need): `tektonStandIn` applies Tekton Pipelines' CRDs of the pinned release
 * (tests/fixtures/tekton, scripts/derive-tekton-crds.js), annotated `fmc-lab/stand-in`, then sets
 * Ready (reason LabStandIn) on a TektonConfig the apiserver accepted; it removes those CRDs when the
 * TektonConfig goes, as the operator's finalizer removes Tekton Pipelines. A refused write fails the
 * step. Nothing else is stood in: the program waits for no other operator's status (ECK's
 * Elasticsearch and Kibana, Argo CD's Applications are only created; the retention Job completes by
 * kwok's pod stage).
 */
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const { waitFor } = require("./kube-control-plane");
const { tail } = require("./common");
const { previewProblems } = require("./kube-checks");

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const STAND_IN = "fmc-lab/stand-in";
const TEKTON_BY = "the lab in place of the Tekton operator, which does not run here";
const isTrue = (o, type) => ((o.status || {}).conditions || []).some((c) => c.type === type && c.status === "True");
const oneLine = (s) => String(s).replace(/\s+/g, " ").trim();

// ---- STAND-IN: the Tekton operator ----------------------------------------------------------------

/**
 * Runs every second until `stop()`: for each TektonConfig not being deleted and not Ready, applies
 * `crds` (Tekton Pipelines', labelled) and, once the apiserver has established them, sets Ready.
 * With no TektonConfig left it deletes the CRDs it applied. `errors`: what the apiserver refused.
 */
function tektonStandIn(kube, { crds, configs }) {
  const ready = new Set();
  const applied = new Set();
  const removed = new Set();
  const errors = new Set();
  let stopped = false;
  // A refusal is a finding; 429 and 5xx ("storage is (re)initializing" just after a CRD is established) are retried.
  const retry = (r) => r.status === 429 || r.status >= 500;
  const refused = (what, r) => {
    if (!retry(r)) errors.add(`${what}: ${r.status} ${(r.json && r.json.message) || r.text.slice(0, 300)}`);
  };
  const round = async () => {
    const list = await kube.request("GET", configs);
    // 404: the operator's CRDs are not there yet; 429/5xx: next round.
    if (list.status === 404 || retry(list)) return;
    if (list.status >= 300) return refused(`GET ${configs}`, list);
    const live = list.json.items.filter((c) => !c.metadata.deletionTimestamp);
    if (live.length === 0) {
      for (const name of [...applied]) {
        const d = await kube.del(`${CRDS}/${name}`);
        if (d.status < 300 || d.status === 404) {
          applied.delete(name);
          removed.add(name);
        } else refused(`DELETE CRD ${name}`, d);
      }
      return;
    }
    for (const c of live.filter((x) => !isTrue(x, "Ready"))) {
      for (const crd of crds.filter((x) => !applied.has(x.metadata.name))) {
        const body = { ...crd, metadata: { ...crd.metadata, annotations: { ...(crd.metadata.annotations || {}), [STAND_IN]: `applied by ${TEKTON_BY}` } } };
        const r = await kube.request("POST", CRDS, body);
        if (r.status < 300 || r.status === 409) applied.add(crd.metadata.name);
        else refused(`POST CRD ${crd.metadata.name}`, r);
      }
      let established = true;
      for (const crd of crds) {
        const g = await kube.request("GET", `${CRDS}/${crd.metadata.name}`);
        established = established && g.status === 200 && !!g.json && isTrue(g.json, "Established");
      }
      if (!established) continue;
      const condition = { type: "Ready", status: "True", reason: "LabStandIn", message: `set by ${TEKTON_BY}; Tekton Pipelines' CRDs applied from tests/fixtures/tekton`, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
      const p = await kube.request("PATCH", `${configs}/${c.metadata.name}/status`, { status: { conditions: [condition] } }, "application/merge-patch+json");
      if (p.status >= 300) refused(`PATCH TektonConfig ${c.metadata.name}/status`, p);
      else ready.add(c.metadata.name);
    }
  };
  const loop = async () => {
    while (!stopped) {
      try {
        await round();
      } catch {
        // the apiserver is busy: next round
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void loop();
  return { ready, applied, removed, errors, stop: () => (stopped = true) };
}

// ---- the steps --------------------------------------------------------------------------------------

/** Runs the opt-ins steps inside kube-pulumi.js's runPulumi (its helpers passed in). */
async function optInSteps(ctx) {
  const { ROOT, STACK, PROJECT_NAME, chartsDir, kube, cli, engine, stack, stackFile, step, figures, previewOps, applyAndNoOp, webhooksRemoved = new Set() } = ctx;
  const plan = require(path.join(__dirname, "kube-opt-ins-plan.ts"));
  const room = require(path.join(__dirname, "kube-room.ts"));
  const { OPT_INS } = require(path.join(ROOT, "platform", "opt-ins.ts"));
  const { parseTopology } = require(path.join(ROOT, "config", "validate.ts"));
  const { readStackFile } = require(path.join(ROOT, "plan", "stack-config.ts"));
  const { CHARTS } = require(path.join(ROOT, "versions.ts"));
  const prefix = `${PROJECT_NAME}:`;
  const keys = OPT_INS.map((o) => o.key);

  /** The stack's config without the prefix; secret keys apart (their values are ciphertext). */
  const readConfig = () => {
    const config = YAML.parse(fs.readFileSync(stackFile, "utf8")).config || {};
    const raw = {};
    const secretKeys = [];
    for (const [k, v] of Object.entries(config)) {
      const key = k.startsWith(prefix) ? k.slice(prefix.length) : k;
      if (v && typeof v === "object" && "secure" in v) secretKeys.push(key);
      else raw[key] = v;
    }
    return { raw, secretKeys };
  };
  const editConfig = (edit) => {
    const doc = YAML.parseDocument(fs.readFileSync(stackFile, "utf8"));
    edit({
      set: (k, v) => doc.setIn(["config", `${prefix}${k}`], doc.createNode(v)),
      rm: (k) => doc.deleteIn(["config", `${prefix}${k}`]),
    });
    fs.writeFileSync(stackFile, doc.toString());
  };
  const held = (label, problems) => {
    if (problems.length > 0) throw new Error(`${label}:\n${problems.join("\n")}`);
  };

  const refused = await step("opt-ins: the capacity check refuses logs (ELK, its OPT_INS example) on prod's nodes beside the apps at replicas.max, before anything is created (apps/capacity.ts; the exact message)", async () => {
    const { raw, secretKeys } = readConfig();
    const logs = OPT_INS.find((o) => o.key === "logs");
    const expected = room.capacityRefusal(room.withOptIns(raw, ["logs"]), secretKeys);
    if (expected.length === 0) throw new Error("the program's own check says logs fits prod's nodes: nothing to refuse, and no room to add");
    editConfig((c) => c.set("logs", logs.example));
    try {
      const r = await engine("opt-ins-refused-preview", ["preview"]);
      if (r.code === 0) throw new Error(`the preview passed (log ${r.log}): the capacity check did not refuse logs`);
      const text = oneLine(r.text);
      const missing = expected.filter((p) => !text.includes(oneLine(p)));
      if (missing.length > 0) throw new Error(`the preview failed (log ${r.log}), but not with the check's message ${JSON.stringify(missing)}:\n${tail(r.text, 8)}`);
      return { detail: `refused: ${expected.map((p) => `"${p}"`).join("; ")}`, figure: "optInsRefused" };
    } finally {
      editConfig((c) => c.rm("logs"));
    }
  });

  let added;
  const roomed = await step("opt-ins' room: KWOK nodes sized as the agents a second host like prod's first would hold, listed in existingNodes (the remedy the check names; preview: exactly the NetworkPolicies that list the nodes' addresses, in place)", async () => {
    const { raw, secretKeys } = readConfig();
    const topology = parseTopology(readStackFile(ROOT, STACK).config, STACK);
    added = room.roomForOptIns(raw, secretKeys, topology, figures.kubernetesVersion);
    for (const n of added.nodes) await kube.post("/api/v1/nodes", n);
    const names = added.nodes.map((n) => n.metadata.name);
    await waitFor("the added nodes Ready", 60, async () => (await kube.get("/api/v1/nodes")).items.filter((n) => names.includes(n.metadata.name) && isTrue(n, "Ready")).length === names.length);
    const updates = room.roomPolicyUpdates(raw, added.existingNodes);
    editConfig((c) => c.set("existingNodes", [...raw.existingNodes, ...added.existingNodes]));
    const { steps } = await previewOps("opt-ins-room-preview");
    held(
      "expected only the NetworkPolicies listing the nodes' addresses updated in place",
      previewProblems(steps, Object.fromEntries(updates.map((u) => [u, null]))),
    );
    const applied = await applyAndNoOp("opt-ins-room");
    return { detail: `${added.description}: ${names.join(", ")} (${added.nodes[0].status.allocatable.cpu}/${added.nodes[0].status.allocatable.memory} each), Ready; updates ${steps.map((s) => `${s.kind} ${s.name} [${s.changed.join(", ")}]`).join("; ")}; applied (${applied}), then no changes`, figure: "optInsRoom" };
  });
  if (!refused || !roomed) {
    await step("opt-ins on and off", () => ({ skip: "the refusal or the room step failed" }));
    return;
  }

  const configs = "/apis/operator.tekton.dev/v1alpha1/tektonconfigs";
  const tekton = tektonStandIn(kube, { crds: pipelineCrds(ROOT, CHARTS.tektonOperator.pipelinesVersion), configs });
  const standInRefused = () => {
    if (tekton.errors.size > 0) throw new Error(`the apiserver refused the Tekton stand-in's writes: ${[...tekton.errors].join("; ")}`);
  };
  const required = plan.requiredSteps(OPT_INS);
  let created = [];
  let change;
  try {
    const on = await step(`opt-ins on: ${keys.join(", ")} with OPT_INS' examples and needs (secrets with --secret): the preview only creates (docs/day-two.md rows *On), up with Helm from the chart mirror, then no changes (the TektonConfig's Ready by a STAND-IN)`, async () => {
      const index = YAML.parse(fs.readFileSync(path.join(chartsDir, "index.yaml"), "utf8"));
      const missing = plan.chartsMissing(OPT_INS, index.entries || {});
      if (missing.length > 0) throw new Error(`the chart mirror (${chartsDir}) lacks ${missing.join(", ")}`);
      const { raw, secretKeys } = readConfig();
      const webhooksBefore = new Set(webhooksRemoved);
      change = plan.optInConfig(OPT_INS, raw, secretKeys);
      editConfig((c) => Object.entries(change.set).forEach(([k, v]) => c.set(k, v)));
      for (const c of plan.secretCommands(change, stack).on) cli(c.args, { input: c.input });
      const { steps } = await previewOps("opt-ins-on-preview");
      held("not what docs/day-two.md's On rows say", plan.optInPreviewProblems(steps, "on", required));
      created = steps.filter((s) => s.op === "create").map((s) => `${s.kind} ${s.name}`);
      const applied = await applyAndNoOp("opt-ins-on");
      standInRefused();
      const kinds = {};
      for (const c of created) kinds[c.split(" ")[0]] = (kinds[c.split(" ")[0]] || 0) + 1;
      return {
        detail: `set ${Object.keys(change.set).join(", ")}, secret ${Object.keys(change.secrets).join(", ") || "none"}; ${created.length} creates (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ")}), the ${required.length} required among them; applied (${applied}), then no changes; TektonConfig Ready by the stand-in: ${[...tekton.ready].join(", ") || "none"}; webhooks removed (STAND-IN): ${[...webhooksRemoved].filter((w) => !webhooksBefore.has(w)).join(", ") || "none"}`,
        figure: "optInsOn",
      };
    });

    let crdNames = [];
    if (on) {
      await step("opt-ins in the apiserver: their namespaces, CRDs, custom resources and Helm releases; the secret the lab set only as ciphertext in the state", async () => {
        const problems = [];
        const namespaces = [...new Set([...OPT_INS.flatMap((o) => plan.optInNamespaces(o)), ...created.filter((c) => c.startsWith(`Namespace ${plan.PLATFORM}-ns-`)).map((c) => c.slice(`Namespace ${plan.PLATFORM}-ns-`.length))])];
        const live = new Map((await kube.get("/api/v1/namespaces")).items.map((n) => [n.metadata.name, n.status.phase]));
        for (const n of namespaces) if (live.get(n) !== "Active") problems.push(`namespace ${n}: ${live.get(n) || "absent"}`);
        const deployments = (await kube.get("/apis/apps/v1/namespaces/apps/deployments")).items.length;
        const checks = plan.inClusterChecks(OPT_INS, deployments);
        const crds = (await kube.get(CRDS)).items;
        const counts = [];
        for (const o of OPT_INS) {
          const c = checks[o.key];
          const mine = crds.filter((x) => c.crdGroups.includes(x.spec.group)).map((x) => x.metadata.name);
          for (const g of c.crdGroups) if (!crds.some((x) => x.spec.group === g)) problems.push(`${o.key}: no CRD of group ${g}`);
          for (const n of plan.optInProgramCrds(o)) if (!mine.includes(n)) problems.push(`${o.key}: CRD ${n} (the program's) absent`);
          crdNames.push(...mine);
          for (const obj of c.objects) {
            const items = (await kube.get(obj.path)).items;
            if (obj.exact !== undefined && items.length !== obj.exact) problems.push(`${o.key}: ${items.length} for ${obj.what}, not ${obj.exact}`);
            if (obj.min !== undefined && items.length < obj.min) problems.push(`${o.key}: ${items.length} for ${obj.what}, fewer than ${obj.min}`);
            for (const it of items) {
              const why = obj.each && obj.each(it);
              if (why) problems.push(`${o.key}: ${obj.what}: ${why}`);
            }
          }
          const releases = [];
          for (const r of plan.optInReleases(o)) {
            const s = await kube.get(`/api/v1/namespaces/${r.namespace}/secrets?labelSelector=${encodeURIComponent(`owner=helm,name=${r.name},status=deployed`)}`);
            if (s.items.length !== 1) problems.push(`${o.key}: ${s.items.length} deployed Helm release Secrets of ${r.namespace}/${r.name}, not 1`);
            else releases.push(`${r.name} (${s.items[0].metadata.labels.version ? `v${s.items[0].metadata.labels.version}` : s.items[0].metadata.name})`);
          }
          counts.push(`${o.key}: releases ${releases.join(", ")}, ${mine.length} CRDs, ${c.objects.map((x) => x.what).join(", ")}`);
        }
        // The secret the lab gave (builds' push password) reaches a Secret in the cluster: the state must hold it only encrypted.
        const exported = cli(["stack", "export", "--stack", stack]);
        for (const v of Object.values(change.secrets)) if (exported.includes(v) || exported.includes(Buffer.from(v).toString("base64"))) problems.push("a secret the lab set is in plain text in the state");
        if (problems.length > 0) throw new Error(problems.join("\n"));
        figures.optInObjects = { namespaces: namespaces.length, crds: crdNames.length, creates: created.length };
        return { detail: `namespaces ${namespaces.join(", ")} Active; ${counts.join("; ")}; ${Object.keys(change.secrets).length} secret(s) only as ciphertext` };
      });
    }

    await step(`opt-ins off: ${keys.join(", ")} removed: the preview deletes exactly what turning them on created (docs/day-two.md rows *Off), up, then no changes; their namespaces and releases gone, their CRDs kept`, async () => {
      if (change) {
        editConfig((c) => change.remove.forEach((k) => c.rm(k)));
        for (const c of plan.secretCommands(change, stack).off) cli(c.args);
      }
      if (!on) return { skip: "the opt-ins were not applied" };
      const { steps } = await previewOps("opt-ins-off-preview");
      held("not what docs/day-two.md's Off rows say", plan.optInPreviewProblems(steps, "off", required, created));
      const applied = await applyAndNoOp("opt-ins-off");
      standInRefused();
      const namespaces = created.filter((c) => c.startsWith("Namespace ")).length;
      let left = [];
      const ours = new Set([...OPT_INS.flatMap((o) => plan.optInNamespaces(o)), ...created.filter((c) => c.startsWith(`Namespace ${plan.PLATFORM}-ns-`)).map((c) => c.slice(`Namespace ${plan.PLATFORM}-ns-`.length))]);
      await waitFor("the opt-ins' namespaces gone", 180, async () => (left = (await kube.get("/api/v1/namespaces")).items.map((n) => n.metadata.name).filter((n) => ours.has(n))).length === 0).catch(() => undefined);
      const problems = left.map((n) => `namespace ${n} still there`);
      for (const r of OPT_INS.flatMap((o) => plan.optInReleases(o))) {
        const s = await kube.get(`/api/v1/secrets?labelSelector=${encodeURIComponent(`owner=helm,name=${r.name}`)}`);
        if (s.items.length > 0) problems.push(`Helm release ${r.name} still installed`);
      }
      const now = new Set((await kube.get(CRDS)).items.map((c) => c.metadata.name));
      const gone = crdNames.filter((n) => !now.has(n));
      if (gone.length > 0) problems.push(`CRDs deleted: ${gone.join(", ")}`);
      if (problems.length > 0) throw new Error(problems.join("\n"));
      return {
        detail: `${steps.length} deletes, exactly the creates; applied (${applied}), then no changes; ${namespaces} namespaces gone, no release left; kept ${crdNames.length} CRDs; the stand-in removed Tekton Pipelines' ${tekton.removed.size} CRDs with the TektonConfig`,
        figure: "optInsOff",
      };
    });
  } finally {
    tekton.stop();
  }
}

/** Tekton Pipelines' CRDs at `version` (tests/fixtures/tekton, derived by scripts/derive-tekton-crds.js). */
function pipelineCrds(root, version) {
  const file = path.join(root, "tests", "fixtures", "tekton", `pipeline-${version}-crds.json`);
  if (!fs.existsSync(file)) throw new Error(`${path.relative(root, file)} is not derived (scripts/derive-tekton-crds.js)`);
  return JSON.parse(fs.readFileSync(file, "utf8")).crds;
}

module.exports = { optInSteps, tektonStandIn, pipelineCrds };
