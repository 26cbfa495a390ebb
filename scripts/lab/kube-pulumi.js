/**
 * The Pulumi steps of `npm run lab:kube` (docs/lab.md): the program's stages 3-4 deployed onto the
 * lab's control plane as onto an existing cluster (stack config `kubeconfig`, a secret), every chart
 * pulled from the lab's chart mirror (`chartMirror`), with the real engine and the real Kubernetes
 * provider; the random and command providers are the lab's stand-ins (scripts/lab/standin).
 */
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");
const YAML = require("yaml");
const { summary, tail, pulumiEnv, pulumiCli, previewSteps } = require("./common");

/** The app the lab adds on day two (docs/lab.md): no ingress, no platform service, 2 x 32 Mi at most. */
const LAB_EXTRA_APP = (image) => ({
  name: "labextra",
  image,
  port: 8080,
  replicas: { min: 1, max: 2 },
  resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
});

/** Namespaces Kubernetes itself has; everything else in the apiserver came from the program. */
const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

const { waitFor } = require("./kube-control-plane");

async function runPulumi(ctx) {
  const { ROOT, CACHE, RUN, STACK, PROJECT_NAME, kube, cp, pki, chartServer, step, figures } = ctx;
  const toolchain = require("./toolchain").readToolchain();
  const pulumiBin = toolchain.manifest.results.pulumi.binary;
  const project = path.join(RUN, "project");
  const logs = path.join(RUN, "logs");
  const stack = "kube";
  const env = pulumiEnv(CACHE, RUN);
  delete env.KUBECONFIG;
  const { cli, engine, mustEngine } = pulumiCli({ bin: pulumiBin, project, logs, env, root: ROOT, extraArgs: ["--stack", stack] });

  const policy = path.join(ROOT, "policy");
  const setUp = await step(`stack ${stack}: ${STACK}'s stages 3-4 onto the lab cluster (existingNodes, kubeconfig, chartMirror), file backend, passphrase secrets`, () => {
    fs.mkdirSync(project, { recursive: true });
    fs.mkdirSync(path.join(RUN, "state"), { recursive: true });
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
    // docs/existing-cluster.md: the VM stack's stage 3-4 keys, existingNodes = its K3s nodes (as the
    // KWOK nodes), no stage 1-2 key; the apps' PostgreSQL use dropped (no PostgreSQL VM there).
    const { labStackConfig } = require(path.join(__dirname, "kube-nodes.ts"));
    const { config, dropped } = labStackConfig(ROOT, STACK);
    // Images are never pulled (kwok runs no container): a registry name that cannot resolve.
    config.appsRegistry = "registry.lab.invalid/flatcarmicrocloud";
    const prefixed = Object.fromEntries(Object.entries(config).map(([k, v]) => [`${PROJECT_NAME}:${k}`, v]));
    fs.writeFileSync(path.join(project, `Pulumi.${stack}.yaml`), YAML.stringify({ config: prefixed }));
    cli(["stack", "init", stack, "--secrets-provider", "passphrase"]);
    cli(["config", "set", "--secret", "kubeconfig", "--stack", stack], { input: fs.readFileSync(pki.kubeconfigs.admin, "utf8") });
    cli(["config", "set", "chartMirror", `http://127.0.0.1:${chartServer.port}`, "--stack", stack]);
    return { detail: `${Object.keys(config).length} keys of Pulumi.${STACK}.yaml kept; dropped ${dropped.join(", ")}` };
  });
  if (!setUp) return;

  // A chart upgrade: the cluster first holds the CRDs of Traefik's earlier release in the mirror (as
  // a cluster that ran it has them); after the program's up with the pinned release they must be
  // the pinned release's (Helm itself never upgrades a chart's crds/).
  const upgrade = { chart: "traefik", from: "41.1.1", crd: "middlewares.traefik.io", field: "errorRequestHeaders" };
  await step(`chart upgrade, before: the CRDs of ${upgrade.chart} ${upgrade.from} (the mirror's earlier release) in the cluster`, async () => {
    const archive = path.join(ctx.CHARTS, `${upgrade.chart}-${upgrade.from}.tgz`);
    const dir = path.join(RUN, "earlier-chart");
    fs.mkdirSync(dir, { recursive: true });
    const t = spawnSync("tar", ["-xzf", archive, "-C", dir], { encoding: "utf8" });
    if (t.status !== 0) throw new Error(`tar ${archive}: ${t.stderr}`);
    const crdDir = path.join(dir, upgrade.chart, "crds");
    let n = 0;
    for (const f of fs.readdirSync(crdDir).filter((x) => x.endsWith(".yaml"))) {
      for (const d of YAML.parseAllDocuments(fs.readFileSync(path.join(crdDir, f), "utf8"))) {
        const crd = d.toJSON();
        if (!crd || crd.kind !== "CustomResourceDefinition") continue;
        await kube.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
        n += 1;
      }
    }
    const has = JSON.stringify(await kube.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${upgrade.crd}`)).includes(upgrade.field);
    if (has) throw new Error(`${upgrade.crd} of ${upgrade.from} already has ${upgrade.field}: the check after up would prove nothing`);
    return { detail: `${n} CRDs; ${upgrade.crd} without ${upgrade.field}` };
  });

  await step("pulumi preview --policy-pack policy (server-side dry run against the apiserver)", async () => {
    const r = await mustEngine("preview", ["preview", "--policy-pack", policy, "--policy-pack-config", path.join(policy, `config.${STACK}.json`)]);
    return { detail: summary(r.text), figure: "preview" };
  });

  // STAND-IN (docs/lab.md): admission webhooks served by simulated pods cannot answer; the harness
  // deletes each webhook configuration whose backend is an in-cluster Service as soon as it appears.
  const sweeper = sweepWebhooks(kube);
  // STAND-IN: the operators' Ready on the custom resources the program awaits (kube-stages.js).
  const ready = readyStandIns(kube, cp, path.join(RUN, "stages"));
  const up = await step("pulumi up (platform and reference apps), every pod scheduled", async () => {
    const r = await mustEngine("up", ["up", "--yes"]);
    const pending = await pendingPods(kube);
    if (pending.length > 0) throw new Error(`pods the scheduler could not place:\n${pending.join("\n")}`);
    const counts = await inventory(kube, cli, stack);
    figures.counts = counts;
    figures.memoryMiB = cp.memoryMiB();
    return {
      detail: `${summary(r.text)}; webhooks removed: ${[...sweeper.removed].join(", ") || "none"}; Ready stand-ins for ${[...ready.started].join(", ") || "no kind"}; ${counts.releases} Helm releases, ${counts.pulumiKubernetes} Kubernetes resources in the state, ${counts.objects} objects in ${counts.namespaces} namespaces, ${counts.pods} pods`,
      figure: "up",
    };
  });
  if (!up) {
    await destroyStep();
    sweeper.stop();
    ready.stop();
    return;
  }

  await step(`chart upgrade, after: ${upgrade.chart}'s CRDs are the pinned release's (${upgrade.crd} has ${upgrade.field})`, async () => {
    const crd = await kube.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${upgrade.crd}`);
    if (!JSON.stringify(crd).includes(upgrade.field)) throw new Error(`${upgrade.crd} is still ${upgrade.chart} ${upgrade.from}'s (no ${upgrade.field}): Helm keeps existing CRDs, and the program did not apply the pinned release's`);
    return { detail: `${upgrade.crd}: ${upgrade.field} present` };
  });

  await step("pulumi up --expect-no-changes", async () => {
    const r = await mustEngine("up-again", ["up", "--yes", "--expect-no-changes"]);
    return { detail: summary(r.text), figure: "noOpUp" };
  });

  // ---- day two: each preview checked against docs/apps.md, applied, then a no-op ----------------
  const stackFile = path.join(project, `Pulumi.${stack}.yaml`);
  const appsKey = `${PROJECT_NAME}:apps`;
  const editApps = (edit) => {
    const doc = YAML.parseDocument(fs.readFileSync(stackFile, "utf8"));
    doc.setIn(["config", appsKey], doc.createNode(edit(doc.getIn(["config", appsKey]).toJSON())));
    fs.writeFileSync(stackFile, doc.toString());
  };
  /** preview --json: resource names (URN tails) per operation, updates' changed keys. */
  const previewOps = async (label) => {
    const r = await engine(label, ["preview", "--json"]);
    if (r.code !== 0) throw new Error(`preview exited ${r.code} (log ${r.log}): ${tail(r.text)}`);
    const ops = {};
    for (const st of previewSteps(r.text)) {
      const name = `${st.kind} ${st.name}`;
      (ops[st.op] = ops[st.op] || []).push(st.op === "update" ? `${name} [${st.diffReasons.join(",")}]` : name);
    }
    return ops;
  };
  const applyAndNoOp = async (label) => {
    const u = await mustEngine(`${label}-up`, ["up", "--yes", "--skip-preview"]);
    const again = await engine(`${label}-again`, ["up", "--yes", "--expect-no-changes", "--skip-preview"]);
    if (again.code !== 0) throw new Error(`the up after the change is not a no-op (log ${again.log}): ${tail(again.text)}`);
    const pending = await pendingPods(kube);
    if (pending.length > 0) throw new Error(`pods the scheduler could not place:\n${pending.join("\n")}`);
    return summary(u.text);
  };
  const only = (ops, allowed, what) => {
    const bad = Object.entries(ops).flatMap(([op, names]) => names.filter((n) => !allowed(op, n)).map((n) => `${op} ${n}`));
    if (bad.length > 0) throw new Error(`${what}; the preview also does: ${bad.join("; ")}`);
  };
  const appsNow = () => YAML.parse(fs.readFileSync(stackFile, "utf8")).config[appsKey];

  await step("day two: add an app (docs/apps.md: its own objects are created, nothing else changes)", async () => {
    // The lab's added app is small on purpose: prod's workers hold the reference apps at replicas.max
    // with little room left (the capacity check counts requests at replicas.max), so an app of the
    // reference apps' size is refused there, rightly. 2 x 32 Mi fits; the check still runs on it.
    const template = appsNow().find((a) => !a.ingress && !a.uses) || appsNow()[appsNow().length - 1];
    editApps((apps) => [...apps, LAB_EXTRA_APP(template.image)]);
    const ops = await previewOps("day-two-add-preview");
    only(ops, (op, n) => op === "create" && / apps-labextra/.test(n), "expected only creates of apps-labextra's objects");
    if (!(ops.create || []).some((n) => n.startsWith("Deployment "))) throw new Error(`no Deployment created: ${JSON.stringify(ops)}`);
    const applied = await applyAndNoOp("day-two-add");
    await kube.get("/apis/apps/v1/namespaces/apps/deployments/labextra");
    return { detail: `creates ${(ops.create || []).length} (${ops.create.map((n) => n.split(" ")[0]).join(", ")}); applied (${applied}), then no changes`, figure: "dayTwoAdd" };
  });

  await step("day two: change an app's image tag and replicas (docs/apps.md: updates in place, that app only)", async () => {
    const target = appsNow().find((a) => a.name !== "labextra");
    const image = target.image.replace(/:([^:@/]+)$/, (m, tag) => `:${tag}-lab`);
    const replicas = { min: target.replicas.min + 1, max: Math.max(target.replicas.max, target.replicas.min + 1) };
    editApps((apps) => apps.map((a) => (a.name === target.name ? { ...a, image, replicas } : a)));
    const ops = await previewOps("day-two-change-preview");
    only(ops, (op, n) => op === "update" && new RegExp(` apps-${target.name} `).test(`${n} `), `expected only in-place updates of apps-${target.name}`);
    if ((ops.update || []).length === 0) throw new Error("the preview updates nothing");
    const applied = await applyAndNoOp("day-two-change");
    const d = await kube.get(`/apis/apps/v1/namespaces/apps/deployments/${target.name}`);
    const images = d.spec.template.spec.containers.map((c) => c.image);
    if (!images.some((i) => i.endsWith(image.split("/").pop()))) throw new Error(`the Deployment runs ${images.join(", ")}, not ${image}`);
    const hpa = await kube.get(`/apis/autoscaling/v2/namespaces/apps/horizontalpodautoscalers/${target.name}`);
    if (hpa.spec.minReplicas !== replicas.min) throw new Error(`the autoscaler's minReplicas is ${hpa.spec.minReplicas}, not ${replicas.min}`);
    return { detail: `${target.name}: updates ${ops.update.join("; ")}; applied (${applied}), then no changes`, figure: "dayTwoChange" };
  });

  await step("day two: remove an app (docs/apps.md: its objects are deleted, nothing else changes)", async () => {
    editApps((apps) => apps.filter((a) => a.name !== "labextra"));
    const ops = await previewOps("day-two-remove-preview");
    only(ops, (op, n) => op === "delete" && / apps-labextra/.test(n), "expected only deletes of apps-labextra's objects");
    const applied = await applyAndNoOp("day-two-remove");
    const gone = await kube.request("GET", "/apis/apps/v1/namespaces/apps/deployments/labextra");
    if (gone.status !== 404) throw new Error(`the Deployment labextra is still there (${gone.status})`);
    return { detail: `deletes ${(ops.delete || []).length}; applied (${applied}), then no changes`, figure: "dayTwoRemove" };
  });

  await step("stack export: no generated secret's plain value in the state, each held encrypted", () => {
    const shown = JSON.parse(cli(["stack", "export", "--stack", stack, "--show-secrets"]));
    const state = JSON.parse(cli(["stack", "export", "--stack", stack]));
    const { generated, encrypted } = generatedSecrets(shown, state, fs.readFileSync(pki.kubeconfigs.admin, "utf8"));
    if (generated.length === 0) throw new Error("no generated secret found in the state: the check would prove nothing");
    const notEncrypted = encrypted.filter((e) => !e.ok).map((e) => e.what);
    if (notEncrypted.length > 0) throw new Error(`not held as ciphertext in the state: ${notEncrypted.join(", ")}`);
    const strings = [];
    const collect = (x) => (typeof x === "string" ? strings.push(x) : x && typeof x === "object" ? Object.values(x).forEach(collect) : undefined);
    collect(state);
    const found = generated.filter((g) => strings.some((s) => s.includes(g.value) || s.includes(Buffer.from(g.value).toString("base64"))));
    if (found.length > 0) throw new Error(`in plain text in the state: ${found.map((g) => g.what).join(", ")}`);
    return { detail: `${generated.length} generated secret values (${[...new Set(generated.map((g) => g.kind))].join(", ")}) searched, none in plain text; ${encrypted.length} held as ciphertext` };
  });

  await destroyStep();
  sweeper.stop();
  ready.stop();

  async function destroyStep() {
    await step("pulumi destroy: nothing the program created is left (but what docs/lab.md lists as kept)", async () => {
      const r = await mustEngine("destroy", ["destroy", "--yes", "--skip-preview"]);
      // Namespaces finish deleting after their objects (the namespace controller).
      let left = [];
      await waitFor("the program's objects gone", 120, async () => (left = await leftovers(kube)).length === 0).catch(() => undefined);
      if (left.length > 0) throw new Error(`left in the apiserver: ${left.join(", ")}`);
      return { detail: `${summary(r.text)}; kept: ${await kept(kube)} CustomResourceDefinitions`, figure: "destroy" };
    });
  }
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The plaintext of an export's secret (`--show-secrets` writes it JSON-encoded), or undefined. */
function shownSecret(v) {
  if (!v || typeof v !== "object" || v[SECRET_SIG_KEY] !== SECRET_SIG || typeof v.plaintext !== "string") return undefined;
  try {
    return JSON.parse(v.plaintext);
  } catch {
    return v.plaintext;
  }
}

/**
 * The values the stack generated or was given as secrets, and where the state must hold them encrypted:
 * every RandomPassword's `result` and `bcryptHash` and every RandomBytes' `base64` and `hex` (from
 * `--show-secrets`), and the kubeconfig's client
 * key and token (what grants the cluster; its server URL and CA are not secret). Nothing else: a
 * secret value also holds non-secret strings (URLs, user names), which are no leak.
 */
function generatedSecrets(shown, state, kubeconfigText) {
  const generated = [];
  const encrypted = [];
  const byUrn = new Map((state.deployment.resources || []).map((r) => [r.urn, r]));
  const secretOutputs = { "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"], "random:index/randomBytes:RandomBytes": ["base64", "hex"] };
  for (const r of shown.deployment.resources || []) {
    if (!secretOutputs[r.type]) continue;
    const name = r.urn.split("::").pop();
    for (const key of secretOutputs[r.type]) {
      const value = shownSecret((r.outputs || {})[key]);
      if (typeof value !== "string") continue;
      generated.push({ kind: `${r.type.split(":").pop()} ${key}`, what: `${name} ${key}`, value });
      const sealed = ((byUrn.get(r.urn) || {}).outputs || {})[key];
      encrypted.push({ what: `${name} ${key}`, ok: !!sealed && sealed[SECRET_SIG_KEY] === SECRET_SIG && typeof sealed.ciphertext === "string" && !("plaintext" in sealed) });
    }
  }
  // The kubeconfig reaches the state as the Kubernetes provider's input and output.
  for (const r of state.deployment.resources || []) {
    if (r.type !== "pulumi:providers:kubernetes") continue;
    for (const [side, props] of [["input", r.inputs], ["output", r.outputs]]) {
      const v = (props || {}).kubeconfig;
      if (v !== undefined) encrypted.push({ what: `${r.urn.split("::").pop()} kubeconfig (${side})`, ok: !!v && v[SECRET_SIG_KEY] === SECRET_SIG && typeof v.ciphertext === "string" && !("plaintext" in v) });
    }
  }
  for (const u of YAML.parse(kubeconfigText).users || []) {
    const user = u.user || {};
    if (user["client-key-data"]) {
      generated.push({ kind: "kubeconfig client key", what: `kubeconfig ${u.name} client-key-data`, value: user["client-key-data"] });
      // The key itself, as any consumer that decoded it would hold it (one line of its PEM body).
      const pemLine = Buffer.from(user["client-key-data"], "base64").toString("utf8").split("\n").find((l) => l.length >= 40 && !l.startsWith("-----"));
      if (pemLine) generated.push({ kind: "kubeconfig client key", what: `kubeconfig ${u.name} client key (PEM)`, value: pemLine });
    }
    if (user.token) generated.push({ kind: "kubeconfig token", what: `kubeconfig ${u.name} token`, value: user.token });
  }
  return { generated, encrypted };
}

/**
 * Deletes, every second, the validating and mutating webhook configurations whose webhooks call an
 * in-cluster Service (a simulated pod, which cannot answer); returns the names removed.
 */
function sweepWebhooks(kube) {
  const removed = new Set();
  let stopped = false;
  const kinds = ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"];
  const loop = async () => {
    while (!stopped) {
      for (const kind of kinds) {
        try {
          const list = await kube.get(`/apis/admissionregistration.k8s.io/v1/${kind}`);
          for (const w of list.items) {
            if ((w.webhooks || []).some((h) => h.clientConfig && h.clientConfig.service)) {
              await kube.del(`/apis/admissionregistration.k8s.io/v1/${kind}/${w.metadata.name}`);
              removed.add(w.metadata.name);
            }
          }
        } catch {
          // the apiserver is busy; next round
        }
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void loop();
  return { removed, stop: () => (stopped = true) };
}

/** Starts a Ready stand-in (a kwok of its own) per READY_KINDS kind as soon as its CRD is established. */
function readyStandIns(kube, cp, dir) {
  const { READY_KINDS, readyStage } = require("./kube-stages");
  const started = new Set();
  let stopped = false;
  const loop = async () => {
    while (!stopped && started.size < READY_KINDS.length) {
      try {
        const crds = (await kube.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")).items;
        for (const k of READY_KINDS) {
          if (started.has(k.kind)) continue;
          const crd = crds.find((c) => c.spec.group === k.group && c.spec.names.kind === k.kind);
          const established = crd && (crd.status.conditions || []).some((c) => c.type === "Established" && c.status === "True");
          if (!established) continue;
          const version = crd.spec.versions.find((v) => v.storage).name;
          const file = path.join(dir, `fmc-lab_ready-${k.kind.toLowerCase()}.yaml`);
          fs.writeFileSync(file, readyStage({ ...k, version }));
          cp.startKwokStages(`kwok-ready-${k.kind.toLowerCase()}`, [file]);
          started.add(k.kind);
        }
      } catch {
        // next round
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  void loop();
  return { started, stop: () => (stopped = true) };
}

/** Pods the scheduler left Pending, with its reason. */
async function pendingPods(kube) {
  const pods = await kube.get("/api/v1/pods");
  return pods.items
    .filter((p) => p.status.phase === "Pending")
    .map((p) => {
      const c = (p.status.conditions || []).find((x) => x.type === "PodScheduled");
      return `${p.metadata.namespace}/${p.metadata.name}: ${c ? c.message || c.reason : "not scheduled"}`;
    });
}

/** Helm releases (their storage Secrets), Pulumi's Kubernetes resources, objects in the program's namespaces. */
async function inventory(kube, cli, stack) {
  const helm = await kube.get("/api/v1/secrets?labelSelector=owner%3Dhelm,status%3Ddeployed");
  const releases = new Set(helm.items.map((s) => `${s.metadata.namespace}/${s.metadata.labels.name}`));
  const state = JSON.parse(cli(["stack", "export", "--stack", stack]));
  const resources = state.deployment.resources || [];
  const pulumiKubernetes = resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers")).length;
  const namespaces = (await kube.get("/api/v1/namespaces")).items.map((n) => n.metadata.name).filter((n) => !["default", "kube-system", "kube-public", "kube-node-lease"].includes(n));
  let objects = 0;
  for (const kind of ["pods", "services", "configmaps", "secrets", "serviceaccounts", "persistentvolumeclaims"]) {
    const list = await kube.get(`/api/v1/${kind}`);
    objects += list.items.filter((o) => namespaces.includes(o.metadata.namespace)).length;
  }
  for (const [group, kinds] of Object.entries({ "apps/v1": ["deployments", "statefulsets", "daemonsets"], "batch/v1": ["jobs"] })) {
    for (const kind of kinds) {
      const list = await kube.get(`/apis/${group}/${kind}`);
      objects += list.items.filter((o) => namespaces.includes(o.metadata.namespace)).length;
    }
  }
  const pods = (await kube.get("/api/v1/pods")).items.length;
  return { releases: releases.size, pulumiKubernetes, namespaces: namespaces.length, objects, pods };
}

/**
 * What is left after destroy, apart from what docs/lab.md lists as kept (CustomResourceDefinitions:
 * Helm never deletes a chart's crds/). Kubernetes' own objects (system: names, the default roles,
 * the system namespaces and priority classes) are not the program's.
 */
async function leftovers(kube) {
  const own = (name) => !name.startsWith("system:") && !["admin", "edit", "view", "cluster-admin"].includes(name);
  const left = [];
  const list = async (p) => (await kube.get(p)).items.map((o) => o.metadata.name);
  for (const n of (await list("/api/v1/namespaces")).filter((x) => !SYSTEM_NAMESPACES.includes(x))) left.push(`namespace ${n}`);
  for (const n of (await list("/apis/rbac.authorization.k8s.io/v1/clusterroles")).filter(own)) left.push(`clusterrole ${n}`);
  for (const n of (await list("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings")).filter(own)) left.push(`clusterrolebinding ${n}`);
  for (const n of await list("/apis/storage.k8s.io/v1/storageclasses")) left.push(`storageclass ${n}`);
  for (const n of await list("/api/v1/persistentvolumes")) left.push(`persistentvolume ${n}`);
  for (const n of (await list("/apis/scheduling.k8s.io/v1/priorityclasses")).filter((x) => !x.startsWith("system-"))) left.push(`priorityclass ${n}`);
  for (const kind of ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"]) {
    for (const n of await list(`/apis/admissionregistration.k8s.io/v1/${kind}`)) left.push(`${kind.replace(/s$/, "")} ${n}`);
  }
  return left;
}

/** What destroy keeps on purpose (docs/lab.md): the CRDs. */
async function kept(kube) {
  return (await kube.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")).items.length;
}

module.exports = { runPulumi, summary, generatedSecrets, LAB_EXTRA_APP };
