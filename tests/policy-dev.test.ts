/**
 * Every policy of the pack over the resources the real program registers for the dev stack, with
 * the dev stack's policy config (a disposable workstation stack may leave its disks unprotected).
 */
import { readFileSync } from "fs";
import { join } from "path";
import { PolicyConfig, runPolicies } from "../plan/policy-check";
import { Recorder, startRecorder } from "../plan/recorder";
import { readStackFile, secretPlaceholder } from "../plan/stack-config";
import { policies, statefulDisksProtected } from "../policy/policies";

let rec: Recorder;
const devConfig = JSON.parse(readFileSync(join(__dirname, "..", "policy", "config.dev.json"), "utf8")) as PolicyConfig;

beforeAll(async () => {
  const file = readStackFile(join(__dirname, ".."), "dev");
  rec = await startRecorder({ stack: "dev", config: file.config, secretKeys: file.secretKeys, preview: true, secretPlaceholder });
  await import("../index");
  await rec.settle();
});

describe("policy pack on the dev stack", () => {
  it("passes every policy with policy/config.dev.json", async () => {
    expect(await runPolicies(policies, rec.all(), devConfig)).toEqual([]);
  });

  it("without that config, flags the unprotected Ceph disk the dev stack chose (protectStatefulDisks: false)", async () => {
    const violations = await runPolicies([statefulDisksProtected], rec.all());
    expect(violations.map((v) => v.message)).toEqual(["Ceph OSD volume agent1-ceph-osd.raw is not protected (protect: true)"]);
  });
});
