/**
 * `npm run plan -- --stack dev`: the workstation stack, with its policy config (disposable disks).
 */
import { PlanRun, runPlan } from "../plan/main";

let run: PlanRun;

beforeAll(async () => {
  run = await runPlan({ stack: "dev" });
});

describe("offline plan of the dev stack", () => {
  it("fits a 16 GiB workstation and passes every policy with policy/config.dev.json", () => {
    expect(run.exitCode).toBe(0);
    expect(run.text).toMatch(/VM memory \/ host's 16 GiB less hypervisor and host +10\.5 \/ 10\.8 GiB +ok \(qemu 468 MiB \(2 VMs\), libvirt 256 MiB, Pulumi run 1536 MiB, host OS 3072 MiB/);
    expect(run.result!.violations).toEqual([]);
    expect(run.text).toContain("with policy/config.dev.json");
  });

  it("lets pods run on the untainted server too", () => {
    expect(run.result!.capacity.schedulable.map((n) => n.name)).toEqual(["server1", "agent1"]);
  });

  it("writes no diagram unless asked", () => {
    expect(run.diagramWritten).toBeUndefined();
  });
});
