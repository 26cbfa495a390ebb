#!/usr/bin/env node
// Derives infra/replace-semantics.json: which input changes make a real `pulumi up` replace (delete +
// create) a resource instead of updating it in place. The mock engine never shows replacements, so
// the day-two model (plan/day-two-model.ts) and the deployment record (infra/deployment-record.ts)
// read them from this committed file, and tests run where ../shared is absent.
//
//   node scripts/derive-replace-semantics.js [force-new.json] [out.json]
//
// Defaults: ../shared/reference/libvirt/force-new-0.8.3.json (ForceNew attributes of
// terraform-provider-libvirt v0.8.3, read from its source) and infra/replace-semantics.json.
//
// The other providers' rules are stated here with their source, because they are not in that file:
// - @pulumi/command 1.2.1 (provider/pkg/provider/common/inputs.go at tag v1.2.1): only `triggers`
//   carries `provider:"replaceOnChanges"`; any other change is an Update, which runs `update` (or
//   `create` when `update` is unset); Delete runs the `delete` of the stored state.
// - @pulumi/random 4.x (terraform-provider-random): every argument of RandomPassword is ForceNew.
// A top-level key replaces the resource when it is listed itself or when one of its nested fields is
// (`consoles.type` makes any change of `consoles` count: the model compares whole top-level values).
"use strict";

const fs = require("fs");
const path = require("path");

const repoRoot = path.resolve(__dirname, "..");
const inPath = path.resolve(process.argv[2] || path.join(repoRoot, "..", "shared", "reference", "libvirt", "force-new-0.8.3.json"));
const outPath = path.resolve(process.argv[3] || path.join(repoRoot, "infra", "replace-semantics.json"));

const reference = JSON.parse(fs.readFileSync(inPath, "utf8"));
const resources = {};
for (const [type, spec] of Object.entries(reference.resources)) {
  const topLevel = [...new Set(spec.forceNew.map((k) => k.split(".")[0]))].sort();
  resources[type] = { replaceOnChangesOf: topLevel, forceNew: [...spec.forceNew].sort() };
}
resources["command:remote:Command"] = { replaceOnChangesOf: ["triggers"], forceNew: ["triggers"] };
// Local commands share the same inputs (common.ResourceInputs: triggers with replaceOnChanges).
resources["command:local:Command"] = { replaceOnChangesOf: ["triggers"], forceNew: ["triggers"] };
resources["random:index/randomPassword:RandomPassword"] = {
  replaceOnChangesOf: ["keepers", "length", "lower", "minLower", "minNumeric", "minSpecial", "minUpper", "number", "numeric", "overrideSpecial", "special", "upper"],
  forceNew: ["*"],
};

const out = {
  about:
    "Derived by scripts/derive-replace-semantics.js from force-new-0.8.3.json (terraform-provider-libvirt v0.8.3) and the rules of @pulumi/command 1.2.1 and @pulumi/random stated in that script. replaceOnChangesOf: top-level input keys whose change replaces the resource. Do not edit by hand.",
  domainUpdateNote: reference.about.slice(reference.about.indexOf("a Domain update")),
  resources,
};
fs.writeFileSync(outPath, JSON.stringify(out, null, 2) + "\n");
console.log(`wrote ${path.relative(repoRoot, outPath)} (${Object.keys(resources).length} resource types)`);
