/**
 * The steps of `npm run lab:kube`, run inside the lab's network namespace (kube.js starts this).
 * See docs/lab.md for what each step proves and which parts are stand-ins.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const { readToolchain } = require("./toolchain");
const { stepRunner, serveDir, registerTypeScript } = require("./common");
const { makePki } = require("./kube-pki");
const { ControlPlane, kubeClient, waitFor, healthz, API, SERVICE_IP } = require("./kube-control-plane");
const { writeStages } = require("./kube-stages");

const figures = { seconds: {}, memoryMiB: {}, counts: {} };
const { step, finish } = stepRunner(figures.seconds);

function parseCpuMilli(q) {
  return q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000;
}

/** The features the Kubernetes part needs from the program (issue 17 item 2), or why they are missing. */
function missingFeatures(root, keys) {
  const project = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
  const declared = Object.keys(project.config || {});
  return keys.filter((k) => !declared.includes(k));
}

async function main(ctx) {
  const { ROOT, CACHE, RUN, STACK, CHARTS, PROJECT_NAME, FEATURE_KEYS } = ctx;
  const toolchain = readToolchain();
  const bin = path.join(CACHE, "bin");
  const stageSource = toolchain.manifest.results.kwok.files;
  // The program's own modules (nodes, capacity model, storage class) through the SDK's ts-node.
  registerTypeScript(ROOT);
  const { STORAGE_CLASS } = require(path.join(ROOT, "platform", "values", "rook.ts"));
  let cp;
  let kube;
  let chartServer;
  let nodes = [];
  try {
    let pki;
    await step("PKI (openssl): CA, apiserver, service-account keys, client certificates", () => {
      pki = makePki(path.join(RUN, "pki"), { server: `https://${API.host}:${API.port}`, serviceIp: SERVICE_IP });
      return { detail: `${Object.keys(pki.kubeconfigs).join(", ")}` };
    });
    cp = new ControlPlane({ bin, run: RUN, pki });
    kube = kubeClient(pki);

    const apiUp = await step(`etcd and kube-apiserver on ${API.host}:${API.port} (namespace ${ctx.NETNS}, lo only)`, async () => {
      cp.startEtcd();
      cp.startApiserver();
      await waitFor("kube-apiserver /readyz", 180, async () => (await kube.request("GET", "/readyz")).status === 200);
      const v = await kube.get("/version");
      figures.kubernetesVersion = v.gitVersion;
      // The version lab:build set (versions.json): else charts with kubeVersion constraints refuse it.
      const pinned = /component-base\/version\.gitVersion=(\S+)/.exec(require("./versions.json").pieces.kubernetes.ldflags)[1];
      if (v.gitVersion !== pinned) throw new Error(`the apiserver says ${v.gitVersion}, not ${pinned}: the version ldflags are missing`);
      return { detail: `${v.gitVersion}, ready`, figure: "apiserverReady" };
    });
    if (!apiUp) return;

    await step("kube-controller-manager and kube-scheduler", async () => {
      cp.startControllerManager();
      cp.startScheduler();
      await waitFor("kube-controller-manager /healthz", 120, () => healthz(10257));
      await waitFor("kube-scheduler /healthz", 120, () => healthz(10259));
      // The default ServiceAccount appears once the controllers run.
      await waitFor("default ServiceAccount", 60, async () => (await kube.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")).status === 200);
    });

    await step("kwok 0.8.0: the module's node, lease and pod stages, volume stages for the program's storage class", () => {
      const files = writeStages(stageSource, path.join(RUN, "stages"), { storageClasses: [STORAGE_CLASS] });
      cp.startKwok(files);
      return { detail: `${files.length} stage files` };
    });

    const nodesUp = await step(`KWOK nodes: stack ${STACK}'s K3s nodes, allocatable from the program's capacity model`, async () => {
      const { stackKwokNodes } = require(path.join(__dirname, "kube-nodes.ts"));
      nodes = stackKwokNodes(ROOT, STACK, figures.kubernetesVersion);
      for (const n of nodes) await kube.post("/api/v1/nodes", n);
      await waitFor("nodes Ready", 60, async () => {
        const list = await kube.get("/api/v1/nodes");
        return list.items.every((n) => (n.status.conditions || []).some((c) => c.type === "Ready" && c.status === "True")) && list.items.length === nodes.length;
      });
      const desc = nodes.map((n) => `${n.metadata.name} ${n.status.allocatable.cpu}/${n.status.allocatable.memory}${n.spec.taints ? " tainted" : ""}`);
      figures.memoryIdleMiB = cp.memoryMiB();
      return { detail: `Ready: ${desc.join(", ")}`, figure: "nodesReady" };
    });
    if (!nodesUp) return;

    await step("the real scheduler holds the model: a pod of a node's whole allocatable CPU fits, 1m more stays Pending", async () => {
      const node = nodes.find((n) => !n.spec.taints) || nodes[0];
      const ns = "fmc-lab-probe";
      await kube.post("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
      const pod = (name, cpu) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name },
        spec: {
          nodeSelector: { "kubernetes.io/hostname": node.metadata.name },
          tolerations: [{ operator: "Exists" }],
          containers: [{ name: "probe", image: "registry.invalid/probe:0", resources: { requests: { cpu, memory: "1Mi" } } }],
        },
      });
      const whole = node.status.allocatable.cpu;
      await kube.post(`/api/v1/namespaces/${ns}/pods`, pod("fits", whole));
      await waitFor("pod fits Running", 60, async () => (await kube.get(`/api/v1/namespaces/${ns}/pods/fits`)).status.phase === "Running");
      await kube.post(`/api/v1/namespaces/${ns}/pods`, pod("one-more", "1m"));
      const reason = await waitFor("pod one-more unschedulable", 60, async () => {
        const p = await kube.get(`/api/v1/namespaces/${ns}/pods/one-more`);
        const c = (p.status.conditions || []).find((x) => x.type === "PodScheduled");
        return c && c.status === "False" && c.reason === "Unschedulable" ? c.message : undefined;
      });
      if (!/Insufficient cpu/.test(reason)) throw new Error(`one-more is unschedulable for another reason: ${reason}`);
      await kube.del(`/api/v1/namespaces/${ns}`);
      return { detail: `${node.metadata.name}: ${parseCpuMilli(whole)}m fits; then "${reason}"` };
    });

    const mirror = await step("chart mirror on 127.0.0.1 (../shared/charts)", async () => {
      if (!fs.existsSync(path.join(CHARTS, "index.yaml"))) return { skip: `${CHARTS} is absent (the shared chart repository lives beside the repository)` };
      chartServer = await serveDir(CHARTS);
      const index = YAML.parse(fs.readFileSync(path.join(CHARTS, "index.yaml"), "utf8"));
      const charts = Object.values(index.entries).reduce((s, e) => s + e.length, 0);
      return { detail: `http://127.0.0.1:${chartServer.port}, ${charts} chart versions` };
    });

    const missing = missingFeatures(ROOT, FEATURE_KEYS);
    const why =
      missing.length > 0
        ? `the program has no ${missing.map((k) => `\`${k}\``).join(" or ")} config key yet (issue 17 item 2: an existing cluster, a chart mirror)`
        : !mirror
          ? "no chart mirror (no chart can be pulled here otherwise)"
          : !toolchain.usable("pulumi-resource-kubernetes")
            ? "pulumi-resource-kubernetes is not built (npm run lab:build)"
            : undefined;
    await pulumiSteps({ ...ctx, kube, cp, pki, chartServer, why });
  } finally {
    if (chartServer) chartServer.child.kill();
    if (cp) {
      await step("control plane stopped (kwok, scheduler, controller manager, apiserver, etcd)", async () => {
        await cp.stop();
      });
    }
    fs.writeFileSync(path.join(RUN, "figures.json"), `${JSON.stringify({ date: new Date().toISOString(), stack: STACK, ...figures }, null, 2)}\n`);
    finish("lab:kube", path.join(RUN, "logs"));
  }
}

/** The Pulumi part: preview, up, no-op, secrets, destroy of stages 3-4 onto the lab cluster. */
async function pulumiSteps(ctx) {
  const names = [
    "pulumi preview --policy-pack policy",
    "pulumi up (platform and reference apps)",
    "chart held at its earlier release (chartVersions)",
    "pulumi up --expect-no-changes",
    "day two: add an app, change its image and replicas, move a chart to its pin, remove the app",
    "opt-ins: the capacity check's refusal, room, each opt-in on and off (kube-opt-ins.js)",
    "stack export: no generated secret in plain text",
    "pulumi destroy: nothing left but what docs/lab.md lists as kept",
  ];
  if (ctx.why) {
    for (const n of names) await step(n, () => ({ skip: ctx.why }));
    return;
  }
  const { runPulumi } = require("./kube-pulumi");
  await runPulumi({ ...ctx, step, figures });
}

module.exports = { main };
