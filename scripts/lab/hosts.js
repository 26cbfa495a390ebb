#!/usr/bin/env node
/**
 * `npm run lab:hosts`: one stack across several KVM hosts, for real (docs/lab.md, issue 19). Each
 * lab host is a libvirtd of its own in a network namespace of its own (host.sh with a private
 * /run/libvirt and image directory); their host bridges are plugged into one lab switch (lan.sh), as
 * the hypervisors' uplinks are plugged into the user's switch. Pulumi runs on lab-a (as on the seed's
 * host) and reaches lab-b and lab-c over that LAN (qemu+tcp; a real host: qemu+ssh).
 *
 * One line per step, then `N passed, N failed`; exit status 1 when a step failed. Everything is torn
 * down at the end whatever happened. Run it under its own lock (it shares nothing with `npm run lab`):
 *   flock -o /tmp/fmc-lab-hosts.lock npm run lab:hosts
 */
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const { cacheDir, tfPluginDir } = require("./toolchain");
const { sh, mustSh, tail, summary, stepRunner, pulumiEnv, pulumiCli, previewSteps } = require("./common");
const { installHostPackages, toolchainOrExit, serveStandInImages, labKeyPair, libvirtInventory } = require("./libvirt-lab");

const ROOT = path.resolve(__dirname, "..", "..");
const PROJECT_NAME = "flatcarmicrocloud";
const CACHE = cacheDir();
const RUN = path.join(CACHE, "hosts-run");
const PROJECT = path.join(RUN, "project");
const LOGS = path.join(RUN, "logs");
const STACK = "hosts";
const SWITCH = "fmc-hosts-lan";
const BRIDGE = "fmchosts-br0";
const MTU = 1500;
const POOL_DIR = "/var/lib/libvirt/images/flatcarmicrocloud-hosts";

/** The lab's hosts: lab-a runs Pulumi (unix socket); the others answer over the LAN. lab-c joins on day two. */
const HOSTS = ["a", "b", "c"].map((id, i) => {
  const address = `10.231.8.${i + 1}`;
  const dir = path.join(RUN, `host-${id}`);
  return {
    name: `lab-${id}`,
    netns: `fmc-hosts-${id}`,
    address,
    dir,
    listen: i > 0 ? address : "",
    uri: i > 0 ? `qemu+tcp://${address}/system` : `qemu:///system?socket=${path.join(dir, "run-libvirt", "libvirt-sock")}`,
  };
});
const [A, , C] = HOSTS;

const figures = {};
const { step, finish } = stepRunner(figures);
/** Inside lab-a's namespace: where Pulumi runs, as on the seed's host. */
const IN_A = ["ip", "netns", "exec", A.netns];

function hostSh(host, args) {
  const env = { ...process.env, FMC_LAB_NETNS: host.netns, FMC_LAB_PRIVATE: "1", FMC_LAB_LISTEN: host.listen };
  return sh("bash", [path.join(__dirname, "host.sh"), ...args], { env });
}

/** What a host's libvirtd holds, asked from lab-a (where Pulumi runs), as the provider asks it. */
function inventory(host) {
  return libvirtInventory(host.uri, IN_A);
}

/** The NICs plugged into a host's LAN bridge besides its uplink: the VMs' bridged NICs (libvirt's vnetN). */
function bridgedNics(host) {
  const out = mustSh("ip", ["-n", host.netns, "-o", "link", "show", "master", BRIDGE]);
  return out.split("\n").map((l) => (/^\d+: ([^:@]+)/.exec(l) || [])[1]).filter((n) => n && n !== "uplink");
}

/** The stack's VMs and networks per host, from the stack file as it stands. */
function expectedPerHost(config) {
  const vms = config[`${PROJECT_NAME}:vms`];
  const networks = config[`${PROJECT_NAME}:networks`];
  const hostNames = config[`${PROJECT_NAME}:hosts`].map((h) => h.name);
  return Object.fromEntries(
    hostNames.map((name, i) => {
      const own = vms.filter((vm) => (vm.host || hostNames[0]) === name);
      const used = new Set(own.flatMap((vm) => vm.nics.map((n) => n.network)));
      // A NAT network lives on its host (default the first); a bridge network is defined on every host with VMs on it.
      const nets = networks.filter((n) => (n.mode === "nat" ? (n.host || hostNames[0]) === name : used.has(n.name))).map((n) => n.name);
      const lan = own.filter((vm) => vm.nics.some((nic) => networks.find((n) => n.name === nic.network).mode === "bridge"));
      return [name, { vms: own.map((vm) => vm.name), networks: nets, bridged: lan.length, index: i }];
    }),
  );
}

/** virsh on every host shows exactly its VMs (running), its networks and one pool. */
function checkHosts(config) {
  const want = expectedPerHost(config);
  const lines = [];
  for (const host of HOSTS) {
    const inv = inventory(host);
    const w = want[host.name] || { vms: [], networks: [], bridged: 0 };
    const problems = [];
    const same = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
    if (!same(inv.running, w.vms) || !same(inv.domains, w.vms)) problems.push(`domains ${inv.domains.join(",") || "none"} (running ${inv.running.join(",") || "none"}), want ${w.vms.join(",") || "none"}`);
    if (!same(inv.networks, w.networks)) problems.push(`networks ${inv.networks.join(",") || "none"}, want ${w.networks.join(",") || "none"}`);
    const wantPools = w.vms.length > 0 ? 1 : 0;
    if (inv.pools.length !== wantPools) problems.push(`pools ${inv.pools.join(",") || "none"}, want ${wantPools}`);
    const nics = bridgedNics(host);
    if (nics.length !== w.bridged) problems.push(`${nics.length} VM NICs on ${BRIDGE}, want ${w.bridged}`);
    if (problems.length > 0) throw new Error(`${host.name}: ${problems.join("; ")}`);
    lines.push(`${host.name}: ${w.vms.join("+") || "no VM"}, ${inv.networks.join("+") || "no network"}, ${inv.pools.length} pool, ${inv.volumes.length} volumes, ${nics.length} on ${BRIDGE}`);
  }
  return lines.join("; ");
}

/** The stack file in the lab's project, as a user edits theirs. */
function editStack(edit) {
  const file = path.join(PROJECT, `Pulumi.${STACK}.yaml`);
  const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"));
  edit(doc);
  fs.writeFileSync(file, doc.toString());
  return YAML.parse(doc.toString()).config;
}

function teardown() {
  for (const host of HOSTS) {
    const r = hostSh(host, ["down", host.dir]);
    if (r.status !== 0) throw new Error(`${host.name}: ${r.stderr || r.stdout}`);
  }
  mustSh("bash", [path.join(__dirname, "lan.sh"), "down", SWITCH]);
}

async function main() {
  const toolchain = toolchainOrExit("lab:hosts");
  if (fs.existsSync(RUN)) teardown();
  fs.rmSync(RUN, { recursive: true, force: true });
  fs.mkdirSync(LOGS, { recursive: true });
  // PULUMI_DYNAMIC_TF_PLUGIN_CACHE_DIR: where the bridge finds the libvirt Terraform provider.
  const env = pulumiEnv(CACHE, RUN, { PULUMI_DYNAMIC_TF_PLUGIN_CACHE_DIR: tfPluginDir() });
  const { cli, engine, mustEngine } = pulumiCli({ bin: toolchain.manifest.results.pulumi.binary, project: PROJECT, logs: LOGS, env, root: ROOT, wrap: IN_A });
  let server;
  let accel = "kvm";
  let config;

  try {
    const hostsUp = await step(`hosts: ${HOSTS.map((h) => `${h.name} (${h.netns})`).join(", ")} on switch ${SWITCH} (MTU ${MTU})`, () => {
      const installing = installHostPackages();
      mustSh("bash", [path.join(__dirname, "lan.sh"), "up", SWITCH, String(MTU), ...HOSTS.map((h) => `${h.netns}:${BRIDGE}:${h.address}/24`)]);
      const accels = HOSTS.map((host) => {
        const r = hostSh(host, ["up", host.dir, BRIDGE]);
        if (r.status !== 0) throw new Error(`${host.name}: ${r.stderr || r.stdout}`);
        return r.stdout.trim();
      });
      accel = accels.every((a) => a === "kvm") ? "kvm" : "tcg";
      return { detail: `${accel === "kvm" ? "KVM" : "TCG"}${installing.length > 0 ? `, installed ${installing.join(" ")}` : ""}` };
    });
    if (!hostsUp) return;

    await step("LAN: lab-a reaches lab-b's and lab-c's libvirtd across the switch", () => {
      const versions = HOSTS.slice(1).map((host) => {
        const r = sh("ip", ["netns", "exec", A.netns, "virsh", "-c", host.uri, "version", "--daemon"]);
        if (r.status !== 0) throw new Error(`${host.uri} from ${A.name}: ${(r.stderr || r.stdout).trim()}`);
        return `${host.uri}: libvirt ${(/Running against daemon: (\S+)/.exec(r.stdout) || [])[1]}`;
      });
      return { detail: versions.join(", ") };
    });

    await step("image server on 127.0.0.1 in lab-a with stand-in images", async () => {
      server = await serveStandInImages(path.join(RUN, "images"), IN_A);
      return { detail: `127.0.0.1:${server.port} in namespace ${A.netns}` };
    });

    await step(`stack ${STACK} on a file backend: ${HOSTS.length - 1} hosts (${HOSTS.slice(0, -1).map((h) => h.name).join(", ")})`, () => {
      fs.mkdirSync(PROJECT, { recursive: true });
      fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(PROJECT, "Pulumi.yaml"));
      fs.mkdirSync(path.join(RUN, "state"), { recursive: true });
      fs.copyFileSync(path.join(__dirname, `Pulumi.${STACK}.yaml`), path.join(PROJECT, `Pulumi.${STACK}.yaml`));
      const { publicKey, privateKey } = labKeyPair(path.join(RUN, "id_ed25519"));
      cli(["stack", "init", STACK, "--secrets-provider", "passphrase"]);
      cli(["config", "set", "sshPublicKey", publicKey, "--stack", STACK]);
      cli(["config", "set", "--secret", "sshPrivateKey", "--stack", STACK], { input: privateKey });
      cli(["config", "set", "flatcarImageUrl", server.flatcar, "--stack", STACK]);
      cli(["config", "set", "rockyImageUrl", server.rocky, "--stack", STACK]);
      config = editStack((doc) => {
        doc.setIn(["config", `${PROJECT_NAME}:hosts`, 0, "libvirtUri"], A.uri);
        if (accel !== "kvm") doc.getIn(["config", `${PROJECT_NAME}:hosts`]).items.forEach((h) => h.set("cpuMode", "maximum"));
      });
    });
    if (accel !== "kvm") env.TERRAFORM_LIBVIRT_TEST_DOMAIN_TYPE = "qemu";

    await step(`preview ${STACK} --policy-pack policy`, async () => {
      const r = await mustEngine("preview", ["preview", "--stack", STACK, "--policy-pack", path.join(ROOT, "policy")]);
      return { detail: summary(r.text), figure: "preview" };
    });

    const upOk = await step(`up ${STACK}: stage 1 on lab-a and lab-b`, async () => {
      const r = await mustEngine("up", ["up", "--stack", STACK, "--yes", "--skip-preview"]);
      return { detail: summary(r.text), figure: "up" };
    });

    if (upOk) {
      await step("virsh on each host: its VMs running, its networks, its pool; bridged NICs on its LAN bridge", () => ({ detail: checkHosts(config) }));

      await step("second up --expect-no-changes", async () => {
        const r = await mustEngine("up-again", ["up", "--stack", STACK, "--yes", "--expect-no-changes", "--skip-preview"]);
        return { detail: summary(r.text), figure: "noOpUp" };
      });

      await step("day two: add host lab-c and a VM on it; the preview creates only those", async () => {
        const hosts = config[`${PROJECT_NAME}:hosts`];
        const added = { ...hosts[1], name: C.name, libvirtUri: C.uri, addresses: [C.address] };
        // A K3s server: with three hosts no host may hold an etcd majority (config/cluster.ts), so the
        // third host brings the third server.
        const vm = { name: "server3", host: C.name, role: "k3s-server", os: "flatcar", vcpus: 1, memoryMiB: 512, rootDiskGiB: 2, nics: [{ network: "fmchosts_lan", address: "10.231.8.24" }] };
        config = editStack((doc) => {
          doc.addIn(["config", `${PROJECT_NAME}:hosts`], doc.createNode(added));
          doc.addIn(["config", `${PROJECT_NAME}:vms`], doc.createNode(vm));
        });
        const started = Date.now();
        const r = await engine("day-two-preview", ["preview", "--stack", STACK, "--json"]);
        figures.dayTwoPreview = Number(((Date.now() - started) / 1000).toFixed(1));
        if (r.code !== 0) throw new Error(`preview exited ${r.code}: ${tail(r.text)}`);
        const steps = previewSteps(r.text);
        const creates = steps.filter((s) => s.op === "create");
        const changes = steps.filter((s) => s.op !== "create");
        // Only what lives on the new host or belongs to the new VM: its provider, pool, base image,
        // the LAN network's definition there, the VM's first-boot object, root disk and domain.
        const foreign = creates.filter((s) => !s.name.includes(C.name) && !s.name.includes(vm.name));
        const problems = [];
        if (foreign.length > 0) problems.push(`creates beyond ${C.name} and ${vm.name}: ${foreign.map((s) => `${s.kind} ${s.name}`).join(", ")}`);
        if (changes.length > 0) problems.push(`changes existing resources: ${changes.map((s) => `${s.op} ${s.name} [${[...s.diffReasons, ...s.changed].join(",")}]`).join(", ")}`);
        for (const kind of ["libvirt", "Pool", "Network", "Domain"]) {
          if (!creates.some((s) => s.kind === kind)) problems.push(`no ${kind} created`);
        }
        if (problems.length > 0) throw new Error(problems.join("\n"));
        const up = await mustEngine("day-two-up", ["up", "--stack", STACK, "--yes", "--skip-preview"]);
        const again = await engine("day-two-again", ["up", "--stack", STACK, "--yes", "--expect-no-changes", "--skip-preview"]);
        if (again.code !== 0) throw new Error(`the up after the change is not idempotent: ${tail(again.text)}`);
        return { detail: `creates ${creates.map((s) => s.name).sort().join(", ")}; applied (${summary(up.text)}), then no changes`, figure: "dayTwo" };
      });

      await step("virsh on each host after day two (lab-c: server3, the LAN network, its pool)", () => ({ detail: checkHosts(config) }));
    }

    await step(`destroy ${STACK}`, async () => {
      const r = await mustEngine("destroy", ["destroy", "--stack", STACK, "--yes", "--skip-preview"]);
      return { detail: summary(r.text), figure: "destroy" };
    });

    await step("virsh on each host: no domain, volume, network or pool left", () => {
      const left = HOSTS.flatMap((host) => {
        const inv = inventory(host);
        const kept = Object.entries(inv).filter(([, v]) => v.length > 0);
        const files = fs.existsSync(path.join(host.dir, "images", path.basename(POOL_DIR))) ? fs.readdirSync(path.join(host.dir, "images", path.basename(POOL_DIR))) : [];
        return [...kept.map(([k, v]) => `${host.name} ${k}: ${v.join(",")}`), ...(files.length > 0 ? [`${host.name} files in ${POOL_DIR}: ${files.join(",")}`] : [])];
      });
      if (left.length > 0) throw new Error(`left behind: ${left.join("; ")}`);
    });
  } finally {
    if (server) server.child.kill();
    if (process.env.FMC_LAB_KEEP_HOST === "1") {
      console.log(`lab:hosts: FMC_LAB_KEEP_HOST=1, hosts left up; the next run tears them down`);
    } else {
      await step("hosts and switch torn down (namespaces, libvirtds, lab directories)", () => teardown());
    }
    fs.writeFileSync(path.join(RUN, "figures.json"), `${JSON.stringify({ date: new Date().toISOString(), accel, seconds: figures }, null, 2)}\n`);
    finish("lab:hosts", LOGS);
  }
}

main().catch((e) => {
  console.error(e);
  console.log("0 passed, 1 failed");
  process.exit(1);
});
