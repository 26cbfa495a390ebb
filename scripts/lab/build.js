#!/usr/bin/env node
/**
 * `npm run lab:build`: builds the real-engine toolchain of the lab from Go modules through the module
 * proxy, pinned in scripts/lab/versions.json, into a cache outside the repository
 * ($FMC_LAB_CACHE, default ~/.cache/flatcarmicrocloud-lab):
 *
 *   bin/<binary>            one per piece (the Pulumi CLI, the language host, the providers)
 *   src/<piece>/            the small main module of the project's own that builds it (go.mod, go.sum)
 *   stamps/<piece>          what the binary was built from; a matching stamp skips the piece
 *   tf-plugins/...          terraform-provider-libvirt where the dynamic bridge looks first
 *   toolchain.json          per piece: built | cached | refused (with the module and the proxy's answer)
 *
 * A piece whose module the proxy refuses is reported with the module, version and the proxy's own
 * words, and the build carries on with the rest. A warm re-run only compares stamps (seconds).
 * Exit status: non-zero when a piece failed for another reason than a refused module (a compile
 * error), or when a piece the lab cannot do without (the CLI, the bridge, the libvirt provider) is
 * missing.
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");

const VERSIONS = require("./versions.json");
const { cacheDir, goBinary, tfPluginPath, REQUIRED_PIECES } = require("./toolchain");

const CACHE = cacheDir();
const GO = goBinary();

function goEnv(extra = {}) {
  return { ...process.env, GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local", ...extra };
}

function run(args, cwd, env) {
  const r = spawnSync(GO, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, out: `${r.stdout || ""}${r.stderr || ""}`.trim(), error: r.error };
}

function goVersion() {
  const r = spawnSync(GO, ["env", "GOVERSION"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${GO} does not run: ${r.error || r.stderr}`);
  return r.stdout.trim();
}

function renderGoMod(name, piece) {
  const lines = [`module flatcarmicrocloud.lab/${name}`, "", "go 1.24.7", "", "require ("];
  for (const [mod, ver] of Object.entries(piece.require)) lines.push(`\t${mod} ${ver}`);
  lines.push(")", "");
  for (const [from, to] of Object.entries(piece.replace || {})) lines.push(`replace ${from} => ${to}`, "");
  return lines.join("\n");
}

function renderTools(piece) {
  return `//go:build tools\n\npackage tools\n\nimport _ "${piece.package}"\n`;
}

/** The proxy's first words on a module version, or undefined when it serves it. */
function refusal(dir, env, mod, ver) {
  const r = run(["list", "-m", "-json", `${mod}@${ver}`], dir, env);
  if (r.ok) return undefined;
  const line = r.out.split("\n").find((l) => /Forbidden|not found|invalid version|unknown revision|server response/.test(l));
  const response = r.out.split("\n").find((l) => l.includes("server response"));
  return [line, response].filter(Boolean).join(" / ").trim() || r.out.split("\n")[0];
}

/** A piece of the project's own: its Go files (scripts/lab/<dir>/*.go), part of the stamp. */
function projectSources(piece) {
  if (!piece.source) return {};
  const dir = path.join(__dirname, "..", "..", piece.source);
  return Object.fromEntries(fs.readdirSync(dir).filter((f) => f.endsWith(".go")).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
}

function buildPiece(name, piece, gover) {
  const dir = path.join(CACHE, "src", name);
  const bin = path.join(CACHE, "bin", piece.binary);
  const stampFile = path.join(CACHE, "stamps", name);
  const sources = projectSources(piece);
  const stamp = crypto.createHash("sha256").update(gover).update(JSON.stringify(piece)).update(JSON.stringify(sources)).digest("hex");
  if (fs.existsSync(bin) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp) {
    return { status: "cached", binary: bin };
  }
  fs.mkdirSync(dir, { recursive: true });
  const env = goEnv(piece.env);
  for (const [mod, ver] of Object.entries(piece.require)) {
    const why = refusal(dir, env, mod, ver);
    if (why) return { status: "refused", module: `${mod}@${ver}`, reason: why };
  }
  for (const [file, text] of Object.entries(sources)) fs.writeFileSync(path.join(dir, file), text);
  const goMod = renderGoMod(name, piece);
  const goModPath = path.join(dir, "go.mod");
  // Rewritten only when the pins changed, so go.sum and the go directive tidy raised stay valid.
  const renderedPath = path.join(dir, "go.mod.rendered");
  if (!fs.existsSync(renderedPath) || fs.readFileSync(renderedPath, "utf8") !== goMod || !fs.existsSync(goModPath)) {
    fs.writeFileSync(goModPath, goMod);
    fs.rmSync(path.join(dir, "go.sum"), { force: true });
    if (!piece.source) fs.writeFileSync(path.join(dir, "tools.go"), renderTools(piece));
    const tidy = run(["mod", "tidy"], dir, env);
    if (!tidy.ok) return { status: "failed", step: "go mod tidy", reason: lastLines(tidy.out) };
    fs.writeFileSync(renderedPath, goMod);
  }
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  const build = run(["build", "-trimpath", "-ldflags", `-s -w ${piece.ldflags || ""}`.trim(), "-o", bin, piece.package], dir, env);
  if (!build.ok) return { status: "failed", step: "go build", reason: lastLines(build.out) };
  fs.mkdirSync(path.dirname(stampFile), { recursive: true });
  fs.writeFileSync(stampFile, stamp);
  return { status: "built", binary: bin };
}

function lastLines(text, n = 6) {
  return text.split("\n").slice(-n).join("\n");
}

/** The dynamic bridge finds the Terraform provider in its plugin cache before any registry. */
function placeTerraformProvider(piece, bin) {
  const target = tfPluginPath(piece.terraformProvider.source, piece.terraformProvider.version, piece.binary);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.rmSync(target, { force: true });
  fs.copyFileSync(bin, target);
  fs.chmodSync(target, 0o755);
}

function main() {
  const gover = goVersion();
  console.log(`lab:build: ${GO} (${gover}), cache ${CACHE}`);
  const results = {};
  for (const [name, piece] of Object.entries(VERSIONS.pieces)) {
    const started = Date.now();
    const result = buildPiece(name, piece, gover);
    results[name] = result;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (result.status === "refused") {
      console.log(`  ${name}: REFUSED - the module proxy does not serve ${result.module}: ${result.reason}`);
    } else if (result.status === "failed") {
      console.log(`  ${name}: FAILED at ${result.step}:\n${result.reason.replace(/^/gm, "      ")}`);
    } else {
      console.log(`  ${name}: ${result.status} (${secs}s) -> ${result.binary}`);
      if (piece.terraformProvider) placeTerraformProvider(piece, result.binary);
    }
  }
  fs.writeFileSync(path.join(CACHE, "toolchain.json"), `${JSON.stringify({ go: gover, host: os.hostname(), results }, null, 2)}\n`);
  const failed = Object.entries(results).filter(([, r]) => r.status === "failed").map(([n]) => n);
  const missing = REQUIRED_PIECES.filter((n) => !["built", "cached"].includes(results[n].status));
  if (failed.length > 0) console.log(`lab:build: failed: ${failed.join(", ")}`);
  if (missing.length > 0) console.log(`lab:build: the lab cannot run without: ${missing.join(", ")}`);
  const refused = Object.entries(results).filter(([, r]) => r.status === "refused").map(([n]) => n);
  if (refused.length > 0) console.log(`lab:build: refused by the module proxy (the lab works around them, see docs/lab.md): ${refused.join(", ")}`);
  process.exit(failed.length > 0 || missing.length > 0 ? 1 : 0);
}

main();
