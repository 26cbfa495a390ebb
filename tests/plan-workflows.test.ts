/**
 * The users' CI: the workflows run what the README promises, and the policy pack is a pack.
 */
import { existsSync, readdirSync, readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";

const ROOT = join(__dirname, "..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");
type Step = { run?: string; uses?: string; with?: Record<string, unknown> } & Record<string, unknown>;
const steps = (wf: { jobs: Record<string, { steps: Step[] }> }, job: string): Step[] => wf.jobs[job].steps;

it("the pull-request workflow installs, lints, typechecks, tests (through .ci/run) and runs the plan", () => {
  const ci = parse(read(".github/workflows/ci.yml"));
  expect(Object.keys(ci.on)).toContain("pull_request");
  const runs = steps(ci, "check").map((s) => String(s.run ?? s.uses));
  const order = ["bash .ci/run", "npm run plan"];
  const at = order.map((cmd) => runs.findIndex((r) => r.includes(cmd)));
  expect(at.every((i) => i >= 0)).toBe(true);
  expect([...at].sort((a, b) => a - b)).toEqual(at);
  // .ci/run is the one place the checks are listed, in this order.
  const script = read(".ci/run");
  const checks = ["apt-get install", "npm ci", "npm run typecheck", "npm run lint", "npm test"].map((cmd) => script.indexOf(cmd));
  expect(checks.every((i) => i >= 0)).toBe(true);
  expect([...checks].sort((a, b) => a - b)).toEqual(checks);
  // Its install step takes the packages from .ci/packages (tests/ci-packages.test.ts checks that list).
  expect(script).toContain("done < .ci/packages");
  const packages = read(".ci/packages");
  for (const pkg of ["ignition", "cloud-init", "shellcheck", "haproxy", "postgresql", "libxml2-utils"]) expect(packages).toMatch(new RegExp(`^${pkg} `, "m"));
  expect(steps(ci, "check").find((s) => s.uses?.startsWith("actions/setup-node"))?.with?.["node-version"]).toBe(20);
});

it("the preview job runs pulumi preview with the policy pack on a self-hosted libvirt runner and comments", () => {
  const wf = parse(read(".github/workflows/preview.yml"));
  expect(Object.keys(wf.on)).toEqual(["pull_request"]);
  const job = wf.jobs.preview;
  expect(job["runs-on"]).toEqual(["self-hosted", "libvirt"]);
  expect(job.env.PULUMI_CONFIG_PASSPHRASE).toBe("${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
  const pulumi = steps(wf, "preview").find((s) => String(s.uses).startsWith("pulumi/actions@")) as Step;
  expect(pulumi.uses).toBe("pulumi/actions@v6");
  expect(pulumi.with).toMatchObject({ command: "preview", "comment-on-pr": true, policyPacks: "policy" });
  expect(pulumi.with?.["cloud-url"]).toMatch(/secrets\.PULUMI_BACKEND_URL/);
  expect(pulumi.with?.["stack-name"]).toMatch(/vars\.PULUMI_STACK/);
});

it("every committed stack has a policy config, and the pack is a nodejs policy pack", () => {
  const stacks = readdirSync(ROOT).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => s !== undefined);
  expect(stacks.sort()).toEqual(expect.arrayContaining(["dev", "prod"]));
  for (const stack of stacks) expect(existsSync(join(ROOT, "policy", `config.${stack}.json`))).toBe(true);
  expect(parse(read("policy/PulumiPolicy.yaml")).runtime).toBe("nodejs");
  const pkg = JSON.parse(read("policy/package.json"));
  expect(pkg.dependencies["@pulumi/policy"]).toBe("1.21.0");
  expect(read("policy/index.ts")).toMatch(/new PolicyPack\("flatcarmicrocloud", \{ policies \}\)/);
});

it("package.json has the plan and bench scripts", () => {
  const pkg = JSON.parse(read("package.json"));
  expect(pkg.scripts.plan).toBe("node plan/run.js");
  expect(pkg.scripts.bench).toBe("node bench/plan.js");
});
