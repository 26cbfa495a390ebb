/**
 * The plan's per-host and vendor-minimum sections as text: pure formatting of ./host-fit.ts and
 * platform/vendor-minimums.ts.
 */
import { describePoolBudget, gibText } from "../config/host-disk";
import { describeSurvival } from "../platform/ceph-layout";
import { MinimumCheck } from "../platform/vendor-minimums";
import { Amount, DiskReport } from "./capacity";
import { HostsPlan } from "./host-fit";

const num = (n: number): string => String(Number(n.toFixed(n < 10 ? 2 : 1)));
const amount = (a: Amount): string => `${num(a.cpuMilli / 1000)} CPU ${num(a.memoryMiB / 1024)} GiB`;
const pct = (part: number, whole: number): string => (whole > 0 ? `${Math.round((part / whole) * 100)}%` : "-");

/** The share of a host's allocatable memory that the room it adds for apps is (undefined when not measured). */
export function appsShare(h: { addsForApps?: Amount; allocatable: Amount }): number | undefined {
  return h.addsForApps && h.allocatable.memoryMiB > 0 ? h.addsForApps.memoryMiB / h.allocatable.memoryMiB : undefined;
}

export function hostsSection(p: HostsPlan, table: (header: string[], rows: string[][]) => string[]): string[] {
  const out = ["Hosts (each host's VMs against it; room for apps: what the host adds, the room with it less the room without it)"];
  out.push(
    ...table(
      ["host", "threads", "VM memory / left after overhead", "pools (worst case)", "pods' allocatable", "adds for apps", "of its allocatable"],
      p.hosts.map((h) => [
        h.host,
        `${h.threads.used} / ${h.threads.available}`,
        `${num(h.memoryGiB.used)} / ${num(h.memoryGiB.available)} GiB${h.fits ? "" : " DOES NOT FIT"}`,
        h.pools.map((pool) => `${pool.pool} ${gibText(pool.worstCaseBytes)}${pool.capacityGiB === undefined ? "" : ` of ${pool.capacityGiB} GiB${pool.fits ? "" : " DOES NOT FIT"}`}`).join(", "),
        h.nodes.length > 0 ? `${amount(h.allocatable)} (${h.nodes.join(", ")})` : "none",
        h.addsForApps ? amount(h.addsForApps) : "-",
        h.addsForApps ? pct(h.addsForApps.memoryMiB, h.allocatable.memoryMiB) + " of memory" : "-",
      ]),
    ),
  );
  if (p.totalRoom) out.push(`  room for more apps on every host together (requests): ${amount(p.totalRoom)}`);
  if (p.roomNote) out.push(`  room per host: ${p.roomNote}`);
  if (p.hosts.length > 1) {
    for (const r of p.redundancy) {
      const members = Object.entries(r.perHost).map(([h, n]) => `${h} ${n}`).join(", ");
      const losing = Object.entries(r.survivesLosing).map(([h, ok]) => `without ${h}: ${ok ? "goes on" : "STOPS"}`).join("; ");
      const what = r.component === "etcd" ? "K3s servers" : r.component === "ingress" ? "load balancer VMs" : "OSDs";
      const redundant = Object.values(r.survivesLosing).every(Boolean);
      // Said, not implied: the program makes one ingress address (docs/multi-host-networks.md).
      const why = r.component === "ingress" && !redundant ? "; the ingress address, the API endpoint and its certificate are the first load balancer's: the program makes no second load balancer a failover (no shared address)" : "";
      out.push(`  ${r.component}: ${what} ${members}; ${losing} (${redundant ? "redundant across hosts" : "not redundant across hosts"}${why})`);
    }
    if (p.ceph) {
      const c = p.ceph;
      out.push(
        `  Ceph layout (plan/ceph-layout.ts): ${c.osds.length} OSDs on ${c.disks} disks of ${c.hosts} hosts, failure domain ${c.failureDomain} (${c.buckets} buckets), ` +
          `pool size ${c.poolSize} (min_size ${c.minSize}), ${c.monCount} mons, ${c.mgrCount} mgrs; losing ${describeSurvival(c).join("; ")}`,
      );
    }
    const byHost = [...new Set(p.singletons.map((x) => x.host))];
    if (byHost.length > 0) {
      const on = byHost.map((h) => `${p.singletons.filter((x) => x.host === h).map((x) => `${x.vm} (${x.role})`).join(", ")} on ${h}`).join("; ");
      out.push(`  one VM each, never replicated by the program: ${on}: each stops with its host`);
    }
  }
  return out;
}

function poolLine(d: DiskReport): string {
  if (d.volumes.length === 0) return "no volumes";
  return (
    `${gibText(d.atCreateBytes)} taken when the volumes are created, up to ${gibText(d.worstCaseBytes)} once every root disk is full (${describePoolBudget(d)}); ` +
    (d.capacityGiB === undefined
      ? `${d.capacityKey} not stated: the host preflight checks the pool's free space before anything is created`
      : `${d.capacityKey} ${d.capacityGiB} GiB: ${d.fits ? "ok" : "DOES NOT FIT"}`)
  );
}

/**
 * What the stack puts on each host's disks: per host its total, then each pool (one directory, ideally
 * one physical disk) with the key that states its capacity. A one-pool stack keeps its one line.
 */
export function disksSection(disks: DiskReport[], onePool: boolean): string[] {
  if (onePool && disks.length === 1) return [`  storage pool ${disks[0].poolPath}: ${poolLine(disks[0])}`];
  const out = ["  storage per host and pool (raw disks are preallocated when created; root overlays grow to their size):"];
  for (const host of [...new Set(disks.map((d) => d.host))]) {
    const pools = disks.filter((d) => d.host === host);
    const sum = (f: (d: DiskReport) => number) => pools.reduce((s, d) => s + f(d), 0);
    out.push(`    host ${host}: ${gibText(sum((d) => d.atCreateBytes))} taken when the volumes are created, up to ${gibText(sum((d) => d.worstCaseBytes))} over its ${pools.length} pool(s)`);
    for (const d of pools) out.push(`      pool ${d.pool} (${d.poolPath}): ${poolLine(d)}`);
  }
  return out;
}

export function minimumsSection(checks: MinimumCheck[], table: (header: string[], rows: string[][]) => string[]): string[] {
  if (checks.length === 0) return [];
  const out = ["Vendor minimums (each component's memory request beside its vendor's documented figure: platform/vendor-minimum-sources.json)"];
  out.push(
    ...table(
      ["component", "request", "vendor minimum", "result", "source"],
      checks.map((c) => [
        c.component,
        `${c.requestMiB} MiB`,
        c.minimumMiB === undefined ? "none documented" : `${c.minimumMiB} MiB`,
        c.below ? `BELOW: ${c.consequence ?? ""}` : c.minimumMiB === undefined ? "-" : "ok",
        c.source,
      ]),
    ),
  );
  for (const c of checks.filter((x) => x.minimumMiB === undefined)) out.push(`  ${c.component}: ${c.vendorFigure}`);
  return out;
}
