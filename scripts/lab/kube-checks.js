/**
 * What lab:kube's day-two steps check, as pure functions (tests/lab-kube.test.ts): a preview held to
 * exactly the changes the docs name, and the CRDs in the apiserver held to a chart's manifest
 * (platform/crds/<key>-<version>.json).
 */
"use strict";

/**
 * Where `steps` (common.js previewSteps) differ from `expected`: `{ "<op> <Kind> <name>": paths }`,
 * each the exact sorted list of changed property paths the docs say the step has (its detailed
 * diff), or `null` when any paths do (creates and deletes have none). Returns the problems, one line
 * each: a step that is not expected, an expected one that is missing, other paths.
 */
function previewProblems(steps, expected) {
  const problems = [];
  const seen = new Set();
  for (const s of steps) {
    const id = `${s.op} ${s.kind} ${s.name}`;
    seen.add(id);
    if (!(id in expected)) {
      problems.push(`unexpected: ${id}${s.changed.length ? ` [${s.changed.join(", ")}]` : ""}`);
      continue;
    }
    const want = expected[id];
    if (want !== null && JSON.stringify(s.changed) !== JSON.stringify([...want].sort())) {
      problems.push(`${id} changes [${s.changed.join(", ")}], not [${[...want].sort().join(", ")}]`);
    }
  }
  for (const id of Object.keys(expected)) if (!seen.has(id)) problems.push(`missing: ${id}`);
  return problems;
}

/** A CRD's versions as compared: name, served, storage and the schema, by version name. */
function versionsOf(crd) {
  return Object.fromEntries(
    (crd.spec.versions || []).map((v) => [v.name, { served: v.served, storage: v.storage, schema: (v.schema || {}).openAPIV3Schema }]),
  );
}

/** Sorts object keys at every level, so two schemas compare by content, not by key order. */
function canonical(x) {
  if (Array.isArray(x)) return x.map(canonical);
  if (x && typeof x === "object") return Object.fromEntries(Object.keys(x).sort().map((k) => [k, canonical(x[k])]));
  return x;
}

/**
 * The CRDs of `manifest` (a platform/crds file) that the apiserver's `served` list (the items of
 * GET customresourcedefinitions) lacks or holds with other versions or schemas; empty when the
 * cluster has exactly the manifest's CRDs.
 */
function crdDrift(manifest, served) {
  const byName = new Map(served.map((c) => [c.metadata.name, c]));
  const drift = [];
  for (const crd of manifest.crds) {
    const live = byName.get(crd.metadata.name);
    if (!live) drift.push(`${crd.metadata.name}: absent`);
    else if (JSON.stringify(canonical(versionsOf(live))) !== JSON.stringify(canonical(versionsOf(crd)))) drift.push(`${crd.metadata.name}: other versions or schema`);
  }
  return drift;
}

module.exports = { previewProblems, crdDrift };
