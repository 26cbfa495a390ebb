#!/usr/bin/env node
/**
 * `npm run lab:build`: builds the real-engine toolchain of the lab from Go modules through the module
 * proxy, pinned in scripts/lab/versions.json, into a cache outside the repository
 * ($FMC_LAB_CACHE, default ~/.cache/flatcarmicrocloud-lab):
 *
 *   bin/<binary>            one or more per piece (the Pulumi CLI, the language host, the providers,
 *                           the Kubernetes control plane, etcd, kwok)
 *   src/<piece>/            the small main module of the project's own that builds it (go.mod, go.sum)
 *   stamps/<piece>          what the binary was built from; a matching stamp skips the piece
 *   tf-plugins/...          terraform-provider-libvirt where the dynamic bridge looks first
 *   kwok-stages/            the stage files the kwok module ships (a piece's `moduleFiles`)
 *   toolchain.json          per piece: built | cached | refused (with the module and the proxy's answer)
 *
 * A piece whose module the proxy refuses is reported with the module, version and the proxy's own
 * words, and the build carries on with the rest. A warm re-run only compares stamps (seconds).
 * Exit status: non-zero when a piece failed for another reason than a refused module (a compile
 * error), or when a piece the lab cannot do without (the CLI, the bridge, the libvirt provider) is
 * missing.
 *
 * `node scripts/lab/build.js --only a,b` builds only those pieces (the others keep their last outcome
 * in toolchain.json).
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

/** The packages a piece builds: `binaries` (name -> package) or one `binary` from `package`. */
function binariesOf(piece) {
  return piece.binaries || { [piece.binary]: piece.package };
}

function renderTools(piece) {
  const imports = Object.values(binariesOf(piece)).map((p) => `import _ "${p}"\n`).join("");
  return `//go:build tools\n\npackage tools\n\n${imports}`;
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
  const bins = Object.fromEntries(Object.keys(binariesOf(piece)).map((b) => [b, path.join(CACHE, "bin", b)]));
  const files = piece.moduleFiles && path.join(CACHE, piece.moduleFiles.to);
  const outcome = (status) => ({ status, binary: Object.values(bins)[0], ...(piece.binaries ? { binaries: bins } : {}), ...(files ? { files } : {}) });
  const stampFile = path.join(CACHE, "stamps", name);
  const sources = projectSources(piece);
  const stamp = crypto.createHash("sha256").update(gover).update(JSON.stringify(piece)).update(JSON.stringify(sources)).digest("hex");
  const present = Object.values(bins).every((b) => fs.existsSync(b)) && (!files || fs.existsSync(files));
  if (present && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp) return outcome("cached");
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
  if (piece.generate) {
    const failure = generate(piece.generate, dir, env);
    if (failure) return failure;
  }
  for (const [binary, pkg] of Object.entries(binariesOf(piece))) {
    fs.mkdirSync(path.dirname(bins[binary]), { recursive: true });
    const build = run(["build", "-trimpath", "-ldflags", `-s -w ${piece.ldflags || ""}`.trim(), "-o", bins[binary], pkg], dir, env);
    if (!build.ok) return { status: "failed", step: `go build ${pkg}`, reason: lastLines(build.out) };
  }
  if (files) {
    const failure = copyModuleFiles(piece.moduleFiles, dir, env, files);
    if (failure) return failure;
  }
  fs.mkdirSync(path.dirname(stampFile), { recursive: true });
  fs.writeFileSync(stampFile, stamp);
  return outcome("built");
}

/** Where the main module's build list put a required module (the module cache, read-only). */
function moduleDir(mod, dir, env) {
  const r = run(["list", "-m", "-f", "{{.Dir}}", mod], dir, env);
  if (!r.ok || !r.out) throw new Error(`go list -m ${mod}: ${lastLines(r.out)}`);
  return r.out.split("\n").pop().trim();
}

/**
 * A module's own generator for files its main package embeds but its zip lacks: copies the
 * generator and its inputs from the module beside the project's main, and runs it there.
 */
function generate(gen, dir, env) {
  const from = path.join(moduleDir(gen.module, dir, env), gen.dir);
  for (const f of gen.files) {
    fs.rmSync(path.join(dir, f), { force: true });
    fs.copyFileSync(path.join(from, f), path.join(dir, f));
    fs.chmodSync(path.join(dir, f), 0o644);
  }
  const r = run(["run", gen.run], dir, { ...env, ...gen.env });
  if (!r.ok) return { status: "failed", step: `go run ${gen.run} (${gen.module}/${gen.dir})`, reason: lastLines(r.out) };
  return undefined;
}

/** Data files a module ships (kwok's stages), copied out of the module cache; no tests' testdata. */
function copyModuleFiles(spec, dir, env, target) {
  const from = path.join(moduleDir(spec.module, dir, env), spec.dir);
  if (!fs.existsSync(from)) return { status: "failed", step: "copy module files", reason: `${from} does not exist` };
  fs.rmSync(target, { recursive: true, force: true });
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(from, rel), { withFileTypes: true })) {
      const r = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "testdata") walk(r);
      } else if (entry.name.endsWith(".yaml")) {
        fs.mkdirSync(path.join(target, rel), { recursive: true });
        fs.copyFileSync(path.join(from, r), path.join(target, r));
        fs.chmodSync(path.join(target, r), 0o644);
      }
    }
  };
  walk("");
  return undefined;
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

function onlyPieces() {
  const i = process.argv.indexOf("--only");
  if (i < 0) return undefined;
  const names = (process.argv[i + 1] || "").split(",").filter(Boolean);
  const unknown = names.filter((n) => !VERSIONS.pieces[n]);
  if (names.length === 0 || unknown.length > 0) throw new Error(`--only: unknown piece(s) ${unknown.join(", ") || "(none given)"}`);
  return names;
}

function main() {
  const gover = goVersion();
  const only = onlyPieces();
  console.log(`lab:build: ${GO} (${gover}), cache ${CACHE}${only ? `, only ${only.join(", ")}` : ""}`);
  const manifestFile = path.join(CACHE, "toolchain.json");
  const results = {};
  for (const [name, piece] of Object.entries(VERSIONS.pieces)) {
    if (only && !only.includes(name)) continue;
    const started = Date.now();
    let result;
    try {
      result = buildPiece(name, piece, gover);
    } catch (e) {
      result = { status: "failed", step: "lab:build", reason: String(e.message || e) };
    }
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
  // Read again just before writing: another --only build may have finished meanwhile.
  const earlier = only && fs.existsSync(manifestFile) ? JSON.parse(fs.readFileSync(manifestFile, "utf8")).results : {};
  const merged = {};
  for (const name of Object.keys(VERSIONS.pieces)) if (results[name] || earlier[name]) merged[name] = results[name] || earlier[name];
  fs.writeFileSync(manifestFile, `${JSON.stringify({ go: gover, host: os.hostname(), results: merged }, null, 2)}\n`);
  const failed = Object.entries(results).filter(([, r]) => r.status === "failed").map(([n]) => n);
  const missing = REQUIRED_PIECES.filter((n) => !merged[n] || !["built", "cached"].includes(merged[n].status));
  if (failed.length > 0) console.log(`lab:build: failed: ${failed.join(", ")}`);
  if (missing.length > 0) console.log(`lab:build: the lab cannot run without: ${missing.join(", ")}`);
  const refused = Object.entries(results).filter(([, r]) => r.status === "refused").map(([n]) => n);
  if (refused.length > 0) console.log(`lab:build: refused by the module proxy (the lab works around them, see docs/lab.md): ${refused.join(", ")}`);
  process.exit(failed.length > 0 || missing.length > 0 ? 1 : 0);
}

main();
