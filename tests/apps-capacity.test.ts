/**
 * Room for the apps: the platform and the apps (at replicas.max) against the schedulable nodes, from
 * the stack config alone; a stack whose apps do not fit stops before anything is created.
 */
import { k3sClusterFacts } from "../cluster/facts";
import { assertStackFits, stackCapacity } from "../apps/capacity";
import { AppSpec, parseApps } from "../config/apps";
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { problemsOf } from "./helpers/problems";
import { startHarness } from "./helpers/pulumi-harness";
import { rawStack, stackConfig } from "./helpers/stacks";

const topology = parseTopology(rawStack("prod"), "prod");
const settings = parsePlatformSettings({}, topology);
const { apps } = parseApps({ appsRegistry: "registry.example.com/fmc", apps: stackConfig("prod").apps }, topology);

it("prod fits the reference app at its maximum replicas, and says what is left", () => {
  const c = stackCapacity(k3sClusterFacts(topology), settings, apps);
  expect(c.report.fits).toBe(true);
  // api 4 x (100m, 128Mi) + worker 3 x (100m, 128Mi) + frontend 3 x (20m, 32Mi)
  expect(c.apps).toEqual({ cpuMilli: 760, memoryMiB: 992 });
  expect(c.platform.memoryMiB + c.apps.memoryMiB + c.free.memoryMiB).toBe(c.report.allocatable.memoryMiB);
  // The README's budget table.
  expect(c.platform).toEqual({ cpuMilli: 4100, memoryMiB: 14060 });
  // Room for more apps: 125 MiB. The seed host is full (docs/platform.md, "Sizing").
  expect(c.free).toEqual({ cpuMilli: 5640, memoryMiB: 125 });
  expect(c.report.byRelease["app:api"]).toEqual({ cpuMilli: 400, memoryMiB: 512 });
});

it("prod: a drained worker's share of the requests does not fit the room left on the others (docs/platform.md, Reboots)", () => {
  const c = stackCapacity(k3sClusterFacts(topology), settings, apps);
  const workers = c.report.nodes.length;
  const perWorker = (c.platform.memoryMiB + c.apps.memoryMiB) / workers;
  console.log(`prod drain: ${workers} workers, ${Math.round(perWorker)} MiB requested per worker on average, ${c.free.memoryMiB} MiB free in all`);
  expect(workers).toBe(3);
  expect(Math.round(perWorker)).toBe(5017);
  // So kured's drain leaves part of a worker's pods Pending until it is back (within their budgets).
  expect(perWorker).toBeGreaterThan(c.free.memoryMiB);
});

it("apps that do not fit are refused, naming apps", () => {
  const greedy: AppSpec[] = apps.map((a) => ({ ...a, replicas: { min: 1, max: 20 }, resources: { requests: { cpu: "100m", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } } }));
  expect(problemsOf(() => assertStackFits(k3sClusterFacts(topology), settings, greedy))).toEqual([
    expect.stringMatching(/^apps: the platform and the apps do not fit \(apps counted at replicas\.max\).*memory requests \d+ MiB exceed/),
  ]);
});

it("a bad apps entry stops the program before a single resource is registered", async () => {
  const config = stackConfig("prod");
  const h = await startHarness({ stack: "prod", config: { ...config, appsRegistry: "registry.example.com/fmc", apps: [{ ...(config.apps as object[])[0], image: "reference-api:latest" }] } });
  await expect(import("../index")).rejects.toThrow(/apps\[0\]\.image: .*latest/);
  await h.settle();
  expect(h.all().filter((r) => r.custom)).toEqual([]);
});
