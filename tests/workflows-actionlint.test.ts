/**
 * The users' workflows pass actionlint (issue 16): its config declares the self-hosted runner's
 * `libvirt` label, the version is pinned in one place (scripts/actionlint.sh, which builds it from the
 * Go module proxy), and .ci/run runs it before the tests.
 */
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parse } from "yaml";

const ROOT = join(__dirname, "..");
const WORKFLOWS = join(ROOT, ".github", "workflows");
const SCRIPT = join(ROOT, "scripts", "actionlint.sh");

/** Labels GitHub gives its own runners and every self-hosted one (actionlint knows these). */
const BUILT_IN = /^(self-hosted|x64|arm|arm64|linux|macos|windows|ubuntu-.+|macos-.+|windows-.+)$/;

function workflowLabels(): string[] {
  const labels = new Set<string>();
  for (const f of readdirSync(WORKFLOWS).filter((n) => /\.ya?ml$/.test(n))) {
    const wf = parse(readFileSync(join(WORKFLOWS, f), "utf8")) as { jobs: Record<string, { "runs-on"?: string | string[] }> };
    for (const job of Object.values(wf.jobs)) for (const l of [job["runs-on"] ?? []].flat()) labels.add(l);
  }
  return [...labels];
}

/** The pinned actionlint binary, which `bash scripts/actionlint.sh` builds (.ci/run runs it first). */
function actionlint(): string {
  const bin = spawnSync("bash", [SCRIPT, "--which"], { encoding: "utf8" }).stdout.trim();
  if (!existsSync(bin)) throw new Error(`actionlint is not built at ${bin}: bash scripts/actionlint.sh builds it (Go module proxy; .ci/run runs it)`);
  return bin;
}

it("declares every runner label the workflows use that is not GitHub's, libvirt among them", () => {
  const declared = (parse(readFileSync(join(ROOT, ".github", "actionlint.yaml"), "utf8")) as { "self-hosted-runner": { labels: string[] } })["self-hosted-runner"].labels;
  const custom = workflowLabels().filter((l) => !BUILT_IN.test(l));
  expect(custom).toContain("libvirt");
  expect([...declared].sort()).toEqual([...custom].sort());
});

it("pins actionlint at an exact version in one place, and .ci/run runs it before the tests", () => {
  const script = readFileSync(SCRIPT, "utf8");
  const pins = [...script.matchAll(/^ACTIONLINT_VERSION=(\S+)$/gm)].map((m) => m[1]);
  expect(pins).toHaveLength(1);
  expect(pins[0]).toMatch(/^v\d+\.\d+\.\d+$/);
  expect(script).toContain('install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"');
  const ci = readFileSync(join(ROOT, ".ci", "run"), "utf8");
  expect(ci.indexOf("bash scripts/actionlint.sh")).toBeGreaterThan(-1);
  expect(ci.indexOf("bash scripts/actionlint.sh")).toBeLessThan(ci.indexOf("npm test"));
  const built = spawnSync(actionlint(), ["-version"], { encoding: "utf8" });
  expect(built.stdout.split("\n")[0]).toBe(pins[0]);
});

it("passes the workflows with the repository's config", () => {
  const r = spawnSync(actionlint(), ["-no-color"], { cwd: ROOT, encoding: "utf8" });
  expect(`${r.stdout}${r.stderr}`).toBe("");
  expect(r.status).toBe(0);
});

it("without the label declared, refuses preview.yml's runner (so the config is what makes it pass)", () => {
  const config = join(mkdtempSync(join(tmpdir(), "fmc-actionlint-")), "actionlint.yaml");
  writeFileSync(config, "self-hosted-runner:\n  labels: []\n");
  const r = spawnSync(actionlint(), ["-no-color", "-config-file", config], { cwd: ROOT, encoding: "utf8" });
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/preview\.yml:\d+:\d+: label "libvirt" is unknown[\s\S]*\[runner-label\]/);
});
