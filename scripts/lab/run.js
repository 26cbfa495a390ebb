#!/usr/bin/env node
/**
 * `npm run lab`: the program under the real Pulumi engine against a real libvirtd (docs/lab.md).
 *
 * One line per step, then `N passed, N failed, N skipped`; exit status 1 when a step failed. The
 * host (libvirtd in the lab's network namespace) is torn down at the end whatever happened, and the
 * measured durations go to $FMC_LAB_CACHE/run/figures.json (scripts/lab/figures.js prints them).
 *
 * Needs root, KVM or TCG, and the toolchain of `npm run lab:build`.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const { cacheDir, tfPluginDir } = require("./toolchain");
const { sh, mustSh, tail, summary, stepRunner, pulumiEnv, pulumiCli, previewSteps } = require("./common");
const { installHostPackages, toolchainOrExit, serveStandInImages, labKeyPair, libvirtInventory } = require("./libvirt-lab");

const ROOT = path.resolve(__dirname, "..", "..");
const CACHE = cacheDir();
const RUN = path.join(CACHE, "run");
const PROJECT = path.join(RUN, "project");
const LOGS = path.join(RUN, "logs");
const BRIDGE = "fmclab-br0";
const NETNS = "fmc-lab";
const PROJECT_NAME = "flatcarmicrocloud";
const POOL_DIR = "/var/lib/libvirt/images/flatcarmicrocloud-lab";

const figures = {};
const { step, finish } = stepRunner(figures);

let env;
let pulumi;
const cli = (args, opts) => pulumi.cli(args, opts);
const engine = (label, args) => pulumi.engine(label, args);
const mustEngine = (label, args) => pulumi.mustEngine(label, args);

async function main() {
  const toolchain = toolchainOrExit("lab");
  if (fs.existsSync(path.join(RUN, "host"))) sh("bash", [path.join(__dirname, "host.sh"), "down", path.join(RUN, "host")]);
  fs.rmSync(RUN, { recursive: true, force: true });
  fs.mkdirSync(LOGS, { recursive: true });
  // PULUMI_DYNAMIC_TF_PLUGIN_CACHE_DIR: where the bridge finds the libvirt Terraform provider.
  env = pulumiEnv(CACHE, RUN, { PULUMI_DYNAMIC_TF_PLUGIN_CACHE_DIR: tfPluginDir() });
  // Inside the lab's namespace: the provider sees the lab's bridge (the host preflight checks it) and
  // the image server; nothing it does can reach another network.
  pulumi = pulumiCli({ bin: toolchain.manifest.results.pulumi.binary, project: PROJECT, logs: LOGS, env, root: ROOT, wrap: ["ip", "netns", "exec", NETNS] });
  const lab = YAML.parse(fs.readFileSync(path.join(__dirname, "Pulumi.lab.yaml"), "utf8")).config;
  const cfg = (key) => lab[`${PROJECT_NAME}:${key}`];
  let server;
  let accel = "kvm";
  const secrets = {};

  try {
    const hostUp = await step("host: libvirtd in network namespace fmc-lab, host bridge " + BRIDGE, () => {
      // The host's Debian packages first: installed here when missing (as root), else the exact command.
      const installing = installHostPackages();
      const r = sh("bash", [path.join(__dirname, "host.sh"), "up", path.join(RUN, "host"), BRIDGE]);
      if (r.status !== 0) throw new Error(r.stderr || r.stdout);
      accel = r.stdout.trim();
      const why = r.stderr.split("\n").find((l) => l.startsWith("host.sh: ")) || "host.sh: no usable /dev/kvm";
      const packages = installing.length > 0 ? `, installed ${installing.join(" ")}` : "";
      return { detail: `${accel === "kvm" ? "KVM" : `TCG (${why.replace(/^host.sh: /, "")})`}${packages}` };
    });
    if (!hostUp) return;

    await step("image server on 127.0.0.1 with stand-in images", async () => {
      server = await serveStandInImages(path.join(RUN, "images"), ["ip", "netns", "exec", NETNS]);
      return { detail: `127.0.0.1:${server.port} in namespace ${NETNS}` };
    });

    await step("stacks dev, prod, lab on a file backend (passphrase secrets)", () => {
      fs.mkdirSync(PROJECT, { recursive: true });
      fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(PROJECT, "Pulumi.yaml"));
      fs.mkdirSync(path.join(RUN, "state"), { recursive: true });
      const { publicKey, privateKey } = labKeyPair(path.join(RUN, "id_ed25519"));
      secrets.sshPrivateKey = privateKey;
      for (const stack of ["dev", "prod", "lab"]) {
        const src = stack === "lab" ? path.join(__dirname, "Pulumi.lab.yaml") : path.join(ROOT, `Pulumi.${stack}.yaml`);
        fs.copyFileSync(src, path.join(PROJECT, `Pulumi.${stack}.yaml`));
        cli(["stack", "init", stack, "--secrets-provider", "passphrase"]);
        cli(["config", "set", "sshPublicKey", publicKey, "--stack", stack]);
        cli(["config", "set", "--secret", "sshPrivateKey", "--stack", stack], { input: secrets.sshPrivateKey });
      }
      cli(["config", "set", "flatcarImageUrl", server.flatcar, "--stack", "lab"]);
      cli(["config", "set", "rockyImageUrl", server.rocky, "--stack", "lab"]);
      if (accel !== "kvm") cli(["config", "set", "vmCpuMode", "maximum", "--stack", "lab"]);
      // Every operator names their registry for the apps' images (README); nothing is pulled here.
      cli(["config", "set", "appsRegistry", "registry.lab.invalid/flatcarmicrocloud", "--stack", "prod"]);
      // dev's stage 1 on the lab's libvirtd: its networks are NAT networks inside the namespace.
      cli(["config", "set", "deployUpTo", "vms", "--stack", "dev"]);
    });
    if (accel !== "kvm") env.TERRAFORM_LIBVIRT_TEST_DOMAIN_TYPE = "qemu";

    const policy = path.join(ROOT, "policy");
    await step("preview dev (stage 1) --policy-pack policy", async () => {
      const r = await mustEngine("preview-dev", ["preview", "--stack", "dev", "--policy-pack", policy, "--policy-pack-config", path.join(policy, "config.dev.json")]);
      return { detail: summary(r.text), figure: "previewDev" };
    });
    await step("preview prod --policy-pack policy (stand-ins: random, command)", async () => {
      // The whole prod graph: stage 1 on the lab's libvirtd, the remote commands and passwords through
      // the stand-ins (scripts/lab/standin: the real providers' check/diff rules; nothing remote runs in
      // a preview), stages 3-4 through the real Kubernetes provider (its cluster is unknown until K3s
      // exists, so it previews without the apiserver, as a first real `up` would).
      if (!toolchain.usable("pulumi-resource-kubernetes")) {
        const k = toolchain.manifest.results["pulumi-resource-kubernetes"];
        return { skip: `prod registers the platform's Kubernetes objects; pulumi-resource-kubernetes is not built (${k ? k.status : "npm run lab:build"})` };
      }
      const r = await mustEngine("preview-prod", ["preview", "--stack", "prod", "--policy-pack", policy, "--policy-pack-config", path.join(policy, "config.prod.json")]);
      return { detail: summary(r.text), figure: "previewProd" };
    });

    await step("preview lab", async () => {
      const r = await mustEngine("preview-lab", ["preview", "--stack", "lab", "--policy-pack", policy]);
      return { detail: summary(r.text), figure: "preview" };
    });

    const upOk = await step("up lab: stage 1 for real", async () => {
      const r = await mustEngine("up-lab", ["up", "--stack", "lab", "--yes", "--skip-preview"]);
      return { detail: summary(r.text), figure: "up" };
    });

    if (upOk) {
      await step("virsh: every VM running, networks, pool and volumes exist", () => {
        const inv = libvirtInventory();
        const vms = cfg("vms").map((v) => v.name);
        const notRunning = vms.filter((n) => !inv.running.includes(n));
        if (notRunning.length > 0) throw new Error(`not running: ${notRunning.join(", ")} (domains: ${inv.domains.join(", ")})`);
        const nets = cfg("networks").map((n) => n.name).filter((n) => !inv.networks.includes(n));
        if (nets.length > 0) throw new Error(`missing networks: ${nets.join(", ")}`);
        if (!inv.pools.includes("flatcarmicrocloud-lab")) throw new Error(`no pool flatcarmicrocloud-lab (${inv.pools.join(", ")})`);
        return { detail: `${inv.running.length} running, ${inv.networks.length} networks, ${inv.volumes.length} volumes` };
      });

      await step("second up --expect-no-changes", async () => {
        const r = await mustEngine("up-again", ["up", "--stack", "lab", "--yes", "--expect-no-changes", "--skip-preview"]);
        return { detail: summary(r.text), figure: "noOpUp" };
      });

      await step("day two: add a VM; the preview creates only that VM's resources", async () => {
        const vms = cfg("vms");
        const added = { ...vms[1], name: "agent1", role: "k3s-agent", nics: [{ network: "fmclab_nat", address: "10.231.0.22" }] };
        // The lab's own copy of the stack file: one more entry under vms, as a user would write it.
        const stackFile = path.join(PROJECT, "Pulumi.lab.yaml");
        const doc = YAML.parseDocument(fs.readFileSync(stackFile, "utf8"));
        doc.setIn(["config", `${PROJECT_NAME}:vms`], doc.createNode([...vms, added]));
        fs.writeFileSync(stackFile, doc.toString());
        const previewStarted = Date.now();
        const r = await engine("day-two-preview", ["preview", "--stack", "lab", "--json"]);
        figures.dayTwoPreview = Number(((Date.now() - previewStarted) / 1000).toFixed(1));
        if (r.code !== 0) throw new Error(`preview exited ${r.code}: ${tail(r.text)}`);
        // What the change may touch (the provider's ForceNew rules, force-new-0.8.3.json: a network's
        // dns.hosts is not ForceNew): the new VM's Ignition, root volume and domain are created; the
        // NAT network it joins updates its DNS host records in place; the host preflight's script
        // lists the pool's volumes (the new VM's disks must fit), so it updates in place and runs
        // again (pulumi-command 1.2.1: a changed `create` is an update; the stand-in reports no
        // changed keys, as the Node provider server forwards none); nothing else changes.
        const steps = previewSteps(r.text);
        const ops = {};
        for (const st of steps) (ops[st.op] = ops[st.op] || []).push(st.name);
        const updates = Object.fromEntries(steps.filter((st) => st.op === "update").map((st) => [st.name, st.diffReasons]));
        const expectedCreates = ["infra-agent1", "infra-agent1-ignition", "infra-agent1-root"];
        const expectedUpdates = { "infra-fmclab_nat": ["dns"], "infra-host-preflight": [] };
        const created = [...(ops.create || [])].sort();
        const others = Object.keys(ops).filter((op) => !["same", "create", "update"].includes(op));
        const problems = [];
        if (JSON.stringify(created) !== JSON.stringify(expectedCreates)) problems.push(`creates ${created.join(", ")}`);
        if (others.length > 0) problems.push(Object.fromEntries(others.map((op) => [op, ops[op]])));
        const sorted = (o) => JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))));
        if (sorted(updates) !== sorted(expectedUpdates)) problems.push(`updates ${JSON.stringify(updates)}`);
        if (problems.length > 0) {
          throw new Error(`expected creates ${expectedCreates.join(", ")} and updates ${JSON.stringify(expectedUpdates)}; got ${JSON.stringify(problems)}`);
        }
        const up = await mustEngine("day-two-up", ["up", "--stack", "lab", "--yes", "--skip-preview"]);
        const again = await engine("day-two-again", ["up", "--stack", "lab", "--yes", "--expect-no-changes", "--skip-preview"]);
        if (again.code !== 0) throw new Error(`the up after the change is not idempotent: ${tail(again.text)}`);
        return { detail: `creates ${created.join(", ")}, updates ${JSON.stringify(updates)}; applied (${summary(up.text)}), then no changes` };
      });

      await step("stack export: no secret's plain value in the state", () => {
        const exported = cli(["stack", "export", "--stack", "lab", "--show-secrets=false"]);
        const outputs = JSON.parse(cli(["stack", "output", "--stack", "lab", "--json", "--show-secrets"]));
        for (const [k, v] of Object.entries(outputs)) {
          if (typeof v === "string" && /password|key/i.test(k) && v.length >= 8) secrets[`output ${k}`] = v;
        }
        const found = [];
        for (const [name, value] of Object.entries(secrets)) {
          const forms = [value, value.trim(), JSON.stringify(value).slice(1, -1), Buffer.from(value).toString("base64")];
          const keyBody = value.split("\n").filter((l) => l && !l.startsWith("-----")).join("");
          if (keyBody.length > 20) forms.push(keyBody.slice(0, 40));
          if (forms.some((f) => f.length >= 8 && exported.includes(f))) found.push(name);
        }
        if (found.length > 0) throw new Error(`plain text in the state: ${found.join(", ")}`);
        const ciphertexts = (exported.match(/"ciphertext"/g) || []).length;
        if (ciphertexts === 0) throw new Error("the state holds no secret at all: the check would prove nothing");
        return { detail: `${Object.keys(secrets).join(", ")} searched; ${ciphertexts} secret values stored encrypted` };
      });
    }

    await step("destroy lab", async () => {
      const r = await mustEngine("destroy-lab", ["destroy", "--stack", "lab", "--yes", "--skip-preview"]);
      return { detail: summary(r.text), figure: "destroy" };
    });

    await step("virsh: no domain, volume, network or pool left", () => {
      const inv = libvirtInventory();
      const left = Object.entries(inv).filter(([, v]) => v.length > 0);
      if (left.length > 0) throw new Error(`left behind: ${JSON.stringify(Object.fromEntries(left))}`);
      if (fs.existsSync(POOL_DIR) && fs.readdirSync(POOL_DIR).length > 0) throw new Error(`files left in ${POOL_DIR}`);
    });
  } finally {
    if (server) server.child.kill();
    if (process.env.FMC_LAB_KEEP_HOST === "1") {
      // For debugging only: the next run (or host.sh down) tears it down.
      console.log(`lab: FMC_LAB_KEEP_HOST=1, host left up; tear it down with: bash scripts/lab/host.sh down ${path.join(RUN, "host")}`);
    } else {
      await step("host torn down (namespace, libvirtd, lab directories)", () => {
        mustSh("bash", [path.join(__dirname, "host.sh"), "down", path.join(RUN, "host")]);
        fs.rmSync(POOL_DIR, { recursive: true, force: true });
      });
    }
    fs.writeFileSync(path.join(RUN, "figures.json"), `${JSON.stringify({ date: new Date().toISOString(), accel, seconds: figures }, null, 2)}\n`);
    finish("lab", LOGS);
  }
}

main().catch((e) => {
  console.error(e);
  console.log("0 passed, 1 failed");
  process.exit(1);
});
