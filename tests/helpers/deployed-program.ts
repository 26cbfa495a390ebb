/**
 * The whole program on the committed prod stack file as an `up` (not a preview) would register it,
 * with machine-like outputs (./machine-outputs.ts): for tests that look at the deployed graph.
 */
import { Recorder, startRecorder } from "../../plan/recorder";
import { readStackFile, secretPlaceholder } from "../../plan/stack-config";
import { machineOutputs } from "./machine-outputs";

export async function recordDeployedProd(extraConfig: Record<string, string> = {}): Promise<{ rec: Recorder; outputs: typeof import("../../index") }> {
  const file = readStackFile(`${__dirname}/../..`, "prod");
  const rec = await startRecorder({
    stack: "prod",
    config: { ...file.config, ...extraConfig },
    secretKeys: file.secretKeys,
    preview: false,
    secretPlaceholder,
    outputsFor: machineOutputs,
  });
  const outputs = await import("../../index");
  await rec.settle();
  return { rec, outputs };
}
