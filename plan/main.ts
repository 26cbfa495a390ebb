/**
 * `npm run plan -- --stack <name>` (default prod, via plan/run.js): the offline plan. Runs the real program (index.ts)
 * under the Pulumi SDK's mock engine with the stack's committed config (placeholders for secrets),
 * with no hypervisor, no Pulumi CLI and no network, and prints what the stack builds per stage, its
 * VMs, whether it fits the hardware, and the critical path of the deployment. For prod it also
 * writes docs/architecture.md. Exit status: 0 fits, 1 does not fit, 2 the program or config failed.
 *
 *   --stack <name>     stack config Pulumi.<name>.yaml (default prod)
 *   --diagram <path>   where to write the Mermaid diagram (default docs/architecture.md for prod only)
 *   --no-diagram       write no diagram
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import { dirname, isAbsolute, join, relative } from "path";
import { parseApps } from "../config/apps";
import { parseTopology } from "../config/validate";
import { Topology } from "../config/topology";
import { policies } from "../policy/policies";
import { looksSecretKey } from "../policy/secret-keys";
import { Amount, capacityReport, LogsOption, PlatformTotals } from "./capacity";
import { criticalPath } from "./critical-path";
import { renderArchitectureDoc } from "./diagram";
import { PolicyConfig, runPolicies } from "./policy-check";
import { startRecorder } from "./recorder";
import { PlanResult, planFails, renderReport } from "./report";
import { projectRoot, readStackFile, secretPlaceholder } from "./stack-config";
import { StageSummary, summariseStages } from "./stages";

export interface PlanOptions {
  stack: string;
  /** Repository root (default: the directory holding Pulumi.yaml above this file). */
  root?: string;
  /** Where to write docs/architecture.md-style output; relative to the root. Undefined: none. */
  diagramPath?: string;
}

export interface PlanRun {
  result?: PlanResult;
  /** The report, or the error that stopped the program. */
  text: string;
  exitCode: 0 | 1 | 2;
  /** Absolute path of the diagram written, if any. */
  diagramWritten?: string;
  diagram?: string;
}

/**
 * Runs the program once under the mock engine and reports on it. The SDK's runtime is
 * process-global and index.ts runs once per process: call this once per process.
 */
export async function runPlan(options: PlanOptions): Promise<PlanRun> {
  const root = options.root ?? projectRoot(__dirname);
  const file = readStackFile(root, options.stack);
  // The plan reports on a VM topology (the host's VMs, its capacity, stage 1-2's critical path); an
  // existing-cluster stack has none of that: its preview is the report (docs/existing-cluster.md).
  if (typeof file.config.kubeconfig === "string" && file.config.kubeconfig.trim() !== "") {
    return {
      text: `Stack ${options.stack} deploys onto an existing cluster (kubeconfig): the offline plan reports on a VM topology only; run \`pulumi preview --stack ${options.stack}\`.\n`,
      exitCode: 2,
    };
  }

  const asyncErrors: unknown[] = [];
  const onRejection = (e: unknown) => asyncErrors.push(e);
  process.on("unhandledRejection", onRejection);
  try {
    const recorder = await startRecorder({
      stack: options.stack,
      config: file.config,
      secretKeys: file.secretKeys,
      // Like a first `pulumi preview`: nothing exists yet, outputs the engine computes are unknown.
      preview: true,
      secretPlaceholder,
    });
    try {
      await import("../index");
      await recorder.settle();
    } catch (e) {
      return failed(e);
    }
    if (asyncErrors.length > 0) return failed(asyncErrors[0]);

    const topology = parseTopology(file.config, options.stack);
    const stages = summariseStages(recorder.all());
    const reads = [...recorder.configReads];
    const platform = platformTotals(stages, topology);
    // The same per-stack policy config a user passes with --policy-pack-config.
    const policyConfigFile = join("policy", `config.${options.stack}.json`);
    const policyConfig = existsSync(join(root, policyConfigFile))
      ? (JSON.parse(readFileSync(join(root, policyConfigFile), "utf8")) as PolicyConfig)
      : {};
    const result: PlanResult = {
      stack: options.stack,
      topology,
      stages,
      capacity: capacityReport(topology, platform.totals, platform.note),
      path: criticalPath(recorder.all()),
      placeholders: [...new Set([...file.filledIn.filter((k) => file.secretKeys.includes(k)), ...reads.filter((r) => r.placeholder).map((r) => r.key)])],
      plainSecretReads: [...new Set(reads.filter((r) => !r.secret && looksSecretKey(r.key)).map((r) => r.key))],
      warnings: topology.warnings,
      policies: policies.map((p) => p.name),
      violations: await runPolicies(policies, recorder.all(), policyConfig),
      policyConfigFile: existsSync(join(root, policyConfigFile)) ? policyConfigFile : undefined,
    };
    const diagram = renderArchitectureDoc(topology, parseApps(file.config, topology).apps);
    let diagramWritten: string | undefined;
    if (options.diagramPath) {
      diagramWritten = isAbsolute(options.diagramPath) ? options.diagramPath : join(root, options.diagramPath);
      mkdirSync(dirname(diagramWritten), { recursive: true });
      writeFileSync(diagramWritten, diagram);
    }
    let text = renderReport(result);
    if (diagramWritten) text += `Diagram: ${relative(root, diagramWritten)}\n`;
    return { result, text, exitCode: planFails(result) ? 1 : 0, diagram, diagramWritten };
  } finally {
    process.off("unhandledRejection", onRejection);
  }
}

function failed(e: unknown): PlanRun {
  const message = e instanceof Error ? e.message : String(e);
  return { text: `The program stopped before it registered its resources:\n${message}\n`, exitCode: 2 };
}

/**
 * The platform's requests and limits from the platform stage's own pure capacity check, run on the
 * same topology and stack config the component used: k3sClusterFacts -> planPlatform ->
 * renderPlatform -> capacityReport. Loaded by path, so the plan builds and runs before (and
 * without) platform/; a stage that is not registered, or a module that does not offer these
 * functions, is reported instead of guessed at.
 */
function platformTotals(stages: StageSummary[], topology: Topology): { totals?: PlatformTotals; note?: string } {
  if (!stages.find((s) => s.id === "platform")?.built) return { note: "platform stage not built yet: requests and limits not checked" };
  const load = (path: string): Record<string, unknown> => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(join(__dirname, "..", path)) as Record<string, unknown>;
  };
  try {
    const fn = (mod: Record<string, unknown>, name: string) => {
      const f = mod[name];
      if (typeof f !== "function") throw new Error(`${name} is not exported`);
      return f as (...args: unknown[]) => unknown;
    };
    const facts = fn(load("cluster/facts"), "k3sClusterFacts")(topology) as { nodes: unknown[] };
    const settings = fn(load("config/platform"), "loadPlatformSettings")(topology);
    const plan = fn(load("platform/plan"), "planPlatform")({ ...facts, settings });
    const { workloads } = fn(load("platform/render"), "renderPlatform")(plan) as { workloads: unknown[] };
    type Report = { requests: Amount; limits: Amount; byRelease: Record<string, Amount>; problems: string[] };
    let report = fn(load("platform/capacity"), "capacityReport")(workloads, facts.nodes) as Report;
    let budget: PlatformTotals["budget"];
    let roomByHostCount: PlatformTotals["roomByHostCount"];
    let logs: LogsOption[] | undefined;
    const survival = (plan as { ceph?: { survives?: { host?: { data: boolean; io: boolean; monQuorum: boolean } } } }).ceph?.survives?.host;
    // With the apps stage, its own check: the platform and every app at its maximum replicas.
    if (stages.find((s) => s.id === "apps")?.built) {
      const apps = (fn(load("config/apps"), "loadAppsSettings")(topology) as { apps: unknown[] }).apps;
      const stack = fn(load("apps/capacity"), "stackCapacity")(facts, settings, apps) as { report: Report; platform: Amount; apps: Amount; free: Amount };
      report = stack.report;
      budget = { platform: stack.platform, apps: stack.apps, free: stack.free };
      logs = fn(load("apps/logs-footprint"), "logsFootprints")(facts, settings, apps) as LogsOption[];
      // The room with the first n hosts' nodes only: what each host adds (plan/host-fit.ts).
      const hostNames = topology.hosts.map((h) => h.name);
      roomByHostCount = hostNames.map((_, i) => {
        if (i === hostNames.length - 1) return stack.free;
        const kept = new Set(hostNames.slice(0, i + 1));
        try {
          const nodes = (facts.nodes as { host?: string }[]).filter((n) => n.host === undefined || kept.has(n.host));
          return (fn(load("apps/capacity"), "stackCapacity")({ ...facts, nodes }, settings, apps) as { free: Amount }).free;
        } catch {
          return undefined;
        }
      });
    }
    return {
      totals: {
        requests: report.requests,
        limits: report.limits,
        byRelease: Object.entries(report.byRelease).map(([name, requests]) => ({ name, requests })),
        problems: report.problems,
        budget,
        roomByHostCount,
        logs,
        cephSurvivesHost: survival && survival.data && survival.io && survival.monQuorum,
      },
    };
  } catch (e) {
    return { note: `platform/ offers no capacity figures the plan can read (${e instanceof Error ? e.message : String(e)}): requests and limits not checked` };
  }
}

export function parseArgs(argv: string[]): PlanOptions {
  let stack = "prod";
  let diagramPath: string | undefined | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--stack") stack = value();
    else if (arg.startsWith("--stack=")) stack = arg.slice("--stack=".length);
    else if (arg === "--diagram") diagramPath = value();
    else if (arg === "--no-diagram") diagramPath = undefined;
    else throw new Error(`unknown argument ${arg} (use --stack <name>, --diagram <path>, --no-diagram)`);
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new Error(`not a stack name: ${stack}`);
  return { stack, diagramPath: diagramPath === null ? (stack === "prod" ? "docs/architecture.md" : undefined) : diagramPath };
}

/** The command line (plan/run.js calls it): prints the report and exits with its status. */
export async function cli(argv: string[]): Promise<void> {
  let code: number;
  try {
    const run = await runPlan(parseArgs(argv));
    process.stdout.write(run.text);
    code = run.exitCode;
  } catch (e) {
    process.stderr.write(`plan: ${e instanceof Error ? e.message : String(e)}\n`);
    code = 2;
  }
  // Exit explicitly: the SDK's leak check must not turn a finished plan into a failure or a hang.
  process.stdout.write("", () => process.exit(code));
}
