#!/usr/bin/env node
/**
 * The lab's STAND-IN for pulumi-resource-command 1.2.1, which the module proxy refuses here
 * (docs/lab.md). It serves only what stage 1 registers in the lab stack, `command:local:Command`
 * (the host preflight): `create` runs with /bin/sh -c in the provider's working directory, its stdout
 * and stderr become outputs, a failure fails the resource; `delete` runs on destroy; a changed
 * `create` or `triggers` replaces. Remote commands are refused: the lab turns them off
 * (deployUpTo: vms). Nothing here stands for the real provider's behaviour beyond that.
 */
"use strict";
const path = require("path");
const { spawnSync } = require("child_process");

const ROOT = path.resolve(__dirname, "..", "..", "..");
const provider = require(require.resolve("@pulumi/pulumi/provider", { paths: [ROOT] }));

function run(script, inputs) {
  const r = spawnSync("/bin/sh", ["-c", script], {
    encoding: "utf8",
    cwd: inputs.dir || process.cwd(),
    env: { ...process.env, ...(inputs.environment || {}) },
    input: inputs.stdin || "",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`command exited ${r.status}:\n${(r.stderr || "").trim()}\n${(r.stdout || "").trim()}`.trim());
  return { stdout: (r.stdout || "").replace(/\n$/, ""), stderr: (r.stderr || "").replace(/\n$/, "") };
}

const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

const impl = {
  version: "1.2.1",
  async check(urn, olds, news) {
    if (!urn.includes("command:local:Command")) throw new Error(`the lab's stand-in serves command:local:Command only, not ${urn}`);
    return { inputs: news };
  },
  async diff(id, urn, olds, news) {
    const replaces = ["create", "triggers"].filter((k) => !same(olds[k], news[k]));
    const changes = replaces.length > 0 || ["delete", "environment", "dir"].some((k) => !same(olds[k], news[k]));
    return { changes, replaces };
  },
  async create(urn, inputs) {
    const out = inputs.create ? run(inputs.create, inputs) : { stdout: "", stderr: "" };
    return { id: `${urn.split("::").pop()}-${Date.now()}`, outs: { ...inputs, ...out } };
  },
  async update(id, urn, olds, news) {
    return { outs: { ...news, stdout: olds.stdout, stderr: olds.stderr } };
  },
  async delete(id, urn, props) {
    if (props.delete) run(props.delete, props);
  },
};

provider.main(impl, process.argv.slice(2));
