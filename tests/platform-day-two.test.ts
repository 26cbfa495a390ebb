/**
 * docs/day-two.md's rows for stage 3 keys, checked on the platform recorded before and after each
 * change (the Platform component as index.ts wires it), with pulumi-kubernetes' replace rules: a Helm
 * Release is replaced only when its `name` or `namespace` changes (provider/pkg/provider/helm_release.go
 * `Diff`, forceNewFields), any other Kubernetes object only when its `metadata.name` or
 * `metadata.namespace` does; every other input change is an update in place (a Helm upgrade).
 */
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { ClusterFacts } from "../cluster-facts";
import { k3sClusterFacts } from "../cluster/facts";
import { parseExistingCluster } from "../config/existing-cluster";
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { existingClusterFacts } from "../existing-cluster/facts";
import { dayTwo, DayTwoResult } from "../plan/day-two-model";
import { Platform } from "../platform";
import { chartName } from "../platform/chart-source";
import { EXISTING_NODES } from "./helpers/existing-cluster";
import { randomOutputs } from "./helpers/machine-outputs";
import { Harness, Recorded, startHarness } from "./helpers/pulumi-harness";
import { rawStack } from "./helpers/stacks";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const MIRROR = "http://127.0.0.1:8879";
let h: Harness;

const prodTopology = parseTopology(rawStack("prod"), "prod");
const existing = (raw: Record<string, unknown> = {}): ClusterFacts => existingClusterFacts(parseExistingCluster({ existingNodes: EXISTING_NODES, ...raw }), "home.example");

/** The platform of `facts` with `settings`, as index.ts wires it, under `name`. */
function platform(name: string, facts: ClusterFacts, raw: Record<string, unknown> = {}): void {
  const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: "x", clusterIdentifier: "c" });
  const acme = facts.tls ? { ready: new random.RandomPassword(`${name}-acme`, { length: 8 }), caCertificate: "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n", dnsRecordsServed: [] } : undefined;
  new Platform(name, { provider, ...facts, settings: parsePlatformSettings(raw, facts), appHosts: [], acme });
}

beforeAll(async () => {
  h = await startHarness({
    stack: "prod",
    outputsFor: (a) =>
      randomOutputs(a) ??
      (a.type === "kubernetes:core/v1:Secret" && a.id
        ? { data: { "tls.crt": Buffer.from("-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n").toString("base64") } }
        : undefined),
  });
  platform("prodBefore", k3sClusterFacts(prodTopology));
  platform("prodMirror", k3sClusterFacts(prodTopology), { chartMirror: MIRROR });
  platform("prodHeld", k3sClusterFacts(prodTopology), { chartVersions: { traefik: "41.1.1" } });
  platform("existingBefore", existing());
  platform("existingCa", existing({ tlsIssuer: "selfSigned" }));
  const added = { name: "agent4", role: "agent", address: "192.168.50.24", allocatable: { cpu: "3500m", memory: "5374Mi" }, cephDevice: "sdb" };
  platform("existingAfter", existing({ existingNodes: [...EXISTING_NODES, added], existingPodCidr: "10.244.0.0/16", ingressServiceType: "LoadBalancer", ingressAddress: "192.168.50.200" }));
  await h.settle();
}, 300_000);

/** The changes from `before` to `after`, after checking that the replace rules above leave every one an update. */
function changes(before: string, after: string): DayTwoResult {
  const r = dayTwo(h.all(), h.all(), before, after);
  const byName = (prefix: string) => new Map(h.all().filter((x) => x.name.startsWith(`${prefix}-`)).map((x) => [x.name.slice(prefix.length + 1), x]));
  const [old, cur] = [byName(before), byName(after)];
  const identity = (x: Recorded) => {
    const meta = (x.inputs.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    return x.type === RELEASE ? JSON.stringify([x.inputs.name, x.inputs.namespace]) : JSON.stringify([meta.name, meta.namespace]);
  };
  // The model matches resources by name; the platform names a password and the Secret holding it
  // alike (`grafana-admin`, of two types, as Pulumi's URNs allow): compare those by name and type here.
  const shared = [...new Set(h.all().filter((x) => x.name.startsWith(`${after}-`)).map((x) => x.name.slice(after.length + 1)))].filter(
    (n) => h.all().filter((x) => x.name === `${after}-${n}`).length > 1,
  );
  for (const n of shared) {
    const pick = (prefix: string) => h.all().filter((x) => x.name === `${prefix}-${n}`).map((x) => JSON.stringify([x.type, x.inputs])).sort();
    expect({ n, inputs: pick(after) }).toEqual({ n, inputs: pick(before) });
    r.changes.delete(n);
  }
  const replaced = [...r.changes.values()].filter((c) => c.type.startsWith("kubernetes:") && c.change === "update" && identity(old.get(c.name) as Recorded) !== identity(cur.get(c.name) as Recorded));
  expect(replaced.map((c) => c.name)).toEqual([]);
  return r;
}

describe("docs/day-two.md row chartMirror", () => {
  it("in place: every release upgrades to the same version from the mirror; nothing else changes", () => {
    const r = changes("prodBefore", "prodMirror");
    const changed = [...r.changes.values()].filter((c) => c.change !== "same");
    expect(changed.filter((c) => c.type !== RELEASE || c.change !== "update").map((c) => [c.name, c.change, c.changedKeys])).toEqual([]);
    expect(changed).toHaveLength(h.byType(RELEASE).filter((x) => x.name.startsWith("prodBefore-")).length);
    for (const c of changed) expect({ name: c.name, keys: c.changedKeys.sort() }).toEqual({ name: c.name, keys: c.name.endsWith("strimzi") ? ["chart", "repositoryOpts"] : ["repositoryOpts"] });
    expect(h.byName("prodMirror-strimzi").inputs.chart).toBe(chartName("strimzi"));
  });
});

describe("docs/day-two.md row chartVersions", () => {
  it("in place: Traefik held at 41.1.1 moves to the pin: its release upgrades (version only) and the CRD that changed between the two updates", () => {
    const r = changes("prodHeld", "prodBefore");
    const changed = [...r.changes.values()].filter((c) => c.change !== "same").map((c) => ({ name: c.name, type: c.type, change: c.change, keys: [...c.changedKeys].sort() }));
    expect(changed).toEqual([
      { name: "crd-middlewares.traefik.io", type: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinitionPatch", change: "update", keys: ["spec"] },
      { name: "traefik", type: RELEASE, change: "update", keys: ["version"] },
    ]);
    expect(h.byName("prodHeld-traefik").inputs).toMatchObject({ version: "41.1.1", skipCrds: true });
    expect(h.byName("prodBefore-traefik").inputs.version).toBe("41.3.0");
  });
});

describe("docs/day-two.md row tlsIssuer", () => {
  it("in place: none to selfSigned creates cert-manager, the issuers, the CA and the Certificates; the routes update to their TLS Secrets; nothing is replaced", () => {
    const r = changes("existingBefore", "existingCa");
    const changed = [...r.changes.values()].filter((c) => c.change !== "same");
    expect(changed.filter((c) => !["create", "update"].includes(c.change))).toEqual([]);
    const created = changed.filter((c) => c.change === "create").map((c) => c.name).sort();
    expect(created).toEqual(
      expect.arrayContaining(["cert-manager", "selfsigned-issuer", "ca-certificate", "cluster-issuer", "certificate-grafana.home.example", "certificate-traefik.home.example", "certificate-ceph.home.example"]),
    );
    const updated = changed.filter((c) => c.change === "update");
    expect(updated.length).toBeGreaterThan(0);
    // Only routes (their TLS Secret) and Traefik's values (its default TLS store) change in place.
    expect(updated.filter((c) => !/IngressRoute|helm\.sh/.test(c.type)).map((c) => [c.name, c.type, c.changedKeys])).toEqual([]);
  });
});

describe("docs/day-two.md row tlsIssuer, the way back", () => {
  it("in place: selfSigned back to none deletes exactly what selfSigned created; the routes update back; nothing is replaced", () => {
    const on = [...changes("existingBefore", "existingCa").changes.values()].filter((c) => c.change !== "same");
    const back = [...changes("existingCa", "existingBefore").changes.values()].filter((c) => c.change !== "same");
    expect(back.filter((c) => !["delete", "update"].includes(c.change))).toEqual([]);
    const names = (list: typeof on, change: string) => list.filter((c) => c.change === change).map((c) => c.name).sort();
    expect(names(back, "delete")).toEqual(names(on, "create"));
    expect(names(back, "update")).toEqual(names(on, "update"));
  });
});

describe("docs/day-two.md row existingCluster", () => {
  it("in place: a node, the pod range and the ingress Service type update releases and policies, replacing nothing", () => {
    const r = changes("existingBefore", "existingAfter");
    const changed = [...r.changes.values()].filter((c) => c.change !== "same");
    expect(changed.filter((c) => c.change !== "update")).toEqual([]);
    const releases = changed.filter((c) => c.type === RELEASE).map((c) => c.name).sort();
    // Rook's node list; replica counts from four workers (Traefik, CSI); the Service types.
    expect(releases).toEqual(expect.arrayContaining(["mosquitto", "rook-ceph-cluster", "traefik"]));
    expect(changed.filter((c) => c.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy").map((c) => c.name)).toEqual(
      expect.arrayContaining(["rook-ceph-allow-from-nodes", "monitoring-allow-scrape-nodes"]),
    );
    const traefik = h.byName("existingAfter-traefik").inputs.values as { service: unknown };
    expect(traefik.service).toEqual({ spec: { type: "LoadBalancer" } });
  });
});
