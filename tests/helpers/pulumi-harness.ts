/**
 * The tests' name for the mock-engine recorder in `plan/recorder.ts` (the offline plan runs the
 * same code): runs program code under the Pulumi SDK's mock engine and records every resource
 * registration, including dependencies, property dependencies and resource options.
 *
 * Use one harness per test file (the SDK's runtime state is process-global):
 *   const h = await startHarness({ stack: "prod", config: {...} });
 *   ... construct components or `await import("../index")` ...
 *   await h.settle();
 *   h.byType("libvirt:index/domain:Domain")
 */
import { Recorder, RecorderOptions, startRecorder } from "../../plan/recorder";

export { isSecretAt, resolveOutput, SECRET_SIG, UNKNOWN, unwrapSecrets } from "../../plan/recorder";
export type { ConfigRead, Recorded } from "../../plan/recorder";

export type HarnessOptions = RecorderOptions;
export type Harness = Recorder;
export const Harness = Recorder;

export function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  return startRecorder(options);
}
