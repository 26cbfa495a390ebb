/**
 * The plan of a stack whose apps and builds use the in-cluster registry (prod2: room for builds):
 * no buildsPushPassword is set, and the plan must not supply one as a placeholder (it would be
 * refused as redundant): the platform's capacity figures are read and the stack fits.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { runPlan } from "../plan/main";

it("plans prod2 with registry, builds and appsRegistry on the in-cluster registry: fits, no buildsPushPassword placeholder", async () => {
  const root = mkdtempSync(join(tmpdir(), "plan-registry-builds-"));
  copyFileSync(join(__dirname, "..", "Pulumi.yaml"), join(root, "Pulumi.yaml"));
  const prod2 = readFileSync(join(__dirname, "..", "Pulumi.prod2.yaml"), "utf8").trimEnd();
  const optIns = [
    "  flatcarmicrocloud:registry:",
    "    mirrors: []",
    "  flatcarmicrocloud:appsRegistry: registry.cefaslocalserver.com/apps",
    "  flatcarmicrocloud:builds:",
    "    gitUrl: https://git.example.com/fmc/flatcarmicrocloud.git",
    '    tag: "0.1.1"',
  ];
  writeFileSync(join(root, "Pulumi.inreg.yaml"), `${prod2}\n${optIns.join("\n")}\n`);
  const run = await runPlan({ stack: "inreg", root });
  expect(run.text).not.toContain("buildsPushPassword: is not used");
  expect(run.text).not.toContain("offers no capacity figures");
  expect(run.text).not.toMatch(/placeholders used for [^\n]*buildsPushPassword/);
  expect(run.text).toContain("Result: fits");
  expect(run.exitCode).toBe(0);
}, 600_000);
