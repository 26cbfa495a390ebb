/**
 * The kwok stages of `npm run lab:kube` (docs/lab.md). Standalone kwok has no built-in stages:
 *
 * - from the kwok module, unchanged (lab:build copies them to the cache): node initialize, node
 *   heartbeat with a lease, pod ready, pod complete (Jobs finish), pod delete;
 * - from the kwok module's volume stages, with one change: they bind claims of the program's storage
 *   classes (Rook's `ceph-block`) instead of kwok's own `kwok-volume` class. STAND-IN for Ceph CSI
 *   provisioning a volume;
 * - the lab's own: a LoadBalancer Service gets an ingress address (STAND-IN for a load balancer
 *   controller; K3s's servicelb is disabled by the program, so only a chart default could ask);
 * - the lab's own: custom resources the program awaits (`pulumi.com/waitFor: condition=Ready`) get a
 *   Ready condition (STAND-IN for the operator: Strimzi, Rook), once the apiserver
 *   accepted them. kwok refuses a stage whose kind does not exist yet, so each runs in a kwok of its
 *   own, started when its CRD appears (READY_KINDS). cert-manager's ClusterIssuers and Certificates
 *   are not among them: kube-issuer.js stands in for cert-manager's issuing (a Certificate is Ready
 *   only with its Secret, which the program reads for the CA).
 */
"use strict";
const fs = require("fs");
const path = require("path");

const MODULE_STAGES = ["node/fast/node-initialize.yaml", "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml", "pod/fast/pod-ready.yaml", "pod/fast/pod-complete.yaml", "pod/fast/pod-delete.yaml"];
const VOLUME_STAGES = ["volume/fast/pvc-provision.yaml", "volume/fast/pv-bind.yaml", "volume/fast/pvc-delete.yaml", "volume/fast/pv-delete.yaml"];
const KWOK_CLASS = "self.spec.storageClassName == 'kwok-volume'";

const LOAD_BALANCER_STAGE = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: fmc-lab-service-load-balancer
spec:
  resourceRef:
    apiGroup: v1
    kind: Service
  selector:
    matchExpressions:
    - cel:
        expression: >-
          self.spec.type == 'LoadBalancer'
    - cel:
        expression: >-
          !has(self.status.loadBalancer.ingress)
  steps:
  - patch:
      root: status
      subresource: status
      template: |
        loadBalancer:
          ingress:
          - ip: 10.231.255.1
            ipMode: VIP
`;

/** Custom resources an operator would mark Ready, which the program may await. */
const READY_KINDS = [
  { group: "kafka.strimzi.io", kind: "Kafka", operator: "Strimzi" },
  { group: "ceph.rook.io", kind: "CephCluster", operator: "Rook" },
];

/** A stage that sets Ready=True on every object of `kind` not yet Ready, saying who stands in. */
function readyStage({ group, version, kind, operator }) {
  return `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: fmc-lab-ready-${kind.toLowerCase()}
spec:
  resourceRef:
    apiGroup: ${group}/${version}
    kind: ${kind}
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: 'NotIn'
      values:
      - 'True'
  next:
    statusTemplate: |
      conditions:
      - type: Ready
        status: "True"
        reason: LabStandIn
        message: "set by the lab's kwok stage in place of ${operator}, which does not run here"
        lastTransitionTime: {{ Now | Quote }}
`;
}

/** A module volume stage selecting the program's storage classes; refuses a file it does not recognise. */
function forClasses(text, file, classes) {
  if (!text.includes(KWOK_CLASS)) throw new Error(`${file}: no "${KWOK_CLASS}" selector to rewrite (kwok's stages changed?)`);
  const list = classes.map((c) => `'${c}'`).join(", ");
  return text.replace(KWOK_CLASS, `self.spec.storageClassName in [${list}]`).replace(/^(  name: )(.+)$/m, "$1fmc-lab-$2");
}

/** Writes the stage files into `dir`; returns their paths (kwok's --config). */
function writeStages(moduleStages, dir, { storageClasses, extra = [] }) {
  fs.mkdirSync(dir, { recursive: true });
  const files = [];
  const put = (name, text) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    files.push(f);
  };
  for (const rel of MODULE_STAGES) put(rel.replace(/\//g, "_"), fs.readFileSync(path.join(moduleStages, rel), "utf8"));
  for (const rel of VOLUME_STAGES) put(`fmc-lab_${rel.replace(/\//g, "_")}`, forClasses(fs.readFileSync(path.join(moduleStages, rel), "utf8"), rel, storageClasses));
  put("fmc-lab_service-load-balancer.yaml", LOAD_BALANCER_STAGE);
  for (const [name, text] of extra) put(name, text);
  return files;
}

module.exports = { writeStages, forClasses, readyStage, READY_KINDS, MODULE_STAGES, VOLUME_STAGES, LOAD_BALANCER_STAGE };
