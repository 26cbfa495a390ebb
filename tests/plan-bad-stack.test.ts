/**
 * The plan on a stack that does not fit its host: the program's own config check stops it, and the
 * plan exits non-zero with the numbers.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { runPlan } from "../plan/main";

it("exits 2 with the numbers when the VMs do not fit the host", async () => {
  const root = mkdtempSync(join(tmpdir(), "plan-bad-"));
  copyFileSync(join(__dirname, "..", "Pulumi.yaml"), join(root, "Pulumi.yaml"));
  const dev = readFileSync(join(__dirname, "..", "Pulumi.dev.yaml"), "utf8");
  writeFileSync(join(root, "Pulumi.tiny.yaml"), dev.replace("hostVcpus: 8", "hostVcpus: 4"));
  const run = await runPlan({ stack: "tiny", root });
  expect(run.exitCode).toBe(2);
  expect(run.text).toMatch(/vcpu/i);
  expect(run.text).toMatch(/\b6\b/);
  expect(run.text).toMatch(/\b4\b/);
});
