#!/usr/bin/env node
/**
 * `npm run lab:schema`: the real Pulumi schema of the libvirt SDK, from the toolchain of
 * `npm run lab:build`: the Pulumi CLI asks the dynamic bridge (pulumi-resource-terraform-provider
 * 1.1.3), parameterized exactly as `pulumi package add terraform-provider
 * registry.opentofu.org/dmacvicar/libvirt 0.8.3` does, for its schema; the bridge runs
 * terraform-provider-libvirt 0.8.3 from its plugin cache and translates its Terraform schema.
 *
 *   node scripts/lab/schema.js [--derive]
 *
 * Writes $FMC_LAB_CACHE/schema/libvirt-0.8.3.json; with --derive also re-derives
 * tests/fixtures/libvirt-schema-properties.json from it (scripts/derive-libvirt-fixture.js), the
 * fixture tests/libvirt-sdk.test.ts holds sdks/libvirt to.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");
const { cacheDir, readToolchain, tfPluginDir } = require("./toolchain");
const VERSIONS = require("./versions.json");

const ROOT = path.resolve(__dirname, "..", "..");
const toolchain = readToolchain();
const need = ["pulumi", "pulumi-resource-terraform-provider", "terraform-provider-libvirt"].filter((n) => !toolchain || !toolchain.usable(n));
if (need.length > 0) {
  console.error(`lab:schema: run npm run lab:build first (missing ${need.join(", ")})`);
  process.exit(1);
}
const { source, version } = VERSIONS.pieces["terraform-provider-libvirt"].terraformProvider;
const bridge = toolchain.manifest.results["pulumi-resource-terraform-provider"].binary;
const home = path.join(cacheDir(), "schema", "pulumi-home");
fs.mkdirSync(home, { recursive: true });
const r = spawnSync(toolchain.manifest.results.pulumi.binary, ["package", "get-schema", bridge, source, version], {
  cwd: path.join(cacheDir(), "schema"),
  encoding: "utf8",
  maxBuffer: 256 * 1024 * 1024,
  env: {
    ...process.env,
    PULUMI_HOME: home,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_DYNAMIC_TF_PLUGIN_CACHE_DIR: tfPluginDir(),
  },
});
if (r.status !== 0) {
  console.error(`lab:schema: pulumi package get-schema failed (${r.status}):\n${r.stderr || r.stdout}`);
  process.exit(1);
}
const schema = JSON.parse(r.stdout);
const out = path.join(cacheDir(), "schema", `libvirt-${version}.json`);
fs.writeFileSync(out, `${JSON.stringify(schema, null, 2)}\n`);
console.log(`lab:schema: ${out}: ${schema.name} ${schema.version}, ${Object.keys(schema.resources || {}).length} resources, parameterization ${JSON.stringify(schema.parameterization && schema.parameterization.baseProvider)}`);
if (process.argv.includes("--derive")) {
  const d = spawnSync(process.execPath, [path.join(ROOT, "scripts", "derive-libvirt-fixture.js"), out], { cwd: ROOT, stdio: "inherit" });
  process.exit(d.status ?? 1);
}
