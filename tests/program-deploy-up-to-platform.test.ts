/**
 * `deployUpTo: platform` (README "Running it for real", until the apps' images are in a registry):
 * the program deploys everything but the apps, and prod's config passes without `appsRegistry`.
 */
import { DeploymentRecord } from "../infra/deployment-record";
import { Recorder, startRecorder } from "../plan/recorder";
import { readStackFile, secretPlaceholder } from "../plan/stack-config";
import { machineOutputs } from "./helpers/machine-outputs";

let rec: Recorder;
let outputs: typeof import("../index");

beforeAll(async () => {
  const file = readStackFile(`${__dirname}/..`, "prod");
  // No registry yet: the placeholder the plan fills in for it is left out.
  const config = { ...file.config };
  delete config.appsRegistry;
  expect(file.filledIn).toContain("appsRegistry");
  rec = await startRecorder({
    stack: "prod",
    config: { ...config, deployUpTo: "platform" },
    secretKeys: file.secretKeys,
    preview: false,
    secretPlaceholder,
    outputsFor: machineOutputs,
  });
  outputs = await import("../index");
  await rec.settle();
});

it("deploys stages 1-3 and no app", () => {
  expect(rec.byType("flatcarmicrocloud:platform:Platform")).toHaveLength(1);
  expect(rec.byType("flatcarmicrocloud:apps:Apps")).toEqual([]);
  expect(rec.all().filter((r) => r.name.startsWith("apps-")).map((r) => r.name)).toEqual([]);
  expect(outputs.appEndpoints).toBeUndefined();
});

it("records the stage, and the stages this program knows, for the next run's day-two check", async () => {
  const deployment = outputs.deployment;
  if (!deployment) throw new Error("no deployment output");
  const record = await new Promise<DeploymentRecord>((resolve) => deployment.apply(resolve));
  expect(record.deployUpTo).toBe("platform");
  expect(record.stages).toEqual(["vms", "guest-roles", "cluster", "platform", "apps"]);
});
