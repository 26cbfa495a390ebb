/**
 * What the lab's runners share: `npm run lab` (run.js) and `npm run lab:kube` (kube.js, kube-inside.js,
 * kube-pulumi.js). One line per step and the closing `N passed, N failed`; child processes; the
 * Pulumi CLI on a file backend with the program run through client.js; the static file server; the
 * CLI's output read back (its closing summary, `preview --json`'s steps).
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { spawn, spawnSync } = require("child_process");

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.error) throw r.error;
  return r;
}

function mustSh(cmd, args, opts = {}) {
  const r = sh(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${(r.stderr || r.stdout || "").trim().slice(-1500)}`);
  return r.stdout;
}

function tail(text, n = 15) {
  return text.trim().split("\n").slice(-n).join("\n");
}

/**
 * The CLI's closing resource summary ("+ 2 created, 170 unchanged"): the last `Resources:` block, its
 * indented lines only (an `up` prints its preview's block first, then the engine's lines).
 */
function summary(text) {
  const all = [...text.matchAll(/Resources:[ \t]*\n((?:[ \t]+\S.*\n)+)/g)];
  if (all.length === 0) return "";
  return all[all.length - 1][1]
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean)
    .join(", ");
}

/**
 * The step runner: `step(name, fn)` prints one line (`ok`, `skip` or `FAIL` with the error's first
 * lines); `fn` may return `{ detail, skip, figure }` (a figure records the step's seconds in
 * `seconds`). It resolves true when the step ran and passed. `finish` prints the closing lines and
 * sets the exit status.
 */
function stepRunner(seconds = {}) {
  const results = [];
  const line = (status, name, detail) => {
    results.push(status);
    console.log(`${status.padEnd(4)} ${name}${detail ? ` - ${detail}` : ""}`);
  };
  const step = async (name, fn) => {
    const started = Date.now();
    try {
      const r = (await fn()) || {};
      const secs = (Date.now() - started) / 1000;
      if (r.figure) seconds[r.figure] = Number(secs.toFixed(1));
      if (r.skip) line("skip", name, r.skip);
      else line("ok", name, `${secs.toFixed(1)}s${r.detail ? `, ${r.detail}` : ""}`);
      return !r.skip;
    } catch (e) {
      line("FAIL", name, String(e && e.message ? e.message : e).split("\n").slice(0, 14).join("\n     "));
      return false;
    }
  };
  const finish = (label, logs) => {
    const count = (s) => results.filter((r) => r === s).length;
    console.log(`${label} logs: ${logs}; ${count("skip")} step(s) skipped`);
    console.log(`${count("ok")} passed, ${count("FAIL")} failed`);
    process.exitCode = count("FAIL") > 0 ? 1 : 0;
  };
  return { step, line, finish, results };
}

/** The CLI's environment: the lab's own PULUMI_HOME and file backend, a fresh passphrase, nothing fetched. */
function pulumiEnv(cache, run, extra = {}) {
  return {
    ...process.env,
    // plugins/: the policy-pack runner and the stand-in providers (docs/lab.md).
    PATH: [path.join(cache, "bin"), path.join(__dirname, "plugins"), process.env.PATH].join(path.delimiter),
    PULUMI_HOME: path.join(run, "pulumi-home"),
    PULUMI_BACKEND_URL: `file://${path.join(run, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: crypto.randomBytes(18).toString("base64"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    NO_COLOR: "1",
    ...extra,
  };
}

/**
 * The Pulumi CLI in `project` (a copy of Pulumi.yaml with the lab's stack files): `cli` for commands
 * that need no program (stack, config, export; returns stdout), `engine` for preview/up/destroy (the
 * program runs through client.js, the output goes to logs/<label>.log), `mustEngine` failing on a
 * non-zero exit. `env` is read at each call (a runner may add to it). `wrap` prefixes the client's command (run.js: `ip netns exec fmc-lab`); `extraArgs`
 * follow every engine command (kube-pulumi.js: its stack).
 */
function pulumiCli({ bin, project, logs, env, root, wrap = [], extraArgs = [] }) {
  const cli = (args, { input, allowFail = false } = {}) => {
    const r = sh(bin, [...args, "--non-interactive"], { cwd: project, env, input });
    if (r.status !== 0 && !allowFail) throw new Error(`pulumi ${args.join(" ")}: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
    return r.stdout;
  };
  const engine = (label, args) =>
    new Promise((resolve) => {
      const log = path.join(logs, `${label}.log`);
      const out = fs.openSync(log, "w");
      const client = [process.execPath, path.join(__dirname, "client.js"), project, bin, ...args, ...extraArgs, "--non-interactive", "--color", "never"];
      const [cmd, ...rest] = [...wrap, ...client];
      const child = spawn(cmd, rest, { cwd: root, env, stdio: ["ignore", out, out] });
      child.on("exit", (code) => {
        fs.closeSync(out);
        resolve({ code, log, text: fs.readFileSync(log, "utf8") });
      });
    });
  const mustEngine = async (label, args) => {
    const r = await engine(label, args);
    if (r.code !== 0) throw new Error(`pulumi ${args[0]} exited ${r.code} (log ${r.log}):\n${tail(r.text)}`);
    return r;
  };
  return { cli, engine, mustEngine };
}

/** The lab's static server (images.js) on 127.0.0.1, inside `wrap` if given; resolves with the process and its port. */
function serveDir(dir, wrap = []) {
  const [cmd, ...rest] = [...wrap, process.execPath, path.join(__dirname, "images.js"), dir];
  const child = spawn(cmd, rest, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout.once("data", (d) => resolve({ child, port: Number(String(d).trim()) }));
    child.once("exit", (code) => reject(new Error(`file server exited ${code}`)));
  });
}

/**
 * `pulumi preview --json`'s steps, each as `{ op, urn, name, kind, diffReasons, changed }`: `name` the
 * URN's tail, `kind` its type's last part (`Deployment`), `diffReasons` the changed top-level keys the
 * provider reported (DiffResponse.diffs), `changed` the property paths of its detailed diff
 * (DiffResponse.detailedDiff, e.g. `spec.template.spec.containers[0].image`). Providers differ: the
 * Kubernetes provider (pkg/provider/provider.go Diff) sends a detailed diff and no `diffs`, so its
 * updates have empty diffReasons and their properties are in `changed`.
 * The self StackReference (infra/deployment-record.ts) reads the last deployment's record on every
 * run: a read of the stack itself, not a change; left out, as are `same` steps.
 */
function previewSteps(text) {
  const json = JSON.parse(text.slice(text.indexOf("{")));
  return (json.steps || [])
    .filter((s) => s.op !== "same" && !(s.op === "read" && s.urn.includes("::pulumi:pulumi:StackReference::")))
    .map((s) => ({
      op: s.op,
      urn: s.urn,
      name: s.urn.split("::").pop(),
      kind: s.urn.split("::")[2].split(":").pop(),
      diffReasons: [...(s.diffReasons || [])].sort(),
      changed: Object.keys(s.detailedDiff || {}).sort(),
    }));
}

/** The SDK's ts-node (as the language host uses it), so a lab script can load the program's own modules. */
function registerTypeScript(root) {
  const tsutils = require(require.resolve("@pulumi/pulumi/tsutils", { paths: [root] }));
  const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
  require(require.resolve(tsnodeRequire, { paths: [root] })).register({
    compiler: require.resolve(typescriptRequire, { paths: [root] }),
    transpileOnly: true,
    project: path.join(root, "tsconfig.json"),
    compilerOptions: { target: "ES2020", module: "commonjs", moduleResolution: "node", sourceMap: "true" },
  });
}

module.exports = { sh, mustSh, tail, summary, stepRunner, pulumiEnv, pulumiCli, serveDir, previewSteps, registerTypeScript };
