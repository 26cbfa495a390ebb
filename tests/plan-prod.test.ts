/**
 * `npm run plan` on the prod stack: the real program under the mock engine, reported.
 */
import { PlanRun, runPlan } from "../plan/main";

let run: PlanRun;

beforeAll(async () => {
  run = await runPlan({ stack: "prod" });
});

describe("offline plan of the prod stack", () => {
  it("runs the program without a hypervisor, CLI or network and finds that it fits", () => {
    expect(run.text).not.toContain("program stopped");
    expect(run.exitCode).toBe(0);
    expect(run.text).toContain("Result: fits, and passes the policies");
  });

  it("counts resources per stage and type, and says which stages are not built yet", () => {
    const r = run.result!;
    const infra = r.stages.find((s) => s.id === "infra")!;
    expect(infra.built).toBe(true);
    expect(infra.byType).toContainEqual({ type: "libvirt:index/domain:Domain", count: 9 });
    expect(run.text).toMatch(/^ {2}infra +libvirt:index\/domain:Domain +9$/m);
    for (const s of r.stages.filter((x) => x.id === "cluster" || x.id === "platform")) {
      const line = run.text.split("\n").find((l) => l.trimStart().startsWith(s.title))!;
      expect(line).toContain(s.built ? `${s.total} resources` : "not built yet");
    }
  });

  it("lists every VM with OS, size, disks and addresses", () => {
    expect(run.text).toMatch(/^ {2}worker1 +k3s-agent +flatcar +4 +6\.25 GiB +40 GiB \+ 200 GiB Ceph +10\.17\.4\.24 \(kube_network_03\)$/m);
    expect(run.text).toMatch(/^ {2}bastion1 +bastion +rocky +1 +0\.75 GiB +20 GiB +192\.168\.0\.22 \(br0\), 10\.17\.3\.10 \(kube_network_02\), 10\.17\.4\.10 \(kube_network_03\)$/m);
  });

  it("reports VM capacity against the host and the workers' allocatable", () => {
    expect(run.text).toMatch(/VM vCPUs \/ host threads +23 \/ 24 vCPU +ok/);
    expect(run.text).toMatch(/VM memory \/ host's 35 GiB less hypervisor and host +30\.3 \/ 30\.3 GiB +ok \(qemu 1970 MiB \(9 VMs\), libvirt 256 MiB, Pulumi run 1536 MiB, host OS 1024 MiB/);
    expect(run.text).toContain("pods may run on 3 node(s) after K3s and system reservations: worker1 3.5 CPU 4.94 GiB");
  });

  it("shows the storage pool's disk budget: the Ceph disks preallocated at once, the root disks at their size", () => {
    expect(run.text).toContain(
      "storage pool /var/lib/libvirt/images/flatcarmicrocloud-prod: 664 GiB taken when the volumes are created, up to 954 GiB once every root disk is full " +
        "(preallocated raw 660 GiB (Ceph OSD and state disks), root overlays up to 290 GiB, base images and first-boot files 4.01 GiB)",
    );
  });

  it("prints the critical path with per-resource durations and the parallelism the graph allows", () => {
    const p = run.result!.path;
    // Both base images download in parallel (same estimate); the path runs through one of them.
    expect(p.steps.map((s) => s.name).some((n) => /^infra-(flatcar|rocky)-base-[\d.-]+$/.test(n))).toBe(true);
    expect(p.steps.reduce((s, x) => s + x.seconds, 0)).toBe(p.totalSeconds);
    expect(p.sumSeconds).toBeGreaterThan(p.totalSeconds);
    expect(p.unlistedTypes).toEqual([]);
    expect(run.text).toMatch(/\+2:0\d +infra-\w+-root +root overlay +2 s/);
    expect(run.text).toMatch(/the graph allows \d+\.\dx parallelism/);
  });

  it("passes every mandatory policy; the seed's two K3s servers draw the advisory one", () => {
    const v = run.result!.violations;
    expect(v.filter((x) => x.enforcementLevel === "mandatory")).toEqual([]);
    expect(v.map((x) => x.policy)).toEqual(["k3s-server-count-odd"]);
  });

  it("needs none of the operator's secrets: a secret key the program reads gets a placeholder", () => {
    expect(run.result!.plainSecretReads).toEqual([]);
    for (const key of run.result!.placeholders) expect(run.text).toContain(key);
  });
});
