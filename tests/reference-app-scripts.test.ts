/**
 * The reference app's shell scripts pass shellcheck, and CI runs its own test suite (pytest against
 * real servers, the frontend in headless Chromium: reference-app/test.sh) besides `npm test`.
 */
import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import { requireTool, run } from "./helpers/tools";

const ROOT = join(__dirname, "..");
const DIR = join(ROOT, "reference-app");

describe("reference-app scripts", () => {
  const scripts = readdirSync(DIR).filter((f) => f.endsWith(".sh"));

  it("include the test runner and the image build", () => {
    expect(scripts).toEqual(expect.arrayContaining(["build-push.sh", "test.sh"]));
  });

  it.each(scripts)("%s passes shellcheck", (file) => {
    requireTool("shellcheck");
    const r = run("shellcheck", ["-s", "bash", join(DIR, file)]);
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  it("are run by .ci/run before npm test, which stays the main test command", () => {
    const ci = readFileSync(join(ROOT, ".ci", "run"), "utf8");
    const at = ["bash reference-app/test.sh", "npm test"].map((s) => ci.indexOf(s));
    expect(at[0]).toBeGreaterThan(-1);
    expect(at[1]).toBeGreaterThan(at[0]);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts["test:reference-app"]).toBe("bash reference-app/test.sh");
    // `npm run smoke` is tested by reference-app/python/tests/test_smoke_script.py (local TLS, stub pulumi).
    expect(pkg.scripts.smoke).toBe("node reference-app/smoke/smoke.js");
  });
});
