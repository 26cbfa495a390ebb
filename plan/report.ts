/**
 * The plan as text: pure formatting of what plan/main.ts gathered.
 */
import { primaryNic, Topology } from "../config/topology";
import { CapacityLine, CapacityReport } from "./capacity";
import { CriticalPath } from "./critical-path";
import { disksSection, hostsSection, minimumsSection } from "./host-report";
import { Violation } from "./policy-check";
import { StageSummary } from "./stages";

export interface PlanResult {
  stack: string;
  topology: Topology;
  stages: StageSummary[];
  capacity: CapacityReport;
  path: CriticalPath;
  /** Secret config keys the plan filled with placeholders (the stack file has them encrypted or not at all). */
  placeholders: string[];
  /** Config keys that look secret but the program read as plain text. */
  plainSecretReads: string[];
  /** The topology's warnings (e.g. an even number of K3s servers). */
  warnings: string[];
  /** Names of the policies run (policy/policies.ts) and what they reported. */
  policies: string[];
  violations: Violation[];
  /** The policy config file used, if any (policy/config.<stack>.json). */
  policyConfigFile?: string;
}

/** Exit status: 0 when everything fits, 1 otherwise. */
export function planFails(result: PlanResult): boolean {
  return !result.capacity.fits || result.plainSecretReads.length > 0 || result.violations.some((v) => v.enforcementLevel === "mandatory");
}

export function table(header: string[], rows: string[][], indent = "  "): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => indent + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

export function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return `${m}:${String(s).padStart(2, "0")}`;
}

function num(n: number): string {
  return String(Number(n.toFixed(n < 10 ? 2 : 1)));
}

/**
 * The `logs` opt-in's two stacks beside the room: ELK is the seed's choice, Loki the lighter one the
 * plan offers when ELK does not fit (docs/logs.md).
 */
export function logsLines(options: CapacityReport["logs"]): string[] {
  if (!options || options.length === 0) return [];
  const amount = (a: { cpuMilli: number; memoryMiB: number }) => `${num(a.cpuMilli / 1000)} CPU ${gib(a.memoryMiB)}`;
  const label: Record<string, string> = { elk: "ELK (ECK operator, Elasticsearch, Kibana, Fluent Bit)", loki: "Loki (single binary, Fluent Bit; Grafana reads it)" };
  const lines = options.map(
    (o) =>
      `    ${o.stack}${o.configured ? " (configured)" : ""}: ${label[o.stack] ?? o.stack} adds ${amount(o.requests)} of requests; ` +
      (o.fits ? `fits, leaving ${amount(o.free)} for more apps` : `DOES NOT FIT next to the platform and the apps (short by ${amount({ cpuMilli: Math.max(0, -o.free.cpuMilli), memoryMiB: Math.max(0, -o.free.memoryMiB) })})`),
  );
  const elk = options.find((o) => o.stack === "elk");
  const loki = options.find((o) => o.stack === "loki");
  const short = (o: typeof elk) => (o ? gib(Math.max(0, -o.free.memoryMiB)) : "");
  const offer =
    elk && !elk.fits && loki
      ? [
          loki.fits
            ? "    ELK does not fit next to the rest: the lighter stack fits (logs: { stack: loki }); ELK needs another host's room (docs/logs.md)"
            : `    neither fits next to the apps at replicas.max: Loki, the lighter stack, needs ${short(loki)} more room, ELK ${short(elk)} ` +
              "(lower the apps' replicas.max or requests, or add a host: docs/logs.md)",
        ]
      : [];
  return ["  logs (opt-in `logs`, docs/logs.md):", ...lines, ...offer];
}

function capacityRows(lines: CapacityLine[]): string[][] {
  return lines.map((l) => [
    l.what,
    `${num(l.used)} / ${num(l.available)} ${l.unit}`,
    `${l.fits ? "ok" : "DOES NOT FIT"}${l.note ? ` (${l.note})` : ""}`,
  ]);
}

function gib(mib: number): string {
  return `${num(mib / 1024)} GiB`;
}

export function renderReport(r: PlanResult): string {
  const out: string[] = [];
  const { topology } = r;
  out.push(`FlatcarMicroCloud plan: stack ${r.stack} (Pulumi SDK mock engine: no hypervisor, no CLI, no network)`);
  out.push("");

  out.push("Stages");
  out.push(
    ...table(
      ["stage", "status"],
      [
        ["config", `validated: ${topology.vms.length} VMs on ${topology.networks.length} networks, ${topology.hosts.length === 1 ? "host" : "hosts"} ${topology.hosts.map((h) => h.name).join(", ")}`],
        ...r.stages.map((s) => [s.title, s.built ? `${s.total} resources` : "not built yet (index.ts creates no component of this stage)"]),
      ],
    ),
  );
  out.push("");

  out.push("Resources by stage and type");
  const rows = r.stages.filter((s) => s.built).flatMap((s) => s.byType.map((t) => [s.id, t.type, String(t.count)]));
  out.push(...table(["stage", "type", "count"], rows));
  out.push("");

  out.push("VMs");
  out.push(
    ...table(
      ["name", "role", "OS", "vCPU", "memory", "disks", "addresses"],
      topology.vms.map((vm) => [
        vm.name,
        vm.role,
        vm.os,
        String(vm.vcpus),
        gib(vm.memoryMiB),
        `${vm.rootDiskGiB} GiB${vm.dataDiskGiB !== undefined ? ` + ${vm.dataDiskGiB} GiB Ceph` : ""}`,
        [primaryNic(vm), ...vm.nics.filter((n) => !n.primary)].map((n) => `${n.address} (${n.network})`).join(", "),
      ]),
    ),
  );
  out.push("");

  const c = r.capacity;
  out.push("Capacity");
  out.push(...table(["check", "used / available", "result"], capacityRows(c.vms)));
  out.push(...disksSection(c.disks, topology.hosts.length === 1 && topology.hosts[0].pools.length === 1));
  const offerNote = c.schedulable.map((n) => `${n.name} ${num(n.allocatable.cpuMilli / 1000)} CPU ${gib(n.allocatable.memoryMiB)}`).join(", ");
  out.push(`  pods may run on ${c.schedulable.length} node(s) after K3s and system reservations: ${offerNote || "none"}`);
  if (c.platform) {
    out.push(...table(["check", "used / available", "result"], capacityRows(c.platform)));
    for (const p of c.platformProblems) out.push(`  DOES NOT FIT: ${p}`);
    const top = c.releases.slice(0, 5).map((w) => `${w.name} ${num(w.requests.cpuMilli / 1000)} CPU ${gib(w.requests.memoryMiB)}`);
    if (top.length > 0) out.push(`  largest requests: ${top.join("; ")}`);
    if (c.budget) {
      const b = c.budget;
      const amount = (a: { cpuMilli: number; memoryMiB: number }) => `${num(a.cpuMilli / 1000)} CPU ${gib(a.memoryMiB)}`;
      out.push(`  budget (requests): platform ${amount(b.platform)}; apps at replicas.max ${amount(b.apps)}; left for more apps ${amount(b.free)}`);
    }
    out.push(...logsLines(c.logs));
    out.push(`  Ceph: ${c.ceph}`);
  } else {
    out.push(`  platform: ${c.platformNote ?? "not checked"}`);
  }
  out.push(...hostsSection(c.hosts, table));
  out.push(...minimumsSection(c.minimums, table));
  out.push("  estimates (measure them on the real stack; every other figure is a setting):");
  for (const e of c.estimates) out.push(`    - ${e}`);
  out.push("");

  const p = r.path;
  out.push("Critical path (estimated durations per resource kind: plan/durations.ts)");
  out.push(
    ...table(
      ["starts", "resource", "kind", "takes"],
      p.steps.map((s) => [`+${clock(s.startsAt)}`, s.name, s.kind, `${s.seconds} s`]),
    ),
  );
  out.push(
    `  total ${clock(p.totalSeconds)} along the path, ${clock(p.sumSeconds)} for all resources one at a time: ` +
      `the graph allows ${p.parallelism.toFixed(1)}x parallelism`,
  );
  if (p.unlistedTypes.length > 0) out.push(`  estimated with the default (add rows to plan/durations.ts): ${p.unlistedTypes.join(", ")}`);
  const unbuilt = r.stages.filter((s) => !s.built).map((s) => s.id);
  if (unbuilt.length > 0) out.push(`  stages not built yet are not on the path: ${unbuilt.join(", ")}`);
  out.push("");

  const mandatory = r.violations.filter((v) => v.enforcementLevel === "mandatory");
  const advisory = r.violations.filter((v) => v.enforcementLevel !== "mandatory");
  const failed = new Set(r.violations.map((v) => v.policy));
  out.push(`Policies (policy/, as \`pulumi preview --policy-pack policy\` runs them${r.policyConfigFile ? ` with ${r.policyConfigFile}` : ""})`);
  out.push(`  ${r.policies.length - failed.size} of ${r.policies.length} pass: ${r.policies.filter((p) => !failed.has(p)).join(", ")}`);
  for (const v of mandatory) out.push(`  DOES NOT PASS ${v.policy}: ${v.message}${v.urn ? ` (${v.urn.split("::").pop()})` : ""}`);
  for (const v of advisory) out.push(`  advisory ${v.policy}: ${v.message}`);
  out.push("");

  if (r.placeholders.length > 0) out.push(`Secrets: placeholders used for ${r.placeholders.join(", ")} (their real values never reach the plan)`);
  if (r.plainSecretReads.length > 0) {
    out.push(`Secrets: DOES NOT PASS: secret-looking config read as plain text: ${r.plainSecretReads.join(", ")} (use getSecret/requireSecret)`);
  }
  for (const w of r.warnings) out.push(`Warning: ${w}`);
  const reasons = [
    ...(r.capacity.fits ? [] : ["does not fit its hardware"]),
    ...(mandatory.length > 0 ? [`breaks ${mandatory.length} mandatory policy check(s)`] : []),
    ...(r.plainSecretReads.length > 0 ? ["reads secret-looking config as plain text"] : []),
  ];
  out.push(reasons.length > 0 ? `Result: FAILS: the stack ${reasons.join(", ")} (see above)` : "Result: fits, and passes the policies");
  return out.join("\n") + "\n";
}
