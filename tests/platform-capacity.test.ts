/**
 * The platform's CPU and memory requests against the allocatable resources of the nodes pods can use
 * (after the K3s reservations of cluster/reservations.ts), on the committed stacks. Prints the figure.
 */
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { capacityReport, CapacityReport, describeCapacity, podCount, Workload } from "../platform/capacity";
import { k3sClusterFacts } from "../cluster/facts";
import { PlatformNode } from "../platform/facts";
import { planPlatform } from "../platform/plan";
import { renderPlatform } from "../platform/render";
import { memoryMiB, resources } from "../platform/resources";
import { rawStack } from "./helpers/stacks";

function reportFor(stack: "prod" | "dev", raw: Record<string, unknown> = {}): { report: CapacityReport; workloads: Workload[] } {
  const topology = parseTopology(rawStack(stack), stack);
  const facts = k3sClusterFacts(topology);
  const plan = planPlatform({ ...facts, settings: parsePlatformSettings(raw, topology) });
  const { workloads } = renderPlatform(plan);
  return { report: capacityReport(workloads, facts.nodes), workloads };
}

describe("capacity on prod (three 4 vCPU / 6400 MiB workers; servers tainted NoSchedule)", () => {
  const { report, workloads } = reportFor("prod");

  it("the sum of requests fits the workers' allocatable CPU and memory", () => {
    const lines = Object.entries(report.byRelease)
      .sort(([, a], [, b]) => b.memoryMiB - a.memoryMiB)
      .map(([release, f]) => `  ${release.padEnd(22)} ${String(f.cpuMilli).padStart(5)}m ${String(f.memoryMiB).padStart(6)} MiB`);
    console.log(`prod platform capacity: ${describeCapacity(report)}\nrequests by release:\n${lines.join("\n")}`);
    expect(report.nodes).toEqual(["worker1", "worker2", "worker3"]);
    // 3 x (4000m - 500m reserved) and 3 x (6400 - 189 (the guest kernel's, estimated) - 384 - 512 - 256 MiB).
    expect(report.allocatable).toEqual({ cpuMilli: 10500, memoryMiB: 15177 });
    expect(report.problems).toEqual([]);
    expect(report.fits).toBe(true);
    expect(report.requests.cpuMilli).toBeLessThanOrEqual(report.allocatable.cpuMilli);
    expect(report.requests.memoryMiB).toBeLessThanOrEqual(report.allocatable.memoryMiB);
    // The seed's host is full (docs/platform.md, "Sizing"): what is left holds the reference apps and
    // little more (tests/apps-capacity.test.ts); the check stays honest rather than roomy.
    expect(report.requests.memoryMiB / report.allocatable.memoryMiB).toBeLessThan(0.95);
  });

  it("counts replicas, and DaemonSets once per worker (node-exporter and kured also on the two tainted servers)", () => {
    const osd = workloads.find((w) => w.name === "osd") as Workload;
    expect(podCount(osd, 3)).toBe(3);
    const nodeExporter = workloads.find((w) => w.name === "node-exporter") as Workload;
    expect(nodeExporter.kind).toBe("DaemonSet");
    expect(nodeExporter.toleratesTaints).toBe(true);
    expect(report.tainted.nodes).toEqual(["bootstrap1", "master1"]);
    // node-exporter 20m/32Mi and kured 10m/32Mi on each of the two servers.
    expect(report.tainted.requests).toEqual({ cpuMilli: 60, memoryMiB: 128 });
    const csiNode = workloads.find((w) => w.name === "rbd-nodeplugin") as Workload;
    expect(csiNode.toleratesTaints).toBeFalsy();
  });

  it("sizes Prometheus for five nodes' series (512 MiB was too little) and states it as an estimate", () => {
    const prometheus = workloads.find((w) => w.name === "prometheus") as Workload;
    const server = prometheus.containers.find((c) => c.name === "prometheus");
    expect(memoryMiB(server!.resources.requests.memory)).toBeGreaterThanOrEqual(768);
    expect(memoryMiB(server!.resources.limits.memory)).toBeGreaterThanOrEqual(2048);
  });

  it("leaves one-off jobs (OSD prepare, webhook patch) out of the steady state", () => {
    const jobs = workloads.filter((w) => w.kind === "Job").map((w) => w.name);
    expect(jobs.sort()).toEqual(["admission-patch", "cert-manager-startupapicheck", "osd-prepare"]);
  });
});

describe("capacity on dev (one server, one agent, both schedulable)", () => {
  it("fits with single replicas", () => {
    const { report } = reportFor("dev");
    console.log(`dev platform capacity: ${describeCapacity(report)}`);
    expect(report.nodes).toEqual(["server1", "agent1"]);
    expect(report.problems).toEqual([]);
  });
});

describe("the check fails when the platform does not fit", () => {
  it("names the resource that is short", () => {
    const node: PlatformNode = { name: "tiny", role: "k3s-agent", address: "10.0.0.2", taints: [], allocatable: { cpuMilli: 1000, memoryMiB: 1024 } };
    const big: Workload = { release: "x", name: "big", kind: "Deployment", replicas: 2, containers: [{ name: "c", resources: resources("600m", "600Mi", "1", "1Gi") }] };
    const report = capacityReport([big], [node]);
    expect(report.fits).toBe(false);
    expect(report.problems.join("\n")).toMatch(/CPU requests 1200m exceed the 1000m allocatable on tiny/);
    expect(report.problems.join("\n")).toMatch(/memory requests 1200 MiB exceed the 1024 MiB/);
  });
});
