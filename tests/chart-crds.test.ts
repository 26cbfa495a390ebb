/**
 * The CRD manifests the platform applies before the releases of charts with crds/ (Traefik, Strimzi,
 * kube-prometheus-stack): derived per pinned version, they follow CHARTS, and a bump applies the new
 * chart's CRDs. ../shared's earlier releases (traefik 41.1.1, strimzi 1.1.0, README "Earlier
 * releases") are derived into tests/fixtures/chart-crds/ as the state a live stack is in before the
 * bump.
 */
import { execFileSync } from "child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { CHARTS_WITH_CRDS, CrdDoc, crdPatchArgs, CrdManifest, hasCrds, loadCrdManifest } from "../platform/chart-crds";
import { CHARTS, EARLIER_CHARTS } from "../versions";

const ROOT = resolve(__dirname, "..");
const EARLIER = join(__dirname, "fixtures", "chart-crds");
const CHARTS_DIR = resolve(ROOT, "..", "shared", "charts");

/** The manifests platform/crds must hold: each chart's pin, and the earlier releases a stack may hold it at. */
const EXPECTED_FILES = CHARTS_WITH_CRDS.flatMap((k) => [CHARTS[k].version, ...((EARLIER_CHARTS as Partial<Record<string, readonly string[]>>)[k] ?? [])].map((v) => `${k}-${v}.json`)).sort();
const byName = (m: CrdManifest) => new Map(m.crds.map((c) => [c.metadata.name, c]));
/** Names of the CRDs whose applied content differs between two manifests of one chart. */
function changed(before: CrdManifest, after: CrdManifest): string[] {
  const a = byName(before);
  return after.crds.filter((c) => JSON.stringify(crdPatchArgs(c)) !== JSON.stringify(a.has(c.metadata.name) ? crdPatchArgs(a.get(c.metadata.name) as CrdDoc) : undefined)).map((c) => c.metadata.name);
}
/** The openAPIV3Schema of `version` of a CRD. */
function schema(crd: CrdDoc, version: string): Record<string, unknown> {
  const v = (crd.spec.versions as { name: string; schema: { openAPIV3Schema: Record<string, unknown> } }[]).find((x) => x.name === version);
  if (!v) throw new Error(`${crd.metadata.name} has no version ${version}`);
  return v.schema.openAPIV3Schema;
}
const props = (s: unknown, ...path: string[]): Record<string, unknown> | undefined =>
  path.reduce<unknown>((cur, k) => (cur as { properties?: Record<string, unknown> } | undefined)?.properties?.[k], s) as Record<string, unknown> | undefined;

describe("committed manifests", () => {
  it.each(CHARTS_WITH_CRDS.map((k) => [k]))("%s: at the pinned version, only apiextensions.k8s.io/v1 CRDs, each once, no status", (key) => {
    const m = loadCrdManifest(key);
    expect(m.version).toBe(CHARTS[key].version);
    expect(m.crds.length).toBeGreaterThan(0);
    expect(new Set(m.crds.map((c) => c.metadata.name)).size).toBe(m.crds.length);
    for (const c of m.crds) {
      expect(c).toMatchObject({ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition" });
      expect(c).not.toHaveProperty("status");
    }
    // snapshot-controller's come from the file its template renders (chart-crds.ts, TEMPLATED_CRDS).
    const templated: Partial<Record<string, RegExp>> = { snapshotController: /^snapshot-controller\/crds\.yaml$/, tektonOperator: /^tekton-operator\/templates\/kubernetes-crds\.yaml$/ };
    const source = templated[key] ?? /(^|\/)crds\/[^/]+\.(ya?ml|json)$/;
    expect(m.files.every((f) => source.test(f.path))).toBe(true);
    expect(m.archive.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("platform/crds holds exactly the pinned versions and the earlier releases of EARLIER_CHARTS (a bump without re-deriving leaves no stale file behind)", () => {
    expect(readdirSync(join(ROOT, "platform", "crds")).sort()).toEqual(EXPECTED_FILES);
    expect(EXPECTED_FILES).toContain("traefik-41.1.1.json");
  });

  it("an earlier release a stack may hold (chartVersions) has its manifest, which is the chart archive's", () => {
    expect(loadCrdManifest("traefik", "41.1.1")).toEqual(loadCrdManifest("traefik", "41.1.1", EARLIER));
  });

  it("kube-prometheus-stack's come from its crds subchart (charts/crds/crds/), as Helm collects them", () => {
    const m = loadCrdManifest("kubePrometheusStack");
    expect(m.files.map((f) => f.path)).toContain("kube-prometheus-stack/charts/crds/crds/crd-servicemonitors.yaml");
    expect(m.crds.map((c) => c.metadata.name)).toContain("servicemonitors.monitoring.coreos.com");
  });

  it("snapshot-controller's CRDs are its crds.yaml as its template renders it with the webhook off: no conversion webhook, no CA injection", () => {
    const m = loadCrdManifest("snapshotController");
    expect(m.crds.map((c) => c.metadata.name)).toEqual([
      "volumegroupsnapshotclasses.groupsnapshot.storage.k8s.io",
      "volumegroupsnapshotcontents.groupsnapshot.storage.k8s.io",
      "volumegroupsnapshots.groupsnapshot.storage.k8s.io",
      "volumesnapshotclasses.snapshot.storage.k8s.io",
      "volumesnapshotcontents.snapshot.storage.k8s.io",
      "volumesnapshots.snapshot.storage.k8s.io",
    ]);
    for (const c of m.crds) {
      expect(c.spec).not.toHaveProperty("conversion");
      expect(Object.keys(c.metadata.annotations ?? {}).filter((a) => a.startsWith("cert-manager.io/"))).toEqual([]);
    }
    const snapshots = m.crds.find((c) => c.metadata.name === "volumesnapshots.snapshot.storage.k8s.io") as CrdDoc;
    expect((snapshots.spec.versions as { name: string; storage: boolean }[]).filter((v) => v.storage).map((v) => v.name)).toEqual(["v1"]);
  });

  it("Velero's come from its crds/ (13 CRDs of velero.io)", () => {
    const m = loadCrdManifest("velero");
    expect(m.crds).toHaveLength(13);
    expect(m.crds.every((c) => c.metadata.name.endsWith(".velero.io"))).toBe(true);
    expect(m.crds.map((c) => c.metadata.name)).toEqual(expect.arrayContaining(["backups.velero.io", "schedules.velero.io", "backupstoragelocations.velero.io", "datauploads.velero.io"]));
  });

  it("a version that was not derived stops the program, naming the derive command", () => {
    expect(() => loadCrdManifest("traefik", "99.0.0")).toThrow(/CRDs of chart traefik 99\.0\.0 .* are not derived: run `node scripts\/derive-chart-crds\.js/);
  });

  it("the patch takes over fields Helm wrote (pulumi.com/patchForce) and keeps the chart's own annotations", () => {
    const crd = loadCrdManifest("traefik").crds.find((c) => c.metadata.name === "middlewares.traefik.io") as CrdDoc;
    expect(crdPatchArgs(crd).metadata.annotations).toEqual({ "controller-gen.kubebuilder.io/version": "v0.19.0", "pulumi.com/patchForce": "true" });
    expect(crdPatchArgs(crd).spec).toBe(crd.spec);
  });
});

describe("a chart bump applies the new chart's CRDs", () => {
  it("the manifest read follows CHARTS: with traefik at its earlier release, the program reads that release's CRDs", () => {
    jest.isolateModules(() => {
      jest.doMock("../versions", () => {
        const actual = jest.requireActual<typeof import("../versions")>("../versions");
        return { ...actual, CHARTS: { ...actual.CHARTS, traefik: { ...actual.CHARTS.traefik, version: "41.1.1" } } };
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const bumped = require("../platform/chart-crds") as typeof import("../platform/chart-crds");
      expect(bumped.loadCrdManifest("traefik", undefined, EARLIER).version).toBe("41.1.1");
      expect(bumped.loadCrdManifest("traefik").version).toBe("41.1.1");
      // Not derived into platform/crds: the program refuses instead of applying stale CRDs.
      expect(() => bumped.loadCrdManifest("strimzi", "1.1.0")).toThrow(/strimzi 1\.1\.0/);
    });
    jest.dontMock("../versions");
  });

  it("traefik 41.1.1 -> 41.3.0: the Middleware CRD, and only it, changes; it gains spec.errors.errorRequestHeaders", () => {
    const before = loadCrdManifest("traefik", "41.1.1", EARLIER);
    const after = loadCrdManifest("traefik");
    expect(changed(before, after)).toEqual(["middlewares.traefik.io"]);
    const errors = (m: CrdManifest) => props(schema(byName(m).get("middlewares.traefik.io") as CrdDoc, "v1alpha1"), "spec", "errors");
    expect(props(errors(before), "errorRequestHeaders")).toBeUndefined();
    expect(props(errors(after), "errorRequestHeaders")).toMatchObject({ type: "array", items: { type: "string" } });
  });

  it("strimzi 1.1.0 -> 1.2.0: Kafka, KafkaConnect, KafkaNodePool and KafkaMirrorMaker2 change, gaining templatedVolumes; Kafka gains status.clusterSecurity", () => {
    const before = loadCrdManifest("strimzi", "1.1.0", EARLIER);
    const after = loadCrdManifest("strimzi");
    expect(changed(before, after).sort()).toEqual(["kafkaconnects.kafka.strimzi.io", "kafkamirrormaker2s.kafka.strimzi.io", "kafkanodepools.kafka.strimzi.io", "kafkas.kafka.strimzi.io"]);
    const kafka = (m: CrdManifest) => schema(byName(m).get("kafkas.kafka.strimzi.io") as CrdDoc, "v1");
    expect(props(kafka(before), "spec", "kafka", "template", "pod", "templatedVolumes")).toBeUndefined();
    expect(props(kafka(after), "spec", "kafka", "template", "pod", "templatedVolumes")).toMatchObject({ type: "array" });
    expect(props(kafka(before), "status", "clusterSecurity")).toBeUndefined();
    expect(props(kafka(after), "status", "clusterSecurity")).toBeDefined();
    const pool = (m: CrdManifest) => schema(byName(m).get("kafkanodepools.kafka.strimzi.io") as CrdDoc, "v1");
    expect(props(pool(after), "spec", "template", "pod", "templatedVolumes")).toBeDefined();
    expect(props(pool(before), "spec", "template", "pod", "templatedVolumes")).toBeUndefined();
  });
});

// The committed files must be what the script derives from the chart archives, where ../shared is
// beside the repository (a fresh clone's layout; not in a worktree).
(existsSync(CHARTS_DIR) ? describe : describe.skip)("derived from ../shared/charts", () => {
  const script = join(ROOT, "scripts", "derive-chart-crds.js");
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "chart-crds-"));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("the pinned manifests and the earlier releases', and no pinned chart other than CHARTS_WITH_CRDS has crds/", () => {
    execFileSync("node", [script, CHARTS_DIR, out], { encoding: "utf8" });
    expect(readdirSync(out).sort()).toEqual(EXPECTED_FILES);
    expect(loadCrdManifest("traefik", "41.1.1", out)).toEqual(loadCrdManifest("traefik", "41.1.1"));
    for (const key of CHARTS_WITH_CRDS) expect(loadCrdManifest(key, undefined, out)).toEqual(loadCrdManifest(key));
    for (const key of Object.keys(CHARTS) as (keyof typeof CHARTS)[]) expect({ key, crds: hasCrds(key) }).toEqual({ key, crds: readdirSync(out).some((f) => f.startsWith(`${key}-`)) });
  });

  it("the earlier releases' fixtures, and the script's report of the bump names what changed", () => {
    const earlier = mkdtempSync(join(tmpdir(), "chart-crds-earlier-"));
    try {
      execFileSync("node", [script, CHARTS_DIR, earlier, "--only", "traefik@41.1.1,strimzi@1.1.0"], { encoding: "utf8" });
      for (const [key, v] of [["traefik", "41.1.1"], ["strimzi", "1.1.0"]] as const) expect(loadCrdManifest(key, v, earlier)).toEqual(loadCrdManifest(key, v, EARLIER));
      const report = execFileSync("node", [script, CHARTS_DIR, earlier, "--only", "traefik@41.3.0"], { encoding: "utf8" });
      expect(report).toContain("traefik: 41.1.1 -> 41.3.0\n  ~ CRD middlewares.traefik.io\n      + v1alpha1 spec.errors.errorRequestHeaders\n");
    } finally {
      rmSync(earlier, { recursive: true, force: true });
    }
  });
});

describe("the manifests are what the apiserver stores (server-side apply every run: a field it drops is a change every run)", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { asStored } = require(join(ROOT, "scripts", "derive-chart-crds.js")) as { asStored: (s: unknown) => unknown };
  /** Paths of JSONSchemaProps maps or lists that are empty (Go's omitempty drops them on storage). */
  function emptyOmitted(s: unknown, at: string, out: string[] = []): string[] {
    if (s === null || typeof s !== "object" || Array.isArray(s)) return out;
    for (const [k, v] of Object.entries(s as Record<string, unknown>)) {
      const isMap = ["properties", "patternProperties", "definitions"].includes(k);
      if ((isMap || ["allOf", "anyOf", "oneOf", "required", "enum", "dependencies"].includes(k)) && v !== null && typeof v === "object" && Object.keys(v).length === 0) out.push(`${at}.${k}`);
      if (isMap) for (const [name, sub] of Object.entries(v as Record<string, unknown>)) emptyOmitted(sub, `${at}.${k}.${name}`, out);
      else if (["allOf", "anyOf", "oneOf"].includes(k)) (v as unknown[]).forEach((sub, i) => emptyOmitted(sub, `${at}.${k}[${i}]`, out));
      else if (["items", "additionalProperties", "not"].includes(k)) emptyOmitted(v, `${at}.${k}`, out);
    }
    return out;
  }

  it("drops empty schema maps and lists, keeps an empty schema ({}: any value) and a property named `properties`", () => {
    const chart = {
      type: "object",
      properties: {
        clusterSecurity: { type: "object", properties: {}, "x-kubernetes-preserve-unknown-fields": true },
        anything: {},
        properties: { type: "string", enum: [] },
        list: { type: "array", items: { type: "object", required: [], properties: { a: { type: "string" } } } },
      },
    };
    expect(asStored(chart)).toEqual({
      type: "object",
      properties: {
        clusterSecurity: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        anything: {},
        properties: { type: "string" },
        list: { type: "array", items: { type: "object", properties: { a: { type: "string" } } } },
      },
    });
  });

  it("no committed manifest sends an empty map or list the apiserver would drop (Strimzi's Kafka status.clusterSecurity had `properties: {}`)", () => {
    const found: string[] = [];
    for (const key of CHARTS_WITH_CRDS) {
      for (const crd of loadCrdManifest(key).crds) {
        for (const v of crd.spec.versions as { name: string; schema?: { openAPIV3Schema: unknown } }[]) emptyOmitted(v.schema?.openAPIV3Schema, `${crd.metadata.name}/${v.name}`, found);
      }
    }
    expect(found).toEqual([]);
  });
});
