/**
 * The chart mirror (`chartMirror`): one classic chart repository serving every pinned chart. The one
 * function that says where a chart comes from (platform/chart-source.ts), the key's validation, and
 * ../shared/charts (the lab's mirror) against what the program asks for: every pinned chart under its
 * name and version, the archive's own Chart.yaml agreeing, the digest the index states.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import { existsSync, mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { gunzipSync } from "zlib";
import { parse } from "yaml";
import { Collector } from "../config/validate";
import { parseChartMirror, parseChartVersions } from "../config/platform";
import { ChartKey, chartName, chartSource } from "../platform/chart-source";
import { CHARTS } from "../versions";

const KEYS = Object.keys(CHARTS) as ChartKey[];
const FIXTURE = join(__dirname, "fixtures", "chart-mirror-index.json");
const SHARED_CHARTS = join(__dirname, "..", "..", "shared", "charts");
const pinned = () => KEYS.map((k) => ({ name: chartName(k), version: CHARTS[k].version }));

describe("chartSource", () => {
  it("without a mirror: each chart's own repository, Strimzi's OCI reference with no repository", () => {
    expect(chartSource("traefik")).toEqual({ chart: "traefik", version: "41.3.0", repositoryOpts: { repo: "https://traefik.github.io/charts" } });
    expect(chartSource("strimzi")).toEqual({ chart: "oci://quay.io/strimzi-helm/strimzi-kafka-operator", version: "1.2.0", repositoryOpts: undefined });
  });

  it("with a mirror: every chart by its name at its pinned version from the mirror, the OCI-only one included", () => {
    for (const key of KEYS) {
      expect(chartSource(key, { repo: "http://127.0.0.1:8879" })).toEqual({ chart: chartName(key), version: CHARTS[key].version, repositoryOpts: { repo: "http://127.0.0.1:8879" } });
    }
    expect(chartSource("kured", { repo: "https://mirror.example.net", caFile: "/etc/fmc/mirror-ca.pem" }).repositoryOpts).toEqual({ repo: "https://mirror.example.net", caFile: "/etc/fmc/mirror-ca.pem" });
    expect(KEYS.map(chartName)).toEqual([
      "traefik", "rook-ceph", "ceph-csi-drivers", "rook-ceph-cluster", "strimzi-kafka-operator", "redis-ha", "mosquitto", "kube-prometheus-stack", "cert-manager", "kured",
      "velero", "snapshot-controller", "tekton-operator", "zot", "eck-operator", "eck-stack", "fluent-bit", "loki", "argo-cd", "vertical-pod-autoscaler",
    ]);
  });
});

describe("chartVersions: a chart held at an earlier release the program knows", () => {
  const parsed = (value: unknown) => {
    const c = new Collector();
    return { held: parseChartVersions(c, value), problems: c.problems };
  };
  it("takes traefik's earlier release (its CRDs derived: platform/crds/traefik-41.1.1.json); the pin or no key holds nothing", () => {
    expect(parsed({ traefik: "41.1.1" })).toEqual({ held: { traefik: "41.1.1" }, problems: [] });
    expect(parsed({ traefik: CHARTS.traefik.version })).toEqual({ held: {}, problems: [] });
    expect(parsed(undefined)).toEqual({ held: {}, problems: [] });
  });
  it("the held release comes from the same place as the pin, the mirror included", () => {
    expect(chartSource("traefik", undefined, "41.1.1")).toEqual({ chart: "traefik", version: "41.1.1", repositoryOpts: { repo: "https://traefik.github.io/charts" } });
    expect(chartSource("traefik", { repo: "http://127.0.0.1:8879" }, "41.1.1")).toEqual({ chart: "traefik", version: "41.1.1", repositoryOpts: { repo: "http://127.0.0.1:8879" } });
  });
  it("refuses another chart, another version (a newer one, an unknown one, Strimzi's 1.1.0) and another shape, naming the entry", () => {
    expect(parsed({ treafik: "41.1.1" }).problems).toEqual([expect.stringMatching(/^chartVersions\.treafik: is not a chart of the platform \(traefik, rookCeph, /)]);
    expect(parsed({ traefik: "41.2.0" }).problems).toEqual([expect.stringMatching(/^chartVersions\.traefik: "41\.2\.0" is not a release the program can hold traefik at: 41\.3\.0 or 41\.1\.1 /)]);
    expect(parsed({ strimzi: "1.1.0" }).problems).toEqual([expect.stringMatching(/^chartVersions\.strimzi: "1\.1\.0" is not a release .*: 1\.2\.0 \(/)]);
    expect(parsed({ traefik: 41 }).problems).toEqual([expect.stringMatching(/^chartVersions\.traefik: 41 is not/)]);
    expect(parsed(["traefik@41.1.1"]).problems).toEqual([expect.stringMatching(/^chartVersions: must be a map of chart key to version/)]);
  });
});

describe("chartMirror", () => {
  const parsed = (value: unknown) => {
    const c = new Collector();
    return { url: parseChartMirror(c, value, undefined)?.repo, problems: c.problems };
  };
  it("takes an http(s) repository URL, without its trailing slash; empty (Pulumi.yaml's default) is no mirror", () => {
    expect(parsed("https://charts.example.net/mirror/")).toEqual({ url: "https://charts.example.net/mirror", problems: [] });
    expect(parsed("http://127.0.0.1:8879")).toEqual({ url: "http://127.0.0.1:8879", problems: [] });
    expect(parsed("")).toEqual({ url: undefined, problems: [] });
  });
  it("refuses what is not a classic repository URL, naming the key", () => {
    for (const bad of ["oci://registry.example.net/charts", "ftp://mirror/charts", "charts.example.net", "https://u:p@mirror/charts", "https://mirror/charts?x=1"]) {
      expect(parsed(bad).problems).toEqual([expect.stringMatching(/^chartMirror: must be the http\(s\) URL of a classic chart repository/)]);
    }
  });
});

describe("chartMirrorCaFile", () => {
  const CA = join(__dirname, "fixtures", "chart-mirror-ca.pem");
  const parsed = (url: unknown, caFile: unknown) => {
    const c = new Collector();
    return { mirror: parseChartMirror(c, url, caFile), problems: c.problems };
  };
  it("gives Helm the CA file of an https mirror, read on this machine", () => {
    expect(parsed("https://mirror.example.net/charts", CA)).toEqual({ mirror: { repo: "https://mirror.example.net/charts", caFile: CA }, problems: [] });
    expect(parsed("https://mirror.example.net/charts", "")).toEqual({ mirror: { repo: "https://mirror.example.net/charts" }, problems: [] });
  });
  it("refuses it without an https mirror, relative, unreadable or without a certificate, naming the key", () => {
    const problems = (url: unknown, caFile: unknown) => parsed(url, caFile).problems;
    expect(problems(undefined, CA)).toEqual([expect.stringMatching(/^chartMirrorCaFile: is the CA of the chart mirror and needs chartMirror/)]);
    expect(problems("http://127.0.0.1:8879", CA)).toEqual([expect.stringMatching(/^chartMirrorCaFile: the chart mirror http:\/\/127\.0\.0\.1:8879 is plain http/)]);
    expect(problems("https://m.example.net", "ca.pem")).toEqual([expect.stringMatching(/^chartMirrorCaFile: "ca\.pem" is not an absolute path/)]);
    expect(problems("https://m.example.net", "/nonexistent/ca.pem")).toEqual([expect.stringMatching(/^chartMirrorCaFile: cannot read \/nonexistent\/ca\.pem on this machine, where Helm reads it: ENOENT/)]);
    expect(problems("https://m.example.net", FIXTURE)).toEqual([expect.stringMatching(/^chartMirrorCaFile: .*chart-mirror-index\.json holds no PEM certificate/)]);
  });
});

describe("a mirror of every pinned chart (tests/fixtures/chart-mirror-index.json, from ../shared/charts/index.yaml)", () => {
  const fixture = JSON.parse(readFileSync(FIXTURE, "utf8")) as { charts: { name: string; version: string; urls?: string[]; digest?: string; missing?: true }[] };

  it("serves every chart the program pins, under the name and version the releases ask for", () => {
    expect(fixture.charts.map((c) => ({ name: c.name, version: c.version, served: !c.missing }))).toEqual(pinned().map((p) => ({ ...p, served: true })));
  });

  (existsSync(join(SHARED_CHARTS, "index.yaml")) ? it : it.skip)("is what scripts/derive-chart-mirror-fixture.js derives from ../shared/charts", () => {
    const out = join(mkdtempSync(join(tmpdir(), "chart-mirror-")), "index.json");
    const run = spawnSync(process.execPath, [join(__dirname, "..", "scripts", "derive-chart-mirror-fixture.js"), SHARED_CHARTS, out], { input: JSON.stringify(pinned()), encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(FIXTURE, "utf8"));
  });

  (existsSync(join(SHARED_CHARTS, "index.yaml")) ? it : it.skip)("../shared/charts holds each archive with the index's digest and a Chart.yaml of that name and version", () => {
    for (const c of fixture.charts) {
      const archive = readFileSync(join(SHARED_CHARTS, (c.urls as string[])[0]));
      expect({ chart: c.name, digest: createHash("sha256").update(archive).digest("hex") }).toEqual({ chart: c.name, digest: c.digest });
      const meta = parse(chartYaml(gunzipSync(archive), c.name)) as { name: string; version: string };
      expect({ name: meta.name, version: meta.version }).toEqual({ name: c.name, version: c.version });
    }
  });
});

/** `<name>/Chart.yaml` from an uncompressed tar archive (512-byte headers, octal sizes). */
function chartYaml(tar: Buffer, name: string): string {
  for (let off = 0; off + 512 <= tar.length; ) {
    const path = tar.subarray(off, off + 100).toString("utf8").replace(/\0.*$/s, "");
    const size = parseInt(tar.subarray(off + 124, off + 136).toString("utf8").replace(/\0.*$/s, "").trim() || "0", 8);
    if (path === `${name}/Chart.yaml`) return tar.subarray(off + 512, off + 512 + size).toString("utf8");
    off += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${name}/Chart.yaml not in the archive`);
}
