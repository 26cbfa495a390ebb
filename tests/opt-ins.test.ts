/**
 * The platform's opt-ins (platform/opt-ins.ts, issue 20): every entry is a real stack config key whose
 * example parses and turns it on, its releases exist, its namespace exists only while it is on; and
 * the capacity check (apps/capacity.ts) refuses a stack that fits without its opt-ins but not with
 * them, naming each key that is on, what it requests, and the room a second host like the first (or
 * more existingNodes) would give (issue 19).
 */
import { assertStackFits, stackCapacity } from "../apps/capacity";
import { k3sClusterFacts } from "../cluster/facts";
import { agentsThatFit, secondHostRoom } from "../cluster/second-host";
import { allocatable } from "../cluster/reservations";
import { parseApps } from "../config/apps";
import { hostMemoryBudget } from "../config/host-memory";
import { parseExistingCluster } from "../config/existing-cluster";
import { parsePlatformSettings, PLATFORM_CONFIG_KEYS } from "../config/platform";
import { SECRET_CONFIG_KEYS } from "../config/secret";
import { parseTopology } from "../config/validate";
import { existingClusterFacts } from "../existing-cluster/facts";
import { planNamespaces } from "../platform/namespaces";
import { OPT_INS, optInContext, optInsOn, withoutOptIns } from "../platform/opt-ins";
import { RELEASES } from "../platform/releases";
import { EXISTING_NODES } from "./helpers/existing-cluster";
import { problemsOf } from "./helpers/problems";
import { rawStack, stackConfig } from "./helpers/stacks";
import { testVolumeBackups } from "./helpers/volume-backups";
import { startHarness } from "./helpers/pulumi-harness";

const topology = parseTopology(rawStack("prod"), "prod");
const facts = k3sClusterFacts(topology);
const allOn = Object.fromEntries(OPT_INS.map((o) => [o.key, o.example]));
const { apps } = parseApps({ appsRegistry: "registry.example.com/fmc", apps: stackConfig("prod").apps }, topology);

describe("OPT_INS", () => {
  it("lists the vpa opt-in, each key once", () => {
    expect(OPT_INS.map((o) => o.key)).toContain("vpa");
    expect(new Set(OPT_INS.map((o) => o.key)).size).toBe(OPT_INS.length);
  });

  it.each(OPT_INS.map((o) => [o.key, o]))("%s: a stack config key; its example turns it on; absent it is off; its releases exist", (_key, o) => {
    expect(PLATFORM_CONFIG_KEYS).toContain(o.key);
    const on = parsePlatformSettings({ [o.key]: o.example }, topology, o.needs?.context);
    expect(on[o.key]).toBeDefined();
    expect(optInsOn(on)).toEqual([o]);
    expect(parsePlatformSettings({}, topology)[o.key]).toBeUndefined();
    expect(withoutOptIns(on)[o.key]).toBeUndefined();
    expect(o.releases.length).toBeGreaterThan(0);
    for (const r of o.releases) expect(RELEASES[r]).toBeDefined();
    // What the lab sets besides the key is what the parse context says.
    expect(Object.keys(o.needs?.context ?? {}).every((k) => k === o.key)).toBe(true);
    expect(o.purpose).toMatch(/\S/);
  });

  it("an opt-in's releases' namespaces exist only while it is on, and hold no release of the always-on platform", () => {
    const off = { settings: parsePlatformSettings({}, topology) };
    const on = { settings: parsePlatformSettings(allOn, topology, optInContext()) };
    // logs' other stack (loki) is an opt-in release too, though the example (elk) leaves it out.
    const optInReleases = new Set<keyof typeof RELEASES>([...OPT_INS.flatMap((o) => o.releases), "loki"]);
    const theirs = new Set(OPT_INS.flatMap((o) => o.releases.map((r) => RELEASES[r].namespace)));
    for (const ns of theirs) {
      expect(planNamespaces(off)).not.toContain(ns);
      expect(planNamespaces(on)).toContain(ns);
      const sharing = (Object.keys(RELEASES) as (keyof typeof RELEASES)[]).filter((r) => RELEASES[r].namespace === ns && !optInReleases.has(r));
      expect(sharing).toEqual([]);
    }
  });
});

describe("a second host like the first (issue 19)", () => {
  it("holds as many agents as its threads and its memory (qemu, libvirt, host OS; no Pulumi run) take", () => {
    const host = { threads: 24, memoryGiB: 35, reservedMemoryGiB: 1 };
    const vm = { vcpus: 4, memoryMiB: 6144 };
    const n = agentsThatFit(host, vm);
    const budget = (k: number) => hostMemoryBudget({ ...host, libvirtUri: "qemu+ssh://h/system" }, Array.from({ length: k }, () => vm));
    expect(budget(n).fits).toBe(true);
    expect(budget(n + 1).fits && (n + 1) * vm.vcpus <= host.threads).toBe(false);
    expect(budget(n).pulumiMiB).toBe(0);
    // Threads bind first on a host with few of them.
    expect(agentsThatFit({ ...host, threads: 8 }, vm)).toBe(2);
  });

  it("prod: agents like its largest worker, each with the kubelet's allocatable", () => {
    const more = secondHostRoom(topology);
    if (more.kind !== "secondHost") throw new Error("prod is a VM stack");
    const first = topology.hosts[0];
    const worker = topology.vms.filter((v) => v.role === "k3s-agent").sort((a, b) => b.memoryMiB - a.memoryMiB)[0];
    expect(more.nodes.length).toBe(agentsThatFit(first, worker));
    expect(more.nodes.length).toBeGreaterThan(0);
    for (const n of more.nodes) expect(n.allocatable).toEqual(allocatable({ ...worker, role: "k3s-agent" }));
    expect(more.description).toContain(`like ${first.name} (${first.threads} threads, ${first.memoryGiB} GiB)`);
    expect(more.description).toContain(`like ${worker.name}`);
  });
});

describe("the capacity check with opt-ins (prod: ~125 MiB left at the reference apps' replicas.max)", () => {
  const settings = parsePlatformSettings(allOn, topology, optInContext());

  it("prod with the reference apps and every opt-in on does not fit, and fits without them", () => {
    expect(stackCapacity(facts, settings, apps).report.fits).toBe(false);
    expect(stackCapacity(facts, withoutOptIns(settings), apps).report.fits).toBe(true);
  });

  it("is refused before anything is created, naming each opt-in key that is on with its requests and the second host's room", () => {
    const full = stackCapacity(facts, settings, apps);
    const problems = problemsOf(() => assertStackFits(facts, settings, apps, undefined, secondHostRoom(topology)));
    expect(problems.length).toBe(full.report.problems.length);
    const keys = OPT_INS.map((o) => o.key).join(", ");
    for (const p of problems) {
      expect(p.startsWith(`${keys}: the opt-ins that are on do not fit`)).toBe(true);
      for (const o of OPT_INS) {
        const alone = stackCapacity(facts, withoutOptIns(settings, [o.key]), apps).report.requests;
        const cpu = full.report.requests.cpuMilli - alone.cpuMilli;
        const mem = full.report.requests.memoryMiB - alone.memoryMiB;
        expect(mem).toBeGreaterThan(0);
        expect(p).toContain(`${o.key} ${cpu}m CPU, ${mem} MiB`);
      }
      expect(p).toMatch(/memory requests \d+ MiB exceed/);
      expect(p).toMatch(/a second host like .* holding \d+ K3s agents? like .* would give \d+m CPU, \d+ MiB more for pods .*, enough for this stack: add it under `hosts`/);
    }
    console.log(`prod with every opt-in: ${problems[0]}`);
  });

  it("the vpa alone: the recommender's 50m CPU and 128 MiB", () => {
    const vpaOnly = parsePlatformSettings({ vpa: { platform: false } }, topology);
    expect(problemsOf(() => assertStackFits(facts, vpaOnly, apps))).toEqual([
      expect.stringMatching(/^vpa: the opt-ins that are on do not fit .*\(requests: vpa 50m CPU, 128 MiB\): memory requests \d+ MiB exceed/),
    ]);
  });

  it("with the volume backups on as well, both keys are named; with the backups alone, their own message", () => {
    const vb = testVolumeBackups();
    const problems = problemsOf(() => assertStackFits(facts, settings, apps, vb, secondHostRoom(topology)));
    for (const p of problems) {
      expect(p.startsWith(`${OPT_INS.map((o) => o.key).join(", ")}, backupS3Endpoint: `)).toBe(true);
      expect(p).toContain("the volume backups (backupS3Endpoint) 120m CPU, 352 MiB");
    }
    expect(problemsOf(() => assertStackFits(facts, withoutOptIns(settings), apps, vb, secondHostRoom(topology)))).toEqual([
      expect.stringMatching(/^backupS3Endpoint: the volume backups \(velero 320 MiB, snapshot-controller 32 MiB of requests\) do not fit .*; a second host like .* would give/),
    ]);
  });

  it("an existing cluster: the hint is more existingNodes (the program cannot size them)", () => {
    const existing = parseExistingCluster({ existingNodes: EXISTING_NODES });
    const roomy = existingClusterFacts(existing, "home.example");
    const esettings = parsePlatformSettings(allOn, { nodes: roomy.nodes }, optInContext());
    // The example cluster has room to spare: take all but 8 MiB of it off the last agent.
    const spare = stackCapacity(roomy, withoutOptIns(esettings), apps).free.memoryMiB - 8;
    const last = roomy.nodes[roomy.nodes.length - 1];
    const efacts = { ...roomy, nodes: [...roomy.nodes.slice(0, -1), { ...last, allocatable: { ...last.allocatable, memoryMiB: last.allocatable.memoryMiB - spare } }] };
    const fits = (s: typeof esettings) => stackCapacity(efacts, s, apps).report.fits;
    expect([fits(esettings), fits(withoutOptIns(esettings))]).toEqual([false, true]);
    for (const p of problemsOf(() => assertStackFits(efacts, esettings, apps, undefined, { kind: "existingNodes" }))) {
      expect(p).toMatch(/; or add nodes to the cluster and list them in existingNodes$/);
    }
  });

  it("a stack that does not fit even without its opt-ins is refused naming apps, as before", () => {
    const greedy = apps.map((a) => ({ ...a, replicas: { min: 1, max: 20 } }));
    expect(problemsOf(() => assertStackFits(facts, settings, greedy, undefined, secondHostRoom(topology)))[0]).toMatch(/^apps: the platform and the apps do not fit/);
  });

  it("fits with the second host's agents: nothing thrown, the opt-ins' workloads counted", () => {
    const more = secondHostRoom(topology);
    const grown = { ...facts, nodes: [...facts.nodes, ...(more.kind === "secondHost" ? more.nodes : [])] };
    const c = assertStackFits(grown, settings, apps, undefined, more);
    expect(c.report.byRelease.vpa).toEqual({ cpuMilli: 50, memoryMiB: 128 });
  });
});

it("the program stops on prod with every opt-in on before a single resource is registered, naming them", async () => {
  const needs = OPT_INS.map((o) => ({ ...o.needs?.config, ...o.needs?.secrets }));
  const secrets = OPT_INS.flatMap((o) => Object.keys(o.needs?.secrets ?? {}));
  const h = await startHarness({ stack: "prod", config: { ...stackConfig("prod"), appsRegistry: "registry.example.com/fmc", ...Object.assign({}, ...needs), ...allOn }, secretKeys: [...SECRET_CONFIG_KEYS.filter((k) => stackConfig("prod")[k] !== undefined), ...secrets] });
  await expect(import("../index")).rejects.toThrow(new RegExp(`${OPT_INS.map((o) => o.key).join(", ")}: the opt-ins that are on do not fit .*a second host like ProLiant DL380 G7`));
  await h.settle();
  expect(h.all().filter((r) => r.custom)).toEqual([]);
});
