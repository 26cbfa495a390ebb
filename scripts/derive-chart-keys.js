#!/usr/bin/env node
// Derives the chart key fixtures the platform tests check Helm values against, from the default
// values of each pinned chart version (and copies the chart's values.schema.json where it ships one).
// Helm ignores a misspelt or renamed key without a word, so tests/platform-values.test.ts asserts that
// every key the program sets exists in the chart's defaults, using only these committed files.
//
//   node scripts/derive-chart-keys.js [referenceDir] [fixturesDir]
//
// Defaults: ../shared/reference/charts (relative to the repo root; one folder per chart version,
// named <chart>-<version>, holding values.yaml and optionally values.schema.json) and tests/fixtures.
// Writes chart-keys/<chart>-<version>.json and chart-schemas/<chart>-<version>.values.schema.json.
//
// Charts that ../shared does not hold are derived the same way from their upstream repository's
// tag (UPSTREAM below names it), fetched into a folder of the same layout:
//   mkdir -p /tmp/charts/cert-manager-v1.21.1
//   git -C <clone of github.com/cert-manager/cert-manager> show v1.21.1:deploy/charts/cert-manager/values.yaml \
//     >/tmp/charts/cert-manager-v1.21.1/values.yaml   (and values.schema.json likewise)
//   node scripts/derive-chart-keys.js /tmp/charts
// kured likewise, from github.com/kubereboot/charts (its chart tags are named kured-<version>):
//   mkdir -p /tmp/charts/kured-6.1.0
//   git -C <clone of github.com/kubereboot/charts> show kured-6.1.0:charts/kured/values.yaml \
//     >/tmp/charts/kured-6.1.0/values.yaml   (the chart ships no values.schema.json)
//   node scripts/derive-chart-keys.js /tmp/charts
// velero and snapshot-controller likewise (../shared/charts holds their archives, packaged unchanged):
//   mkdir -p /tmp/charts/velero-12.1.0 && tar -xzf ../shared/charts/velero-12.1.0.tgz -C /tmp && \
//     cp /tmp/velero/values.yaml /tmp/velero/values.schema.json /tmp/charts/velero-12.1.0/
// tekton-operator likewise (no values.schema.json): tar -xzf ../shared/charts/tekton-operator-0.81.1.tgz
//   -C /tmp && cp /tmp/tekton-operator/values.yaml /tmp/charts/tekton-operator-0.81.1/
// zot likewise (no values.schema.json in the chart):
//   mkdir -p /tmp/charts/zot-0.1.122 && tar -xzf ../shared/charts/zot-0.1.122.tgz -C /tmp && \
//     cp /tmp/zot/values.yaml /tmp/charts/zot-0.1.122/
// eck-operator 3.5.0, eck-stack 0.20.0, fluent-bit 0.58.1 and loki 7.3.0 likewise, each from its archive
// in ../shared/charts (loki with its values.schema.json).
// argo-cd likewise (the chart ships no values.schema.json):
//   mkdir -p /tmp/charts/argo-cd-10.1.1 && tar -xzf ../shared/charts/argo-cd-10.1.1.tgz -C /tmp && \
//     cp /tmp/argo-cd/values.yaml /tmp/charts/argo-cd-10.1.1/
// vertical-pod-autoscaler likewise (../shared/charts holds the archive of kubernetes/autoscaler's tag
// vertical-pod-autoscaler-chart-0.11.0; the chart ships no values.schema.json):
//   mkdir -p /tmp/charts/vertical-pod-autoscaler-0.11.0 && tar -xzf ../shared/charts/vertical-pod-autoscaler-0.11.0.tgz -C /tmp && \
//     cp /tmp/vertical-pod-autoscaler/values.yaml /tmp/charts/vertical-pod-autoscaler-0.11.0/
//
// A fixture holds:
//   keys  every key path of the defaults. Paths join keys with "."; a key containing ".", "[", "]" or
//         '"' is written as ["..."] (JSON string); the items of a list of objects are "<list>[]".
//   open  paths below which any key is allowed, each with the reason:
//         - the default is an empty map or list, a list of scalars, or null (no shape to check against);
//         - the default is a Kubernetes ResourceRequirements map (only limits/requests/claims keys);
//         - the path is a subchart's values (its own defaults are not part of this chart's file);
//         - the chart documents the map as free-form (DOCUMENTED_OPEN below, each with its source);
//         - the chart shows the map only commented out (DOCUMENTED_IN_COMMENTS below);
//         - a field of the custom resource the chart renders a whole map into (CRD_FIELDS below).
// A key path is valid when it is in `keys`, or when one of its ancestors is in `open`.
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");

const repoRoot = path.resolve(__dirname, "..");
const referenceDir = path.resolve(process.argv[2] || path.join(repoRoot, "..", "shared", "reference", "charts"));
const fixturesDir = path.resolve(process.argv[3] || path.join(repoRoot, "tests", "fixtures"));

/** Subcharts whose values sit under their alias; their defaults live in the subchart, not here. */
const SUBCHARTS = {
    "kube-prometheus-stack": ["grafana", "kube-state-metrics", "prometheus-node-exporter", "prometheus-windows-exporter"],
    "rook-ceph": ["ceph-csi-operator"],
    // The Elasticsearch and Kibana subcharts render their maps into the custom resources' specs
    // (checked against ECK's CRDs by tests/platform-logs.test.ts, not by these key lists).
    "eck-stack": ["eck-elasticsearch", "eck-kibana"],
};

/**
 * Maps a chart passes through to a custom resource, documented as such in its values.yaml (the
 * fields are shown in comments or in the linked CRD reference, not as defaults). Every entry must
 * exist in the defaults, so a renamed map fails the derivation instead of opening a wrong path.
 */
const DOCUMENTED_OPEN = {
    "rook-ceph-cluster": {
        "cephClusterSpec.storage": "CephCluster spec.storage: deviceFilter, nodes[].devices and config are documented in the chart's comments",
        "cephBlockPools[].spec": "CephBlockPool spec: the chart links the CRD reference for available configuration",
        "cephFileSystems[].spec": "CephFilesystem spec: the chart links the CRD reference for available configuration",
        "cephObjectStores[].spec": "CephObjectStore spec: the chart links the CRD reference for available configuration",
    },
    "ceph-csi-drivers": {
        // The reference file is the values Rook publishes for this chart: it names each driver and the
        // operator config, and the chart renders the rest of each map field by field into the
        // csi.ceph.io/v1 Driver and OperatorConfig specs (nodePlugin/controllerPlugin resources,
        // replicas, tolerations), with the chart's own defaults underneath.
        "drivers.rbd": "csi.ceph.io/v1 Driver spec of the RBD driver (templates/driver.yaml)",
        "drivers.cephfs": "csi.ceph.io/v1 Driver spec of the CephFS driver (templates/driver.yaml)",
        "drivers.nfs": "csi.ceph.io/v1 Driver spec of the NFS driver (templates/driver.yaml)",
        "drivers.nvmeof": "csi.ceph.io/v1 Driver spec of the NVMe-oF driver (templates/driver.yaml)",
        "operatorConfig.driverSpecDefaults": "csi.ceph.io/v1 OperatorConfig spec.driverSpecDefaults (templates/operatorConfig.yaml)",
    },
    "eck-operator": {
        podSecurityContext: "the operator pod's Kubernetes PodSecurityContext, rendered whole (templates/statefulset.yaml `securityContext: toYaml .Values.podSecurityContext`)",
    },
    loki: {
        "loki.limits_config": "Loki's limits_config block (retention_period, ...), rendered whole into its config (values.yaml loki.config: `tpl (.Values.loki.limits_config | toYaml)`)",
    },
    "argo-cd": {
        "configs.cm": "argocd-cm: values.yaml says any value under configs.cm is passed to the ConfigMap (templates/_helpers.tpl argo-cd.config.cm merges it over the presets)",
        "configs.params": "argocd-cmd-params-cm: values.yaml says parameters are customized by adding them here (templates/_helpers.tpl argo-cd.config.params)",
    },
    "vertical-pod-autoscaler": {
        podSecurityContext:
            "the pods' securityContext (PodSecurityContext), rendered whole with toYaml (templates/recommender-deployment.yaml, `with .Values.podSecurityContext`)",
    },
    velero: {
        "configuration.repositoryMaintenanceJob.repositoryConfigData.global":
            "Velero's repository maintenance configuration (keepLatestMaintenanceJobs, podResources, ...), rendered whole as JSON (templates/repo-maintenance-configmap.yaml)",
    },
};

/**
 * Maps a chart passes through to a custom resource but shows only commented out in its values.yaml
 * (so they are no default): each names the comment line that must be in the file, so a chart that
 * drops it fails the derivation. The path is added as a key and opened below.
 */
const DOCUMENTED_IN_COMMENTS = {
    "kube-prometheus-stack": {
        "alertmanager.alertmanagerSpec.configSecret": {
            comment: "    # configSecret:",
            reason: "Alertmanager spec.configSecret (the Secret holding alertmanager.yaml), a string shown commented out in the chart",
        },
    },
    "rook-ceph-cluster": {
        "cephClusterSpec.placement": {
            comment: "  # placement:",
            reason: "CephCluster spec.placement (all, mon, osd, mgr, ...: Kubernetes affinity and tolerations), shown commented out in the chart",
        },
    },
};

/**
 * Fields of a custom resource whose spec the chart renders verbatim from one map of its values, but
 * which the chart's values.yaml neither sets nor mentions. Each names its source; its parent must be a
 * key of the defaults. The path is added as a key and opened below.
 */
const CRD_FIELDS = {
    "rook-ceph-cluster": {
        "cephClusterSpec.cephConfig":
            "CephCluster spec.cephConfig (Rook v1.20.6 Documentation/CRDs/Cluster/ceph-cluster-crd.md, \"Ceph Config\"; " +
            "deploy/examples/cluster-test.yaml sets it); templates/cephcluster.yaml renders cephClusterSpec into the spec with toYaml",
    },
};

/**
 * Top-level keys a chart's templates read but its values.yaml neither sets nor mentions (zot's
 * StatefulSet renders `.Values.resources`, `.Values.podSecurityContext` and `.Values.securityContext`
 * with toYaml). Each names the template; the path is added as a key and opened below.
 */
const TEMPLATE_FIELDS = {
    zot: {
        resources: "templates/statefulset.yaml and deployment.yaml: `resources: {{- toYaml .Values.resources | nindent 12 }}`",
        podSecurityContext: "templates/statefulset.yaml and deployment.yaml: the pod's `securityContext: {{- toYaml .Values.podSecurityContext }}`",
        securityContext: "templates/statefulset.yaml and deployment.yaml: the container's `securityContext: {{- toYaml .Values.securityContext }}`",
    },
};

/** Where a chart's values come from when they are not in ../shared: its repository, tag and path. */
const UPSTREAM = {
    "cert-manager": (version) => `github.com/cert-manager/cert-manager ${version}:deploy/charts/cert-manager/values.yaml`,
    kured: (version) => `github.com/kubereboot/charts kured-${version}:charts/kured/values.yaml`,
    // Also in ../shared/charts as archives packaged unchanged from these tags (its README).
    velero: (version) => `github.com/vmware-tanzu/helm-charts velero-${version}:charts/velero/values.yaml`,
    // Also in ../shared/charts as an archive packaged unchanged from this tag.
    "argo-cd": (version) => `github.com/argoproj/argo-helm argo-cd-${version}:charts/argo-cd/values.yaml`,
    "vertical-pod-autoscaler": (version) =>
        `github.com/kubernetes/autoscaler vertical-pod-autoscaler-chart-${version}:vertical-pod-autoscaler/charts/vertical-pod-autoscaler/values.yaml`,
    "snapshot-controller": (version) => `github.com/piraeusdatastore/helm-charts snapshot-controller-${version}:charts/snapshot-controller/values.yaml`,
    // ../shared/charts holds the archive (published as an OCI chart); its values.yaml is the tag's.
    "tekton-operator": (version) => `github.com/tektoncd/operator v${version}:charts/tekton-operator/values.yaml`,
    // ../shared/charts holds its archive, packaged unchanged from this tag (its README).
    zot: (version) => `github.com/project-zot/helm-charts zot-${version}:charts/zot/values.yaml`,
    // The logs opt-in's charts, likewise (../shared/charts/README.md names each tag).
    "eck-operator": (version) => `github.com/elastic/cloud-on-k8s v${version}:deploy/eck-operator/values.yaml`,
    "eck-stack": () => "github.com/elastic/cloud-on-k8s v3.5.0:deploy/eck-stack/values.yaml",
    "fluent-bit": (version) => `github.com/fluent/helm-charts fluent-bit-${version}:charts/fluent-bit/values.yaml`,
    loki: (version) => `github.com/grafana/loki helm-loki-${version}:production/helm/loki/values.yaml`,
};

const RESOURCE_KEYS = new Set(["limits", "requests", "claims"]);

function isMap(v) {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function segment(key) {
    return /[.[\]"]/.test(key) ? `[${JSON.stringify(key)}]` : key;
}

function join(parent, key) {
    const seg = segment(key);
    if (parent === "") return seg;
    return seg.startsWith("[") ? `${parent}${seg}` : `${parent}.${seg}`;
}

function derive(values) {
    const keys = new Set();
    const open = {};
    const walk = (node, at) => {
        if (node === null || node === undefined) {
            if (at) open[at] = "null default (no shape to check against)";
            return;
        }
        if (Array.isArray(node)) {
            if (node.length === 0) open[at] = "empty list in the defaults";
            else if (!node.every(isMap)) open[at] = "list of scalars in the defaults";
            else {
                keys.add(`${at}[]`);
                for (const item of node) walk(item, `${at}[]`);
            }
            return;
        }
        if (!isMap(node)) return;
        const entries = Object.entries(node);
        if (at && entries.length === 0) {
            open[at] = "empty map in the defaults";
            return;
        }
        if (at && entries.every(([k]) => RESOURCE_KEYS.has(k))) {
            open[at] = "Kubernetes ResourceRequirements (limits/requests)";
        }
        for (const [k, v] of entries) {
            const child = join(at, k);
            keys.add(child);
            walk(v, child);
        }
    };
    walk(values, "");
    return { keys, open };
}

function splitFolder(folder) {
    const m = /^(.+)-(v?\d+\.\d+\.\d+)$/.exec(folder);
    if (!m) throw new Error(`${folder}: expected a folder named <chart>-<version>`);
    return { chart: m[1], version: m[2] };
}

function main() {
    const folders = fs
        .readdirSync(referenceDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && fs.existsSync(path.join(referenceDir, d.name, "values.yaml")))
        .map((d) => d.name)
        .sort();
    if (folders.length === 0) throw new Error(`no <chart>-<version>/values.yaml under ${referenceDir}`);
    fs.mkdirSync(path.join(fixturesDir, "chart-keys"), { recursive: true });
    fs.mkdirSync(path.join(fixturesDir, "chart-schemas"), { recursive: true });

    for (const folder of folders) {
        const { chart, version } = splitFolder(folder);
        const text = fs.readFileSync(path.join(referenceDir, folder, "values.yaml"), "utf8");
        const { keys, open } = derive(YAML.parse(text) ?? {});
        for (const sub of SUBCHARTS[chart] || []) {
            if (!keys.has(sub)) throw new Error(`${folder}: subchart values "${sub}" not in the defaults`);
            open[sub] = "subchart values (checked by the subchart's own defaults, not this file)";
        }
        for (const [p, reason] of Object.entries(DOCUMENTED_OPEN[chart] || {})) {
            if (!keys.has(p)) throw new Error(`${folder}: documented free-form map "${p}" not in the defaults`);
            open[p] = `documented free-form: ${reason}`;
        }
        for (const [p, { comment, reason }] of Object.entries(DOCUMENTED_IN_COMMENTS[chart] || {})) {
            if (!text.split("\n").includes(comment)) throw new Error(`${folder}: documented map "${p}" not shown as "${comment.trim()}" in the chart's comments`);
            const parent = p.split(".").slice(0, -1).join(".");
            if (parent && !keys.has(parent)) throw new Error(`${folder}: "${parent}" (parent of "${p}") not in the defaults`);
            keys.add(p);
            open[p] = `documented in comments: ${reason}`;
        }
        for (const [p, reason] of Object.entries(CRD_FIELDS[chart] || {})) {
            const parent = p.split(".").slice(0, -1).join(".");
            if (!keys.has(parent)) throw new Error(`${folder}: "${parent}" (parent of the custom resource field "${p}") not in the defaults`);
            keys.add(p);
            open[p] = `custom resource field: ${reason}`;
        }
        for (const [p, reason] of Object.entries(TEMPLATE_FIELDS[chart] || {})) {
            if (keys.has(p)) throw new Error(`${folder}: "${p}" is in the defaults now; drop it from TEMPLATE_FIELDS`);
            keys.add(p);
            open[p] = `read by the templates only: ${reason}`;
        }
        const fixture = {
            chart,
            version,
            derivedFrom: UPSTREAM[chart] ? UPSTREAM[chart](version) : `shared/reference/charts/${folder}/values.yaml`,
            sha256: crypto.createHash("sha256").update(text).digest("hex"),
            open: Object.fromEntries(Object.entries(open).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
            keys: [...keys].sort(),
        };
        const out = path.join(fixturesDir, "chart-keys", `${folder}.json`);
        fs.writeFileSync(out, `${JSON.stringify(fixture, null, 1)}\n`);
        let note = `${fixture.keys.length} keys, ${Object.keys(fixture.open).length} open`;

        const schema = path.join(referenceDir, folder, "values.schema.json");
        if (fs.existsSync(schema)) {
            fs.copyFileSync(schema, path.join(fixturesDir, "chart-schemas", `${folder}.values.schema.json`));
            note += ", schema copied";
        }
        console.log(`${path.relative(repoRoot, out)}: ${note}`);
    }
}

if (require.main === module) main();

module.exports = { derive, join, segment };
