#!/usr/bin/env node
// Derives the CRD manifests the platform applies before each release (platform/chart-crds.ts), from
// the `crds/` folders of each pinned chart archive: the files Helm would install once on a first
// install and never upgrade. The program applies them with server-side apply on every run, and the
// releases skip them (`skipCrds`), so a chart bump brings its CRDs along.
//
//   node scripts/derive-chart-crds.js [chartsDir] [outDir] [--only <key>@<version>,...]
//
// chartsDir (default ../shared/charts beside the repository) holds chart archives named as a Helm
// repository serves them, `<chart name>-<version>.tgz`. For a version bump, pull the archives the
// way Helm does and derive from them (the script prints these commands for any archive it misses):
//   helm pull traefik --repo https://traefik.github.io/charts --version 41.3.0 -d /tmp/charts
//   helm pull oci://quay.io/strimzi-helm/strimzi-kafka-operator --version 1.2.0 -d /tmp/charts
//   node scripts/derive-chart-crds.js /tmp/charts
// A chart mirror (one classic repository serving every pinned chart) works the same way:
// `helm pull <chart name> --repo <mirror> --version <v>`.
//
// outDir (default platform/crds) gets `<key>-<version>.json` per chart of versions.ts (CHARTS) whose
// archive has CRDs in crds/ (its own or an enabled-by-default subchart's, as Helm collects them), and
// per earlier release a stack may hold it at (EARLIER_CHARTS, `chartVersions`); other versions of
// the same key there are removed. `--only traefik@41.1.1,...` derives just those
// (for test fixtures of earlier releases) and removes nothing.
//
// A manifest: chart name and version, the archive's sha256, each source file with its sha256, and
// the CRDs (status dropped, sorted by name), one per line so a diff shows which CRDs changed. When an
// earlier version of the same key was in outDir, the script prints what changed: CRDs added or
// removed, served/storage versions, and schema properties added or removed (a removed property or
// version needs a look: see docs/platform.md, "CRDs").
"use strict";

const crypto = require("crypto");
const { execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const YAML = require("yaml");

const repoRoot = path.resolve(__dirname, "..");

function parseArgs(argv) {
  const positional = [];
  let only;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--only") only = argv[++i];
    else if (argv[i].startsWith("--only=")) only = argv[i].slice("--only=".length);
    else positional.push(argv[i]);
  }
  return {
    chartsDir: path.resolve(positional[0] || path.join(repoRoot, "..", "shared", "charts")),
    outDir: path.resolve(positional[1] || path.join(repoRoot, "platform", "crds")),
    only: only ? Object.fromEntries(only.split(",").map((s) => s.split("@"))) : undefined,
  };
}

/** CHARTS and EARLIER_CHARTS from versions.ts (it imports nothing), transpiled the way plan/run.js runs the sources. */
function pinnedCharts() {
  const ts = require("typescript");
  const file = path.join(repoRoot, "versions.ts");
  const js = ts.transpileModule(fs.readFileSync(file, "utf8"), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const mod = { exports: {} };
  new Function("module", "exports", "require", js)(mod, mod.exports, require);
  return { charts: mod.exports.CHARTS, earlier: mod.exports.EARLIER_CHARTS || {} };
}

/** The chart's name in a repository index: an OCI reference ends in it. */
function chartName(chart) {
  return chart.startsWith("oci://") ? chart.slice(chart.lastIndexOf("/") + 1) : chart;
}

function helmPull(spec, version, dir) {
  return spec.chart.startsWith("oci://")
    ? `helm pull ${spec.chart} --version ${version} -d ${dir}`
    : `helm pull ${spec.chart} --repo ${spec.repo} --version ${version} -d ${dir}`;
}

/** Subchart directories (dependency names) whose `condition` is false in the chart's values.yaml. */
function disabledSubcharts(dir) {
  const read = (f) => (fs.existsSync(path.join(dir, f)) ? YAML.parse(fs.readFileSync(path.join(dir, f), "utf8")) || {} : {});
  const values = read("values.yaml");
  const lookup = (dotted) => dotted.split(".").reduce((v, k) => (v && typeof v === "object" ? v[k] : undefined), values);
  const off = new Set();
  for (const dep of read("Chart.yaml").dependencies || []) {
    // Helm takes the first of a comma-separated condition's paths that resolves to a boolean.
    const value = (dep.condition || "").split(",").map((c) => lookup(c.trim())).find((v) => typeof v === "boolean");
    if (value === false) off.add(dep.name);
  }
  return off;
}

const sha256 = (buf) => crypto.createHash("sha256").update(buf).digest("hex");

/**
 * Files Helm installs from crds/: `<chart>/crds/*.{yaml,yml,json}` and the same below each subchart
 * in charts/ (Helm's Chart.CRDObjects walks the dependencies), leaving out a subchart whose condition
 * is false in its parent's default values (Helm's ProcessDependencies drops it before the CRDs are
 * collected: Loki 7.3.0's grafana-agent-operator and rollout-operator are off by default).
 */
function crdFiles(root, chartDir) {
  const out = [];
  const walk = (dir) => {
    const crds = path.join(dir, "crds");
    if (fs.existsSync(crds)) {
      for (const f of fs.readdirSync(crds).sort()) {
        if (/\.(ya?ml|json)$/.test(f) && fs.statSync(path.join(crds, f)).isFile()) out.push(path.join(crds, f));
      }
    }
    const charts = path.join(dir, "charts");
    if (fs.existsSync(charts)) {
      const off = disabledSubcharts(dir);
      for (const sub of fs.readdirSync(charts).sort()) {
        const p = path.join(charts, sub);
        if (fs.statSync(p).isDirectory() && !off.has(sub)) walk(p);
      }
    }
  };
  walk(path.join(root, chartDir));
  return out;
}

/**
 * Charts that ship their CRDs as a file their templates render (so Helm would install, upgrade and,
 * on uninstall, delete them with the release) instead of crds/. The release turns that template off
 * and the program applies the file, rendered as the template would with the values the program sets.
 * snapshot-controller 5.2.0: templates/crds.yaml `tpl`s crds.yaml with the conversion webhook's
 * settings; the program sets `webhook.enabled: false` and no cert-manager issuer, so the CA injection
 * annotation and the webhook conversion blocks render to nothing.
 */
const TEMPLATED_CRDS = {
  "tekton-operator": {
    file: "templates/kubernetes-crds.yaml",
    // The whole file is one `if installCRDs` block (not OpenShift): its body is plain YAML.
    render: (text) => text.replace(/^\{\{- if \(and \(not \.Values\.openshift\.enabled\) \.Values\.installCRDs\) -\}\}\n/, "").replace(/\{\{- end -\}\}\s*$/, "\n"),
  },
  "snapshot-controller": {
    file: "crds.yaml",
    render: (text) =>
      text
        .replace(/^\s*\{\{ if \.InsertCaFrom \}\}.*\{\{ end \}\}\n/gm, "")
        .replace(/^\{\{- if \.WebhookEnabled \}\}\n[\s\S]*?^\{\{- end \}\}\n/gm, ""),
  },
};

/** JSONSchemaProps fields that are maps of schemas, and those that are lists of schemas. */
const SCHEMA_MAPS = ["properties", "patternProperties", "definitions"];
const SCHEMA_LISTS = ["allOf", "anyOf", "oneOf"];
/** JSONSchemaProps fields the apiserver omits when empty (`omitempty` on a Go map or slice). */
const OMIT_EMPTY = [...SCHEMA_MAPS, ...SCHEMA_LISTS, "dependencies", "required", "enum", "x-kubernetes-list-map-keys", "x-kubernetes-validations"];

/**
 * A CRD schema as the apiserver stores it: an empty map or list that the chart writes (Strimzi 1.2.0's
 * `status.clusterSecurity` has `properties: {}`) is dropped, as Go's `omitempty` drops it. The meaning
 * is the same, but the program applies the CRD with server-side apply on every run, and a field it
 * sends that the server never stores is a change on every run (the lab's no-op `up` found it).
 */
function asStored(schema) {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (OMIT_EMPTY.includes(key) && value !== null && typeof value === "object" && Object.keys(value).length === 0) continue;
    if (SCHEMA_MAPS.includes(key)) out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asStored(v)]));
    else if (SCHEMA_LISTS.includes(key)) out[key] = value.map(asStored);
    else if (key === "items") out[key] = Array.isArray(value) ? value.map(asStored) : asStored(value);
    else if (key === "additionalProperties" || key === "additionalItems" || key === "not") out[key] = asStored(value);
    else if (key === "dependencies") out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, Array.isArray(v) ? v : asStored(v)]));
    else out[key] = value;
  }
  return out;
}

/** A CRD as the apiserver stores it: every version's schema through asStored. */
function crdAsStored(crd) {
  const versions = (crd.spec.versions || []).map((v) =>
    v.schema && v.schema.openAPIV3Schema ? { ...v, schema: { ...v.schema, openAPIV3Schema: asStored(v.schema.openAPIV3Schema) } } : v,
  );
  return { ...crd, spec: { ...crd.spec, versions } };
}

function deriveManifest(archive, name, version) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chart-crds-"));
  try {
    execFileSync("tar", ["xzf", archive, "-C", tmp]);
    const chartYaml = YAML.parse(fs.readFileSync(path.join(tmp, name, "Chart.yaml"), "utf8"));
    if (chartYaml.name !== name || String(chartYaml.version) !== version) {
      throw new Error(`${archive}: Chart.yaml says ${chartYaml.name} ${chartYaml.version}, expected ${name} ${version}`);
    }
    const templated = TEMPLATED_CRDS[name];
    const files = templated ? [path.join(tmp, name, templated.file)] : crdFiles(tmp, name);
    const crds = [];
    for (const file of files) {
      const text = templated ? templated.render(fs.readFileSync(file, "utf8")) : fs.readFileSync(file, "utf8");
      if (templated && text.includes("{{")) throw new Error(`${path.relative(tmp, file)}: template actions left after rendering (the chart's crds.yaml changed?)`);
      for (const doc of YAML.parseAllDocuments(text)) {
        if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
        const obj = doc.toJSON();
        if (obj === null || obj === undefined) continue;
        if (obj.kind !== "CustomResourceDefinition" || obj.apiVersion !== "apiextensions.k8s.io/v1") {
          throw new Error(`${path.relative(tmp, file)}: ${obj.apiVersion}/${obj.kind} is not an apiextensions.k8s.io/v1 CustomResourceDefinition`);
        }
        delete obj.status;
        crds.push(crdAsStored(obj));
      }
    }
    crds.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const names = crds.map((c) => c.metadata.name);
    if (new Set(names).size !== names.length) throw new Error(`${archive}: a CRD name appears twice in crds/`);
    return {
      chart: name,
      version,
      archive: { file: path.basename(archive), sha256: sha256(fs.readFileSync(archive)) },
      files: files.map((f) => ({ path: path.relative(tmp, f), sha256: sha256(fs.readFileSync(f)) })),
      crds,
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** One CRD per line: a diff names the CRDs that changed. */
function serialize(manifest) {
  const { crds, ...head } = manifest;
  const lines = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  return `{\n${lines.join("\n")}\n  "crds": [\n${crds.map((c) => `    ${JSON.stringify(c)}`).join(",\n")}\n  ]\n}\n`;
}

/** Every property path of a CRD version's schema (`a.b[].c`). */
function schemaPaths(schema, prefix = "", out = new Set()) {
  if (!schema || typeof schema !== "object") return out;
  for (const [k, v] of Object.entries(schema.properties || {})) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.add(p);
    schemaPaths(v, p, out);
  }
  if (schema.items) schemaPaths(schema.items, `${prefix}[]`, out);
  if (schema.additionalProperties && typeof schema.additionalProperties === "object") schemaPaths(schema.additionalProperties, `${prefix}{}`, out);
  return out;
}

/** What changed from `before` to `after`, in lines for a reviewer; `removals` counts what SSA may keep (docs/platform.md). */
function describeChanges(before, after) {
  const lines = [];
  let removals = 0;
  const byName = (m) => new Map(m.crds.map((c) => [c.metadata.name, c]));
  const a = byName(before);
  const b = byName(after);
  for (const name of b.keys()) if (!a.has(name)) lines.push(`  + CRD ${name}`);
  for (const name of a.keys()) {
    if (!b.has(name)) {
      lines.push(`  - CRD ${name} (the program stops managing it; it stays in the cluster)`);
      removals++;
    }
  }
  for (const [name, crd] of b) {
    const old = a.get(name);
    if (!old || JSON.stringify(old) === JSON.stringify(crd)) continue;
    lines.push(`  ~ CRD ${name}`);
    const versions = (c) => new Map(c.spec.versions.map((v) => [v.name, v]));
    const va = versions(old);
    const vb = versions(crd);
    for (const [v, spec] of vb) {
      const was = va.get(v);
      if (!was) {
        lines.push(`      + version ${v}${spec.storage ? " (storage)" : ""}`);
        continue;
      }
      if (was.served !== spec.served || was.storage !== spec.storage) lines.push(`      ~ version ${v}: served ${was.served}->${spec.served}, storage ${was.storage}->${spec.storage}`);
      const pa = schemaPaths(was.schema && was.schema.openAPIV3Schema);
      const pb = schemaPaths(spec.schema && spec.schema.openAPIV3Schema);
      // Only the outermost added or removed property (its children come and go with it).
      const outermost = (paths) => paths.filter((p) => !paths.some((q) => q !== p && (p.startsWith(`${q}.`) || p.startsWith(`${q}[]`) || p.startsWith(`${q}{}`))));
      for (const p of outermost([...pb].filter((p) => !pa.has(p)))) lines.push(`      + ${v} ${p}`);
      for (const p of outermost([...pa].filter((p) => !pb.has(p)))) {
        lines.push(`      - ${v} ${p}`);
        removals++;
      }
    }
    for (const v of va.keys()) {
      if (!vb.has(v)) {
        lines.push(`      - version ${v}`);
        removals++;
      }
    }
  }
  return { lines, removals };
}

function main() {
  const { chartsDir, outDir, only } = parseArgs(process.argv.slice(2));
  const { charts, earlier: held } = pinnedCharts();
  // Each key's pinned version and the earlier releases a stack may hold it at (EARLIER_CHARTS).
  const keep = (key) => (only ? [only[key]] : [charts[key].version, ...(held[key] || [])]);
  const wanted = only ? Object.keys(only) : Object.keys(charts);
  for (const key of wanted) if (!charts[key]) throw new Error(`--only: ${key} is not a key of CHARTS in versions.ts`);
  fs.mkdirSync(outDir, { recursive: true });
  const missing = [];
  const derived = [];
  for (const [key, version] of wanted.flatMap((k) => keep(k).map((v) => [k, v]))) {
    const spec = charts[key];
    const name = chartName(spec.chart);
    const archive = path.join(chartsDir, `${name}-${version}.tgz`);
    if (!fs.existsSync(archive)) {
      missing.push(helmPull(spec, version, chartsDir));
      continue;
    }
    const manifest = deriveManifest(archive, name, version);
    if (manifest.crds.length === 0) continue;
    const target = path.join(outDir, `${key}-${version}.json`);
    const earlier = fs
      .readdirSync(outDir)
      .filter((f) => f.startsWith(`${key}-`) && f.endsWith(".json") && path.join(outDir, f) !== target && /^\d|^v\d/.test(f.slice(key.length + 1)))
      .filter((f) => only || !keep(key).includes(f.slice(key.length + 1, -".json".length)));
    for (const f of earlier) {
      const before = JSON.parse(fs.readFileSync(path.join(outDir, f), "utf8"));
      const { lines, removals } = describeChanges(before, manifest);
      console.log(`${key}: ${before.version} -> ${version}${lines.length ? "" : ": no CRD changed"}`);
      for (const l of lines) console.log(l);
      if (removals > 0) console.log(`  ${removals} removal(s): read docs/platform.md ("CRDs") before deploying this bump to a live stack`);
      if (!only) fs.rmSync(path.join(outDir, f));
    }
    fs.writeFileSync(target, serialize(manifest));
    derived.push(`${key}-${version}.json (${manifest.crds.length} CRDs)`);
  }
  console.log(`wrote ${derived.join(", ") || "nothing"} to ${path.relative(process.cwd(), outDir) || "."}`);
  if (missing.length > 0) {
    console.error(`missing chart archives in ${chartsDir}; pull them the way Helm does:\n  ${missing.join("\n  ")}`);
    process.exit(1);
  }
}

if (require.main === module) main();
module.exports = { deriveManifest, describeChanges, serialize, chartName, asStored };
