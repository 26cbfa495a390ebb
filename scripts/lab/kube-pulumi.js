/**
 * The Pulumi steps of `npm run lab:kube` (docs/lab.md): the program's stages 3-4 deployed onto the
 * lab's control plane as onto an existing cluster (stack config `kubeconfig`, a secret), every chart
 * pulled from the lab's chart mirror (`chartMirror`), with the real engine and the real Kubernetes
 * provider; the random and command providers are the lab's stand-ins (scripts/lab/standin).
 */
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const { summary, tail, pulumiEnv, pulumiCli, previewSteps } = require("./common");
const { previewProblems, crdDrift } = require("./kube-checks");

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

/** `npm run lab:kube -- --only-opt-ins`: skips the day-two app, chart and tlsIssuer steps (a shorter run for the opt-ins). */
const ONLY_OPT_INS = process.argv.includes("--only-opt-ins");

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
  // The chart the lab moves on day two: Traefik, from its earlier release to the pin (versions.ts).
  const { CHARTS, EARLIER_CHARTS } = require(path.join(ROOT, "versions.ts"));
  const move = { key: "traefik", release: "traefik", namespace: "traefik", from: EARLIER_CHARTS.traefik[0], to: CHARTS.traefik.version };
  const crdManifest = (version) => JSON.parse(fs.readFileSync(path.join(ROOT, "platform", "crds", `${move.key}-${version}.json`), "utf8"));
  /** The chart's CRDs in the apiserver against its manifest at `version`, and the chart of its Deployment. */
  const chartInCluster = async (version) => {
    const drift = crdDrift(crdManifest(version), (await kube.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")).items);
    if (drift.length > 0) throw new Error(`the CRDs in the apiserver are not ${move.key} ${version}'s (platform/crds): ${drift.join("; ")}`);
    const d = await kube.get(`/apis/apps/v1/namespaces/${move.namespace}/deployments/${move.release}`);
    const chart = (d.metadata.labels || {})["helm.sh/chart"];
    if (chart !== `${move.key}-${version}`) throw new Error(`the ${move.release} Deployment comes from chart ${chart}, not ${move.key}-${version}`);
    return `${crdManifest(version).crds.length} CRDs as platform/crds/${move.key}-${version}.json, Deployment from ${chart}`;
  };
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
    // The day-two chart move (docs/platform.md, "Holding a chart back"): the first up installs the
    // chart at its earlier release, a later up moves it to the pin.
    config.chartVersions = { [move.key]: move.from };
    const backups = require("./kube-backups").labBackups(config);
    const prefixed = Object.fromEntries(Object.entries(config).map(([k, v]) => [`${PROJECT_NAME}:${k}`, v]));
    fs.writeFileSync(path.join(project, `Pulumi.${stack}.yaml`), YAML.stringify({ config: prefixed }));
    cli(["stack", "init", stack, "--secrets-provider", "passphrase"]);
    cli(["config", "set", "--secret", "kubeconfig", "--stack", stack], { input: fs.readFileSync(pki.kubeconfigs.admin, "utf8") });
    cli(["config", "set", "chartMirror", `http://127.0.0.1:${chartServer.port}`, "--stack", stack]);
    for (const [key, value] of Object.entries(backups.secrets)) cli(["config", "set", "--secret", key, "--stack", stack], { input: value });
    return {
      detail: `${Object.keys(config).length - 2 - backups.keys.length} keys of Pulumi.${STACK}.yaml kept, chartVersions ${move.key} ${move.from}; dropped ${dropped.join(", ")}; backup target (STAND-IN, never answers), ${backups.lowered.join(", ")}`,
    };
  });
  if (!setUp) return;

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

  await step(`chart held (chartVersions): ${move.key} ${move.from} installed, its CRDs in the apiserver`, async () => ({ detail: await chartInCluster(move.from) }));

  await step("volume backups: Velero, the snapshot controller and their objects accepted by the apiserver and Helm (docs/backups.md)", async () => {
    const { counts, schedule, ttl } = await require("./kube-backups").backupObjects(kube, stack);
    figures.backupObjects = counts;
    return { detail: `${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(", ")}; Schedule ${schedule}, TTL ${ttl}` };
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
  /**
   * preview --json: its steps (common.js previewSteps: the changed property paths from the detailed
   * diff, since the Kubernetes provider reports no diffReasons), and "Kind name" per operation.
   */
  const previewOps = async (label) => {
    const r = await engine(label, ["preview", "--json"]);
    if (r.code !== 0) throw new Error(`preview exited ${r.code} (log ${r.log}): ${tail(r.text)}`);
    const steps = previewSteps(r.text);
    const ops = {};
    for (const st of steps) (ops[st.op] = ops[st.op] || []).push(`${st.kind} ${st.name}`);
    return { ops, steps };
  };
  /** Fails unless the preview's steps are exactly `expected` (kube-checks.js previewProblems). */
  const exactly = (steps, expected, what) => {
    const problems = previewProblems(steps, expected);
    if (problems.length > 0) throw new Error(`${what}:\n${problems.join("\n")}`);
  };
  const described = (steps) => steps.map((st) => `${st.kind} ${st.name}${st.changed.length ? ` [${st.changed.join(", ")}]` : ""}`).join("; ");
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

  // `--only-opt-ins` (docs/lab.md): the base deploy, then the opt-ins step, then the secrets and destroy.
  if (ONLY_OPT_INS) await step("day two: the apps, the chart move and tlsIssuer", () => ({ skip: "--only-opt-ins" }));
  else await dayTwoSteps();

  // The opt-ins (issue 20 item 6; kube-opt-ins.js, docs/lab.md "Opt-ins"): each accepted by the apiserver and installed by Helm.
  await require("./kube-opt-ins").optInSteps({ ROOT, STACK, PROJECT_NAME, chartsDir: ctx.CHARTS, kube, cli, engine, stack, stackFile, step, figures, previewOps, applyAndNoOp, webhooksRemoved: sweeper.removed });

  async function dayTwoSteps() {
    await step("day two: add an app (docs/apps.md: its own objects are created, nothing else changes)", async () => {
      // The lab's added app is small on purpose: prod's workers hold the reference apps at replicas.max
      // with little room left (the capacity check counts requests at replicas.max), so an app of the
      // reference apps' size is refused there, rightly. 2 x 32 Mi fits; the check still runs on it.
      const template = appsNow().find((a) => !a.ingress && !a.uses) || appsNow()[appsNow().length - 1];
      editApps((apps) => [...apps, LAB_EXTRA_APP(template.image)]);
      const { ops } = await previewOps("day-two-add-preview");
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
      // docs/apps.md: the image is the Deployment's one container's; the replicas are the autoscaler's
      // range (the Deployment has no replicas: the autoscaler owns the count). Nothing else changes.
      const { steps } = await previewOps("day-two-change-preview");
      exactly(
        steps,
        {
          [`update Deployment apps-${target.name}`]: ["spec.template.spec.containers[0].image"],
          [`update HorizontalPodAutoscaler apps-${target.name}`]: [
            ...(replicas.min !== target.replicas.min ? ["spec.minReplicas"] : []),
            ...(replicas.max !== target.replicas.max ? ["spec.maxReplicas"] : []),
          ],
        },
        `expected the image and replicas of apps-${target.name} updated in place, nothing else`,
      );
      const applied = await applyAndNoOp("day-two-change");
      const d = await kube.get(`/apis/apps/v1/namespaces/apps/deployments/${target.name}`);
      const images = d.spec.template.spec.containers.map((c) => c.image);
      if (!images.some((i) => i.endsWith(image.split("/").pop()))) throw new Error(`the Deployment runs ${images.join(", ")}, not ${image}`);
      const hpa = await kube.get(`/apis/autoscaling/v2/namespaces/apps/horizontalpodautoscalers/${target.name}`);
      if (hpa.spec.minReplicas !== replicas.min) throw new Error(`the autoscaler's minReplicas is ${hpa.spec.minReplicas}, not ${replicas.min}`);
      return { detail: `${target.name}: updates ${described(steps)}; applied (${applied}), then no changes`, figure: "dayTwoChange" };
    });

    await step(`day two: move ${move.key} from ${move.from} to its pin ${move.to} (docs/day-two.md row chartVersions: in place, the CRDs the pin changed updated first)`, async () => {
      const doc = YAML.parseDocument(fs.readFileSync(stackFile, "utf8"));
      doc.deleteIn(["config", `${PROJECT_NAME}:chartVersions`]);
      fs.writeFileSync(stackFile, doc.toString());
      // The CRDs whose applied content differs between the two releases' manifests (platform/crds).
      const before = new Map(crdManifest(move.from).crds.map((c) => [c.metadata.name, JSON.stringify(c)]));
      const changedCrds = crdManifest(move.to).crds.filter((c) => before.get(c.metadata.name) !== JSON.stringify(c)).map((c) => c.metadata.name);
      if (changedCrds.length === 0) throw new Error(`no CRD differs between ${move.key} ${move.from} and ${move.to}: the move would prove nothing about CRDs`);
      const { steps } = await previewOps("day-two-chart-preview");
      exactly(
        steps,
        {
          [`update Release platform-${move.release}`]: ["version"],
          ...Object.fromEntries(changedCrds.map((n) => [`update CustomResourceDefinitionPatch platform-crd-${n}`, null])),
        },
        `expected the ${move.release} release's version and the changed CRDs updated in place, nothing else`,
      );
      const applied = await applyAndNoOp("day-two-chart");
      return { detail: `updates ${described(steps)}; applied (${applied}), then no changes; ${await chartInCluster(move.to)}`, figure: "dayTwoChart" };
    });

    await step("day two: remove an app (docs/apps.md: its objects are deleted, nothing else changes)", async () => {
      editApps((apps) => apps.filter((a) => a.name !== "labextra"));
      const { ops } = await previewOps("day-two-remove-preview");
      only(ops, (op, n) => op === "delete" && / apps-labextra/.test(n), "expected only deletes of apps-labextra's objects");
      const applied = await applyAndNoOp("day-two-remove");
      const gone = await kube.request("GET", "/apis/apps/v1/namespaces/apps/deployments/labextra");
      if (gone.status !== 404) throw new Error(`the Deployment labextra is still there (${gone.status})`);
      return { detail: `deletes ${(ops.delete || []).length}; applied (${applied}), then no changes`, figure: "dayTwoRemove" };
    });

    // tlsIssuer on day two, with a STAND-IN for cert-manager's issuing (kube-issuer.js, docs/lab.md).
    await require("./kube-issuer").issuerSteps({ ROOT, RUN, PROJECT_NAME, kube, cli, stack, stackFile, step, pki, previewOps, applyAndNoOp, described });
  }

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
