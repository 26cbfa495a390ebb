#!/usr/bin/env node
// Derives tests/fixtures/tekton/pipeline-<version>-crds.json: the CRDs of Tekton Pipelines' Task,
// Pipeline and PipelineRun at the version the pinned operator installs (versions.ts CHARTS
// tektonOperator.pipelinesVersion), from a checkout of github.com/tektoncd/pipeline at that tag. The
// tests validate the rendered Task, Pipeline and PipelineRun against their v1 schemas; the Kubernetes
// lab may apply them where no operator runs (STAND-IN for the CRDs the operator installs).
//
//   git -C <clone of github.com/tektoncd/pipeline> archive v1.15.0 config/300-crds | tar -x -C /tmp/pipeline
//   node scripts/derive-tekton-crds.js /tmp/pipeline v1.15.0
"use strict";

const fs = require("fs");
const path = require("path");
const YAML = require("yaml");

const [dir, version] = process.argv.slice(2);
if (!dir || !version) {
  console.error("usage: derive-tekton-crds.js <checkout of tektoncd/pipeline at the tag> <tag>");
  process.exit(2);
}
const files = ["300-task.yaml", "300-pipeline.yaml", "300-pipelinerun.yaml"].map((f) => path.join("config", "300-crds", f));
const crds = files.map((f) => {
  const crd = YAML.parse(fs.readFileSync(path.join(dir, f), "utf8"));
  if (crd.kind !== "CustomResourceDefinition") throw new Error(`${f} is not a CRD`);
  delete crd.status;
  return crd;
});
const out = path.join(__dirname, "..", "tests", "fixtures", "tekton", `pipeline-${version}-crds.json`);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify({ derivedFrom: `github.com/tektoncd/pipeline ${version}:config/300-crds`, files, crds })}\n`);
console.log(`wrote ${path.relative(process.cwd(), out)} (${crds.map((c) => c.metadata.name).join(", ")})`);
