/**
 * `npm run lab:kube`'s simulated cluster is the stack's own (docs/lab.md): its KWOK nodes carry the
 * names, labels, taints and allocatable resources stage 2 gives the K3s nodes, taken from the
 * program's modules, so the real scheduler checks the program's capacity claims; its volume stages
 * bind the program's storage class, and nothing else changes in kwok's stages.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { allocatable } from "../cluster/reservations";
import { STORAGE_NODE_LABEL } from "../cluster/k3s-config";
import { readStackFile } from "../plan/stack-config";
import { parseTopology } from "../config/validate";
import { STORAGE_CLASS } from "../platform/values/rook";
import { parse } from "yaml";
import { labStackConfig, parseTaint, stackKwokNodes } from "../scripts/lab/kube-nodes";
import { parseExistingCluster, VM_ONLY_KEYS } from "../config/existing-cluster";
import { k3sClusterFacts } from "../cluster/facts";
import { stackCapacity } from "../apps/capacity";
import { parseApps } from "../config/apps";
import { parsePlatformSettings } from "../config/platform";

const ROOT = path.join(__dirname, "..");

describe("KWOK nodes of the prod stack", () => {
  const nodes = stackKwokNodes(ROOT, "prod", "v1.36.5");
  const topology = parseTopology(readStackFile(ROOT, "prod").config, "prod");
  const byName = Object.fromEntries(nodes.map((n) => [n.metadata.name, n]));

  it("has one node per K3s VM, named as the VM", () => {
    const k3s = topology.vms.filter((vm) => vm.role === "k3s-server" || vm.role === "k3s-agent").map((vm) => vm.name);
    expect(nodes.map((n) => n.metadata.name)).toEqual(k3s);
  });

  it("reports the capacity model's allocatable (after the K3s reservations) and the VM's capacity", () => {
    for (const vm of topology.vms.filter((v) => byName[v.name])) {
      const a = allocatable(vm);
      expect(byName[vm.name].status.allocatable).toEqual({ cpu: `${a.cpuMilli}m`, memory: `${a.memoryMiB}Mi`, pods: "110" });
      expect(byName[vm.name].status.capacity).toEqual({ cpu: `${vm.vcpus}`, memory: `${vm.memoryMiB}Mi`, pods: "110" });
    }
    // Less than the VM: the reservations are really subtracted.
    expect(Number(byName.worker1.status.allocatable.memory.replace("Mi", ""))).toBeLessThan(6400);
  });

  it("taints and labels the servers as K3s does, and labels the Ceph nodes for Rook", () => {
    expect(byName.bootstrap1.spec.taints).toEqual([{ key: "node-role.kubernetes.io/control-plane", value: "true", effect: "NoSchedule" }]);
    expect(byName.bootstrap1.metadata.labels).toMatchObject({ "node-role.kubernetes.io/control-plane": "true", "kubernetes.io/hostname": "bootstrap1" });
    expect(byName.worker1.spec.taints).toBeUndefined();
    expect(byName.worker1.metadata.labels[STORAGE_NODE_LABEL.key]).toBe(STORAGE_NODE_LABEL.value);
    expect(byName.bootstrap1.metadata.labels[STORAGE_NODE_LABEL.key]).toBeUndefined();
    expect(byName.worker1.status.addresses).toContainEqual({ type: "InternalIP", address: "10.17.4.24" });
    for (const n of nodes) expect(n.metadata.annotations["kwok.x-k8s.io/node"]).toBe("fake");
  });

  it("parses K3s taint syntax, refusing anything else", () => {
    expect(parseTaint("dedicated:NoExecute")).toEqual({ key: "dedicated", effect: "NoExecute" });
    expect(() => parseTaint("dedicated=x")).toThrow(/not key\[=value\]:Effect/);
  });
});

describe("the lab's kube stack: prod's stages 3-4 onto the lab cluster as an existing cluster", () => {
  const { config, dropped } = labStackConfig(ROOT, "prod");
  const nodes = stackKwokNodes(ROOT, "prod", "v1.36.5");

  it("describes the KWOK nodes as existingNodes, which the program's validator accepts as the same nodes", () => {
    const parsed = parseExistingCluster({ existingNodes: config.existingNodes });
    expect(parsed.nodes.map((n) => n.name)).toEqual(nodes.map((n) => n.metadata.name));
    for (const n of parsed.nodes) {
      const kwok = nodes.find((k) => k.metadata.name === n.name);
      expect(kwok?.status.allocatable).toMatchObject({ cpu: `${n.allocatable.cpuMilli}m`, memory: `${n.allocatable.memoryMiB}Mi` });
    }
  });

  it("keeps no key of stages 1-2 and the stage 3-4 keys as prod has them", () => {
    expect(Object.keys(config).filter((k) => VM_ONLY_KEYS.includes(k))).toEqual([]);
    expect(config.domain).toBe(readStackFile(ROOT, "prod").config.domain);
    expect(dropped).toEqual(expect.arrayContaining(["vms", "networks"]));
  });

  it("drops only the apps' PostgreSQL use (no PostgreSQL VM on an existing cluster), saying so", () => {
    const prodApps = readStackFile(ROOT, "prod").config.apps as { name: string; uses?: Record<string, unknown> }[];
    const apps = config.apps as { name: string; uses?: Record<string, unknown> }[];
    expect(apps.map((a) => a.name)).toEqual(prodApps.map((a) => a.name));
    for (const a of prodApps.filter((x) => x.uses?.postgres !== undefined)) expect(dropped).toContain(`apps[${a.name}].uses.postgres`);
    expect(apps.every((a) => a.uses?.postgres === undefined)).toBe(true);
  });
});

describe("kwok stages", () => {
  /* eslint-disable-next-line @typescript-eslint/no-require-imports */
  const stages = require(path.join(ROOT, "scripts/lab/kube-stages.js")) as {
    forClasses(text: string, file: string, classes: string[]): string;
    writeStages(moduleDir: string, dir: string, opts: { storageClasses: string[] }): string[];
    readyStage(k: { group: string; version: string; kind: string; operator: string }): string;
    READY_KINDS: { group: string; kind: string }[];
    MODULE_STAGES: string[];
    VOLUME_STAGES: string[];
  };
  const volumeStage = [
    "apiVersion: kwok.x-k8s.io/v1alpha1",
    "kind: Stage",
    "metadata:",
    "  name: pvc-provision",
    "spec:",
    "  selector:",
    "    matchExpressions:",
    "    - cel:",
    "        expression: >-",
    "          self.spec.storageClassName == 'kwok-volume'",
    "",
  ].join("\n");

  it("binds the program's storage class instead of kwok's, and renames the stage as the lab's", () => {
    const out = stages.forClasses(volumeStage, "pvc-provision.yaml", [STORAGE_CLASS]);
    expect(out).toContain("self.spec.storageClassName in ['ceph-block']");
    expect(out).not.toContain("kwok-volume");
    expect(out).toContain("  name: fmc-lab-pvc-provision");
  });

  it("marks Ready only accepted, live objects of the kind an operator would, saying who stands in", () => {
    const stage = parse(stages.readyStage({ group: "kafka.strimzi.io", version: "v1", kind: "Kafka", operator: "Strimzi" })) as {
      spec: { resourceRef: unknown; selector: { matchExpressions: { key: string; operator: string; values?: string[] }[] }; next: { statusTemplate: string } };
    };
    expect(stage.spec.resourceRef).toEqual({ apiGroup: "kafka.strimzi.io/v1", kind: "Kafka" });
    expect(stage.spec.selector.matchExpressions).toEqual([
      { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" },
      { key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: "NotIn", values: ["True"] },
    ]);
    expect(stage.spec.next.statusTemplate).toContain("type: Ready");
    expect(stage.spec.next.statusTemplate).toContain("in place of Strimzi");
    // What the program awaits with pulumi.com/waitFor: condition=Ready.
    expect(stages.READY_KINDS.map((k) => k.kind)).toEqual(expect.arrayContaining(["Kafka", "CephCluster"]));
    // Not cert-manager's kinds: a Certificate is Ready only with its Secret (the program reads the
    // CA's), so kube-issuer.js stands in for cert-manager's issuing (tests/lab-kube-issuer.test.ts).
    expect(stages.READY_KINDS.map((k) => k.kind)).not.toEqual(expect.arrayContaining(["Certificate"]));
    expect(stages.READY_KINDS.map((k) => k.kind)).not.toEqual(expect.arrayContaining(["ClusterIssuer"]));
  });

  it("refuses a volume stage it does not recognise (kwok changed)", () => {
    expect(() => stages.forClasses("kind: Stage\n", "x.yaml", ["ceph-block"])).toThrow(/no .* selector to rewrite/);
  });

  it("copies the module's node and pod stages unchanged", () => {
    const moduleDir = fs.mkdtempSync(path.join(os.tmpdir(), "kwok-stages-"));
    for (const rel of [...stages.MODULE_STAGES, ...stages.VOLUME_STAGES]) {
      fs.mkdirSync(path.dirname(path.join(moduleDir, rel)), { recursive: true });
      fs.writeFileSync(path.join(moduleDir, rel), rel.startsWith("volume/") ? volumeStage : `# ${rel}\n`);
    }
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "kwok-out-"));
    const files = stages.writeStages(moduleDir, out, { storageClasses: [STORAGE_CLASS] });
    for (const rel of stages.MODULE_STAGES) {
      expect(files.map((f) => fs.readFileSync(f, "utf8"))).toContain(`# ${rel}\n`);
    }
    expect(files.length).toBe(stages.MODULE_STAGES.length + stages.VOLUME_STAGES.length + 1);
  });
});

/* eslint-disable @typescript-eslint/no-require-imports */
const kubePulumi = require(path.join(ROOT, "scripts/lab/kube-pulumi.js")) as {
  LAB_EXTRA_APP(image: string): Record<string, unknown>;
  summary(text: string): string;
  generatedSecrets(
    shown: unknown,
    state: unknown,
    kubeconfig: string,
  ): { generated: { kind: string; what: string; value: string }[]; encrypted: { what: string; ok: boolean }[] };
};
/* eslint-enable @typescript-eslint/no-require-imports */

describe("day two of lab:kube: the app it adds to prod", () => {
  const raw = readStackFile(ROOT, "prod").config;
  const topology = parseTopology(raw, "prod");
  const fits = (apps: unknown[]) =>
    stackCapacity(k3sClusterFacts(topology), parsePlatformSettings({}, topology), parseApps({ appsRegistry: "registry.example.com/fmc", apps }, topology).apps).report.fits;
  const reference = raw.apps as { image: string }[];

  it("fits prod's capacity check beside the reference apps at replicas.max (prod has little room left)", () => {
    expect(fits(reference)).toBe(true);
    expect(fits([...reference, kubePulumi.LAB_EXTRA_APP(reference[0].image)])).toBe(true);
  });

  it("an app of a reference app's size would not: the check refuses it, rightly", () => {
    expect(fits([...reference, { ...reference[0], name: "labextra", ingress: undefined, uses: undefined }])).toBe(false);
  });
});

describe("lab:kube's secrets check", () => {
  const SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
  const URN = "urn:pulumi:kube::flatcarmicrocloud::flatcarmicrocloud:platform:Platform$random:index/randomPassword:RandomPassword::platform-redis";
  const PROVIDER = "urn:pulumi:kube::flatcarmicrocloud::pulumi:providers:kubernetes::cluster";
  const key = Buffer.from("-----BEGIN LAB FAKE KEY-----\nMHcCAQEEIBsecretsecretsecretsecretsecretsecretsecretAoGCCqGSM49\n-----END LAB FAKE KEY-----\n").toString("base64");
  const kubeconfig = `apiVersion: v1\nclusters: [{name: lab, cluster: {server: "https://127.0.0.1:6443"}}]\nusers: [{name: admin, user: {client-key-data: ${key}, client-certificate-data: Y2VydA==}}]\n`;
  const shown = {
    deployment: {
      resources: [
        { urn: URN, type: "random:index/randomPassword:RandomPassword", outputs: { length: 32, result: { ...SIG, plaintext: '"Pa55wordPa55wordPa55word"' }, bcryptHash: { ...SIG, plaintext: '"$2a$10$abc"' } } },
      ],
    },
  };
  const sealed = (ciphertext: string) => ({ ...SIG, ciphertext });
  const state = {
    deployment: {
      resources: [
        { urn: URN, type: "random:index/randomPassword:RandomPassword", outputs: { length: 32, result: sealed("v1:aaa"), bcryptHash: sealed("v1:bbb") } },
        { urn: PROVIDER, type: "pulumi:providers:kubernetes", inputs: { kubeconfig: sealed("v1:ccc") }, outputs: { kubeconfig: sealed("v1:ddd") } },
      ],
    },
  };

  it("searches the passwords, their hashes and the kubeconfig's key only (a URL inside a secret is no secret)", () => {
    const { generated, encrypted } = kubePulumi.generatedSecrets(shown, state, kubeconfig);
    expect(generated.map((g) => g.what)).toEqual([
      "platform-redis result",
      "platform-redis bcryptHash",
      "kubeconfig admin client-key-data",
      "kubeconfig admin client key (PEM)",
    ]);
    expect(generated.map((g) => g.value)).not.toContain("https://127.0.0.1:6443");
    expect(generated[0].value).toBe("Pa55wordPa55wordPa55word");
    expect(generated[3].value).toBe("MHcCAQEEIBsecretsecretsecretsecretsecretsecretsecretAoGCCqGSM49");
    expect(encrypted.every((e) => e.ok)).toBe(true);
    expect(encrypted.map((e) => e.what)).toEqual(["platform-redis result", "platform-redis bcryptHash", "cluster kubeconfig (input)", "cluster kubeconfig (output)"]);
  });

  it("a secret held in plain text in the state is not encrypted", () => {
    const leaky = JSON.parse(JSON.stringify(state)) as typeof state;
    (leaky.deployment.resources[0].outputs as Record<string, unknown>).result = "Pa55wordPa55wordPa55word";
    (leaky.deployment.resources[1].inputs as Record<string, unknown>).kubeconfig = kubeconfig;
    const { encrypted } = kubePulumi.generatedSecrets(shown, leaky, kubeconfig);
    expect(encrypted.filter((e) => !e.ok).map((e) => e.what)).toEqual(["platform-redis result", "cluster kubeconfig (input)"]);
  });
});

describe("lab:kube's step lines", () => {
  it("give the CLI's closing resource summary only (an up prints its preview's block first, then the engine's lines)", () => {
    const log = "Previewing update (kube):\nResources:\n    + 3 to create\n\nUpdating (kube):\n    pulumi:pulumi:Stack x  warning: w\n\nResources:\n    + 2 created\n    1 unchanged\n\nDuration: 15s\n";
    expect(kubePulumi.summary(log)).toBe("+ 2 created, 1 unchanged");
  });
});

/* eslint-disable-next-line @typescript-eslint/no-require-imports */
const checks = require(path.join(ROOT, "scripts/lab/kube-checks.js")) as {
  previewProblems(steps: { op: string; kind: string; name: string; changed: string[] }[], expected: Record<string, string[] | null>): string[];
  crdDrift(manifest: { crds: unknown[] }, served: unknown[]): string[];
};

describe("lab:kube's day-two checks", () => {
  const step = (op: string, kind: string, name: string, changed: string[] = []) => ({ op, kind, name, changed });

  it("a preview must be exactly the changes the docs name, with exactly their changed properties", () => {
    const expected = { "update Deployment apps-api": ["spec.template.spec.containers[0].image"], "update HorizontalPodAutoscaler apps-api": ["spec.minReplicas"] };
    const steps = [step("update", "Deployment", "apps-api", ["spec.template.spec.containers[0].image"]), step("update", "HorizontalPodAutoscaler", "apps-api", ["spec.minReplicas"])];
    expect(checks.previewProblems(steps, expected)).toEqual([]);
    // What the old check let through: a change with no property named, another property, another object, a missing one.
    expect(checks.previewProblems([step("update", "Deployment", "apps-api", ["spec.template.spec.containers[0].resources"]), step("update", "Service", "apps-api", ["spec.ports"])], expected)).toEqual([
      "update Deployment apps-api changes [spec.template.spec.containers[0].resources], not [spec.template.spec.containers[0].image]",
      "unexpected: update Service apps-api [spec.ports]",
      "missing: update HorizontalPodAutoscaler apps-api",
    ]);
    expect(checks.previewProblems([step("update", "HorizontalPodAutoscaler", "apps-api", [])], { "update HorizontalPodAutoscaler apps-api": ["spec.minReplicas"] })).toEqual([
      "update HorizontalPodAutoscaler apps-api changes [], not [spec.minReplicas]",
    ]);
    // null: any properties (a CRD whose schema changed in many places).
    expect(checks.previewProblems([step("update", "CustomResourceDefinitionPatch", "platform-crd-x", ["spec.versions[0].schema"])], { "update CustomResourceDefinitionPatch platform-crd-x": null })).toEqual([]);
  });

  it("the CRDs in the apiserver against a chart's manifest: Traefik 41.1.1's are not 41.3.0's (the Middleware CRD), whatever the key order", () => {
    const load = (v: string) => JSON.parse(fs.readFileSync(path.join(ROOT, "platform", "crds", `traefik-${v}.json`), "utf8")) as { crds: { metadata: { name: string }; spec: Record<string, unknown> }[] };
    const [older, pinned] = [load("41.1.1"), load("41.3.0")];
    // As served: the server's own fields added, keys in another order.
    const reversed = (x: unknown): unknown =>
      Array.isArray(x) ? x.map(reversed) : x && typeof x === "object" ? Object.fromEntries(Object.entries(x).reverse().map(([k, v]) => [k, reversed(v)])) : x;
    const served = (m: typeof older) => m.crds.map((c) => ({ ...(reversed(c) as typeof c), status: { acceptedNames: {} }, metadata: { ...c.metadata, uid: "u" } }));
    expect(checks.crdDrift(pinned, served(pinned))).toEqual([]);
    expect(checks.crdDrift(pinned, served(older))).toEqual(["middlewares.traefik.io: other versions or schema"]);
    expect(checks.crdDrift(pinned, served(older).filter((c) => c.metadata.name !== "ingressroutes.traefik.io"))).toEqual(
      expect.arrayContaining(["ingressroutes.traefik.io: absent"]),
    );
  });
});
