#!/usr/bin/env node
/**
 * The lab's STAND-IN for pulumi-resource-command 1.2.1, which the module proxy refuses here
 * (docs/lab.md). It has the real provider's check and diff rules (command-rules.js: `triggers`
 * replaces, any other change updates in place), so a preview of the whole prod graph shows what the
 * real provider would do. It runs local commands only: `create` (and on update `update`, else
 * `create`) with /bin/sh -c, stdout and stderr as outputs, a failure fails the resource, `delete` on
 * destroy. It refuses to run anything remote: no SSH leaves the lab.
 */
"use strict";
const path = require("path");
const { spawnSync } = require("child_process");
const rules = require("./command-rules");

const ROOT = path.resolve(__dirname, "..", "..", "..");
const provider = require(require.resolve("@pulumi/pulumi/provider", { paths: [ROOT] }));

function run(script, inputs, previous) {
  const env = { ...process.env, ...(rules.plain(inputs.environment) || {}) };
  // addPreviousOutputInEnv (default true): the last run's output, as the real provider passes it.
  if (previous && inputs.addPreviousOutputInEnv !== false) {
    env.PULUMI_COMMAND_STDOUT = previous.stdout || "";
    env.PULUMI_COMMAND_STDERR = previous.stderr || "";
  }
  const r = spawnSync("/bin/sh", ["-c", rules.plain(script)], {
    encoding: "utf8",
    cwd: inputs.dir || process.cwd(),
    env,
    input: rules.plain(inputs.stdin) || "",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`command exited ${r.status}:\n${(r.stderr || "").trim()}\n${(r.stdout || "").trim()}`.trim());
  return { stdout: (r.stdout || "").replace(/\n$/, ""), stderr: (r.stderr || "").replace(/\n$/, "") };
}

function refuseRemote(urn, op) {
  if (rules.typeOf(urn) === "command:remote:Command") {
    throw new Error(`the lab's command stand-in refuses to ${op} a remote command (${urn.split("::").pop()}): it runs nothing over SSH`);
  }
}

const impl = {
  version: "1.2.1",
  async check(urn, olds, news) {
    return rules.check(urn, news);
  },
  async diff(id, urn, olds, news) {
    const { changes, replaces } = rules.diff(urn, olds, news);
    return { changes, replaces };
  },
  async create(urn, inputs) {
    refuseRemote(urn, "create");
    const out = inputs.create ? run(inputs.create, inputs) : { stdout: "", stderr: "" };
    return { id: `${urn.split("::").pop()}-${Date.now()}`, outs: { ...inputs, ...out } };
  },
  async update(id, urn, olds, news) {
    refuseRemote(urn, "update");
    const script = rules.updateScript(news);
    const out = script ? run(script, news, olds) : { stdout: olds.stdout, stderr: olds.stderr };
    return { outs: { ...news, ...out } };
  },
  async delete(id, urn, props) {
    refuseRemote(urn, "delete");
    if (props.delete) run(props.delete, props, props);
  },
};

provider.main(impl, process.argv.slice(2));
