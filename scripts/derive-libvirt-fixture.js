#!/usr/bin/env node
// Derives tests/fixtures/libvirt-schema-properties.json from a libvirt package schema. The committed
// fixture is what tests/libvirt-sdk.test.ts compares the hand-written SDK against, so the test runs
// without the schema. The committed fixture comes from the REAL schema: `npm run lab:schema -- --derive`
// asks the dynamic bridge 1.1.3 (built by `npm run lab:build`), parameterized with
// registry.opentofu.org/dmacvicar/libvirt 0.8.3, for it and runs this script on it.
//
//   node scripts/derive-libvirt-fixture.js [schema.json] [out.json]
//
// Defaults: $FMC_LAB_CACHE/schema/libvirt-0.8.3.json (lab:schema's output) and
// tests/fixtures/libvirt-schema-properties.json. The 0.5.4 reference schema in
// ../shared/reference/libvirt (the bridged pulumi-libvirt, same provider line) also derives, for
// comparison: its names differ (cloudInitDisk, no `<resource>Id`, no `timeouts`).
"use strict";

const fs = require("fs");
const path = require("path");

const repoRoot = path.resolve(__dirname, "..");
const labCache = process.env.FMC_LAB_CACHE || path.join(require("os").homedir(), ".cache", "flatcarmicrocloud-lab");
const schemaPath = path.resolve(process.argv[2] || path.join(labCache, "schema", "libvirt-0.8.3.json"));
const outPath = path.resolve(process.argv[3] || path.join(repoRoot, "tests", "fixtures", "libvirt-schema-properties.json"));

const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));

// On the `pulumi package add terraform-provider` route the module and type names come from the
// Terraform resource name split on "_": libvirt_cloudinit_disk -> cloudinitDisk/CloudinitDisk, where
// the 0.5.4 bridged schema had a hand-set cloudInitDisk/CloudInitDisk.
const ROUTE_RENAMES = {
    "libvirt:index/cloudInitDisk:CloudInitDisk": "libvirt:index/cloudinitDisk:CloudinitDisk",
};

const sorted = (xs) => [...xs].sort();

/** Names of the object types a property refers to (directly, through arrays or maps). */
function typeRefs(prop) {
    if (!prop) return [];
    if (prop.$ref) {
        const m = /^#\/types\/(.+)$/.exec(prop.$ref);
        return m ? [m[1]] : [];
    }
    if (prop.type === "array") return typeRefs(prop.items);
    if (prop.type === "object") return typeRefs(prop.additionalProperties);
    return [];
}

const usedTypes = new Set();
function collectTypes(props) {
    for (const p of Object.values(props || {})) {
        for (const t of typeRefs(p)) {
            if (!usedTypes.has(t)) {
                usedTypes.add(t);
                const spec = schema.types[t];
                if (!spec) throw new Error(`schema type ${t} is referenced but not defined`);
                collectTypes(spec.properties);
            }
        }
    }
}

function entry(spec) {
    const inputs = spec.inputProperties || {};
    const outputs = spec.properties || {};
    const state = (spec.stateInputs && spec.stateInputs.properties) || null;
    collectTypes(inputs);
    collectTypes(outputs);
    const e = {
        inputs: sorted(Object.keys(inputs)),
        requiredInputs: sorted(spec.requiredInputs || []),
        outputs: sorted(Object.keys(outputs)),
        requiredOutputs: sorted(spec.required || []),
    };
    if (state) e.stateInputs = sorted(Object.keys(state));
    const deprecated = Object.keys(outputs).filter((k) => outputs[k].deprecationMessage);
    if (deprecated.length) e.deprecated = sorted(deprecated);
    return e;
}

const resources = {};
for (const token of sorted(Object.keys(schema.resources))) {
    const routeToken = ROUTE_RENAMES[token] || token;
    resources[routeToken] = { schemaToken: token, ...entry(schema.resources[token]) };
}

const provider = { token: "pulumi:providers:libvirt", ...entry(schema.provider) };

const types = {};
for (const t of sorted(usedTypes)) {
    const spec = schema.types[t];
    const nodejs = (spec.language && spec.language.nodejs) || {};
    types[t.split(":").pop()] = {
        properties: sorted(Object.keys(spec.properties || {})),
        required: sorted(spec.required || []),
        requiredOutputs: sorted(new Set([...(spec.required || []), ...(nodejs.requiredOutputs || [])])),
    };
}

const fixture = {
    $comment:
        `Derived by scripts/derive-libvirt-fixture.js from ${path.basename(schemaPath)}` +
        (schema.parameterization
            ? ` (the real schema: dynamic bridge ${schema.parameterization.baseProvider.name} ${schema.parameterization.baseProvider.version} parameterized with dmacvicar/libvirt ${schema.version}, npm run lab:schema)`
            : " (resource tokens mapped to the `pulumi package add terraform-provider` route used by sdks/libvirt 0.8.3)") +
        ".",
    source: path.basename(schemaPath),
    provider,
    resources,
    types,
};

fs.mkdirSync(path.dirname(outPath), { recursive: true });
// Compact: objects indented, lists of names kept on one line.
const text = JSON.stringify(fixture, null, 2).replace(/\[\s*("[^"]*"(?:,\s*"[^"]*")*)\s*\]/g, (_, items) =>
    "[" + items.split(/,\s*/).join(", ") + "]",
);
fs.writeFileSync(outPath, text + "\n");
console.log(
    `wrote ${path.relative(process.cwd(), outPath)}: ${Object.keys(resources).length} resources, ` +
        `${Object.keys(types).length} types`,
);
