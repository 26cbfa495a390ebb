/**
 * Script templates with shared pieces: `# @include <file>` lines are replaced by the piece (without
 * the comment that documents the piece itself), and the result is filled like any template.
 */
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { renderCephStateDiskScript } from "../infra/ceph-state-disk";
import { parseTopology } from "../config/validate";
import { hostSettingsFor, renderHostSettingsScript } from "../infra/host-settings";
import { describeNode } from "../infra/nodes";
import { renderScriptTemplate } from "../shell";
import { rawStack } from "./helpers/stacks";

function templates(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "fmc-templates-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

it("replaces an include line by the piece, its own header left out, then fills the placeholders", () => {
  const dir = templates({
    "main.sh": "#!/bin/bash\nNAME=@NAME@\n# @include piece.sh\necho done\n",
    "piece.sh": "# what the piece is for\n# second header line\nhello() { echo \"$NAME\"; }\n\n",
  });
  expect(renderScriptTemplate(dir, "main.sh", { NAME: "x y" })).toBe("#!/bin/bash\nNAME='x y'\nhello() { echo \"$NAME\"; }\necho done\n");
});

it("fails on a piece that does not exist", () => {
  const dir = templates({ "main.sh": "# @include missing.sh\n" });
  expect(() => renderScriptTemplate(dir, "main.sh", {})).toThrow(/missing\.sh/);
});

it("leaves no include line in the scripts that share the file helpers", () => {
  const prod = parseTopology(rawStack("prod"), "prod");
  const worker = prod.vms.find((vm) => vm.name === "worker1");
  if (!worker) throw new Error("prod has no worker1");
  const stateDisk = describeNode(worker, prod).stateDisk;
  if (!stateDisk) throw new Error("worker1 has no state disk");
  for (const script of [renderHostSettingsScript(worker, hostSettingsFor(worker, prod)), renderCephStateDiskScript({ name: "worker1", stateDisk })]) {
    expect(script).not.toMatch(/@include/);
    expect(script).toMatch(/^put\(\) \{$/m);
  }
});
