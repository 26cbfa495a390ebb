/**
 * What the stage-1 labs share beyond common.js (`npm run lab`: run.js, `npm run lab:hosts`: hosts.js):
 * the host's Debian packages (host.sh holds the one list) and whether a lab can run here, the stand-in
 * guest images and their server, the stack's key pair, and what a libvirtd holds (virsh).
 */
"use strict";
const fs = require("fs");
const path = require("path");
const { sh, mustSh, serveDir } = require("./common");
const { cacheDir, readToolchain } = require("./toolchain");

/** The Debian packages the lab's host lacks (scripts/lab/host.sh holds the one list). */
function missingHostPackages() {
  const r = mustSh("bash", [path.join(__dirname, "host.sh"), "missing"]);
  return r.trim().split(/\s+/).filter(Boolean);
}

/** Installs what is missing (as root; apt-get update first), else throws with the exact command; returns what it installed. */
function installHostPackages() {
  const installing = missingHostPackages();
  const installed = sh("bash", [path.join(__dirname, "host.sh"), "install"]);
  if (installed.status !== 0) throw new Error(installed.stderr || installed.stdout);
  return installing;
}

/**
 * Whether a stage-1 lab can run on this machine (`--check`): `why` it cannot, or undefined, with a
 * `note` of the host packages the lab installs first (only when apt says it can install them).
 */
function canRun() {
  const toolchain = readToolchain();
  if (!toolchain) return { why: `the toolchain is not built here (npm run lab:build; cache ${cacheDir()})` };
  if (toolchain.missing.length > 0) return { why: `the toolchain lacks ${toolchain.missing.join(", ")} (npm run lab:build)` };
  if (process.getuid && process.getuid() !== 0) return { why: "needs root (a network namespace and a libvirtd of its own)" };
  const missing = missingHostPackages();
  if (missing.length === 0) return {};
  const simulated = sh("apt-get", ["install", "--simulate", "-qq", ...missing]);
  if (simulated.status !== 0) {
    const said = (simulated.stderr || simulated.stdout || "").trim().split("\n").pop();
    return { why: `missing Debian packages ${missing.join(" ")}, which apt cannot install here (${said}): apt-get update && apt-get install -y ${missing.join(" ")}` };
  }
  return { note: `npm run lab installs the Debian packages ${missing.join(" ")} first` };
}

/**
 * `--check` prints whether the lab `label` can run and exits; otherwise returns the built toolchain,
 * or prints why not with a failed count and exits.
 */
function toolchainOrExit(label) {
  if (process.argv.includes("--check")) {
    const { why, note } = canRun();
    console.log(why ? `${label}: cannot run: ${why}` : `${label}: the toolchain is built and the host has what the lab needs${note ? ` (${note})` : ""}`);
    process.exit(why ? 1 : 0);
  }
  const toolchain = readToolchain();
  if (!toolchain || toolchain.missing.length > 0) {
    console.log(`${label}: the toolchain is not built (${toolchain ? `missing ${toolchain.missing.join(", ")}` : "run npm run lab:build"})`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  return toolchain;
}

/**
 * The stand-in guest image: 1 MiB whose first sector is a BIOS boot sector that disables interrupts
 * and halts (cli; hlt; jmp back), converted to qcow2. SeaBIOS boots it and the domain runs, idle; it
 * is no operating system (nothing reads Ignition or cloud-init, no guest agent answers).
 */
function buildStandInImage(file) {
  const raw = Buffer.alloc(1024 * 1024);
  Buffer.from([0xfa, 0xf4, 0xeb, 0xfd]).copy(raw, 0);
  raw[510] = 0x55;
  raw[511] = 0xaa;
  fs.writeFileSync(`${file}.raw`, raw);
  mustSh("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", `${file}.raw`, file]);
  fs.rmSync(`${file}.raw`);
}

/** Both stand-in images in `dir`, served on 127.0.0.1 inside `wrap`: the server and each OS's URL. */
async function serveStandInImages(dir, wrap) {
  fs.mkdirSync(dir, { recursive: true });
  buildStandInImage(path.join(dir, "flatcar_production_qemu_image.img"));
  buildStandInImage(path.join(dir, "rocky-genericcloud.qcow2"));
  const server = await serveDir(dir, wrap);
  const base = `http://127.0.0.1:${server.port}`;
  return { ...server, flatcar: `${base}/flatcar_production_qemu_image.img`, rocky: `${base}/rocky-genericcloud.qcow2` };
}

/** A fresh ed25519 key pair (the stacks' sshPublicKey and secret sshPrivateKey): `{ publicKey, privateKey }`. */
function labKeyPair(keyFile) {
  mustSh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "fmc-lab", "-f", keyFile]);
  return { publicKey: fs.readFileSync(`${keyFile}.pub`, "utf8").trim(), privateKey: fs.readFileSync(keyFile, "utf8") };
}

/** What the libvirtd at `uri` holds, asked with virsh (inside `wrap`: a host reached over the lab's LAN). */
function libvirtInventory(uri = "qemu:///system", wrap = []) {
  const virsh = (args) => {
    const [cmd, ...rest] = [...wrap, "virsh", "-c", uri, ...args];
    return mustSh(cmd, rest);
  };
  const names = (args) => virsh(args).split("\n").map((s) => s.trim()).filter(Boolean);
  const pools = names(["pool-list", "--all", "--name"]);
  const volumes = pools.flatMap((p) =>
    virsh(["vol-list", p]).split("\n").slice(2).map((l) => l.trim().split(/\s+/)[0]).filter(Boolean),
  );
  return {
    domains: names(["list", "--all", "--name"]),
    running: names(["list", "--state-running", "--name"]),
    networks: names(["net-list", "--all", "--name"]),
    pools,
    volumes,
  };
}

module.exports = { missingHostPackages, installHostPackages, canRun, toolchainOrExit, buildStandInImage, serveStandInImages, labKeyPair, libvirtInventory };
