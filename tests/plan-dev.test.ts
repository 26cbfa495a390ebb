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
    expect(run.text).toMatch(/VM memory \/ host memory less 4 GiB kept for the host +10 \/ 12 GiB +ok/);
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
