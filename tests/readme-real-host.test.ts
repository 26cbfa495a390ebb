/**
 * README "Running it for real" (issue 16): its command block, followed in the order given, gets prod
 * as committed through `pulumi preview`. The `pulumi config set` keys it names, with Pulumi.prod.yaml,
 * must pass the program's own config check (loadStackConfig, what index.ts runs first), and the
 * reference app's images are built and pushed before the preview.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { loadStackConfig } from "../config";
import { ConfigError } from "../config/validate";
import { PROJECT, secretPlaceholder } from "../plan/stack-config";
import { startHarness } from "./helpers/pulumi-harness";

const ROOT = join(__dirname, "..");

/** The first ```sh block of the README's "Running it for real" section, one command per line. */
function realHostBlock(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Running it for real"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md: no ```sh block under "## Running it for real"');
  return block
    .split("\n")
    .map((line) => line.replace(/(^|\s)#.*$/, "").trim())
    .filter(Boolean);
}

interface ConfigSet {
  key: string;
  secret: boolean;
  /** The value as written: a literal, "$VAR", "$(command)" or `< file`. */
  written: string;
  line: number;
}

function configSets(lines: string[]): ConfigSet[] {
  return lines.flatMap((l, line) => {
    const m = /^pulumi config set (--secret )?(\S+)\s*(.*)$/.exec(l);
    return m ? [{ key: m[2], secret: m[1] !== undefined, written: m[3], line }] : [];
  });
}

/** What the shell would set: literals as written, $VAR from the block's `export`, the rest (key files) a placeholder. */
function valueOf(set: ConfigSet, lines: string[]): string {
  const unquoted = set.written.replace(/^"(.*)"$/, "$1");
  const variable = /^\$([A-Z_][A-Z0-9_]*)$/.exec(unquoted)?.[1];
  if (variable) {
    const exported = lines.map((l) => new RegExp(`^export ${variable}=(\\S+)$`).exec(l)?.[1]).find((v) => v !== undefined);
    if (exported === undefined) throw new Error(`README: pulumi config set ${set.key} uses $${variable}, which the block never exports`);
    return exported;
  }
  if (unquoted.startsWith("<") || unquoted.startsWith("$(")) return secretPlaceholder(set.key);
  return unquoted;
}

/** Pulumi.prod.yaml as committed, keys without the project prefix. */
function committedProd(): Record<string, unknown> {
  const doc = parse(readFileSync(join(ROOT, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, unknown> };
  return Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k.replace(`${PROJECT}:`, ""), v]));
}

async function loadProd(extra: Record<string, string>, secretKeys: string[]): Promise<string[]> {
  await startHarness({ stack: "prod", config: { ...committedProd(), ...extra }, secretKeys });
  try {
    loadStackConfig();
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems;
  }
}

const lines = realHostBlock();
const sets = configSets(lines);
const at = (command: string) => lines.findIndex((l) => l.startsWith(command));

it("sets the operator's keys, then builds and pushes the reference app's images and names their registry, all before the preview", () => {
  expect(sets.map((s) => s.key)).toEqual(expect.arrayContaining(["sshPublicKey", "sshPrivateKey", "appsRegistry"]));
  const order = [at("pulumi stack init prod"), ...sets.map((s) => s.line), at("pulumi preview"), at("pulumi up")];
  expect(order.every((i) => i >= 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  // build-push.sh reads APPS_REGISTRY; the stack must name the registry it pushed to.
  const registry = sets.find((s) => s.key === "appsRegistry") as ConfigSet;
  expect(at("export APPS_REGISTRY=")).toBeGreaterThan(-1);
  expect(at("export APPS_REGISTRY=")).toBeLessThan(at("reference-app/build-push.sh"));
  expect(at("reference-app/build-push.sh")).toBeLessThan(at("pulumi preview"));
  expect(registry.written).toBe('"$APPS_REGISTRY"');
  expect(readFileSync(join(ROOT, "reference-app", "build-push.sh"), "utf8")).toContain('registry="${APPS_REGISTRY:-}"');
});

it("with the keys the block sets, prod as committed passes the program's config check", async () => {
  const values = Object.fromEntries(sets.map((s) => [s.key, valueOf(s, lines)]));
  expect(await loadProd(values, sets.filter((s) => s.secret).map((s) => s.key))).toEqual([]);
});

it("every key the block sets is one prod needs (without it the check names that key)", async () => {
  for (const left of sets) {
    const values = Object.fromEntries(sets.filter((s) => s !== left).map((s) => [s.key, valueOf(s, lines)]));
    const problems = await loadProd(values, sets.filter((s) => s.secret && s !== left).map((s) => s.key));
    expect(problems.some((p) => p.includes(left.key))).toBe(true);
  }
});

it("meanwhile, without a registry, `deployUpTo platform` passes the config check with no appsRegistry", async () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  expect(readme).toContain("`pulumi config set deployUpTo platform`");
  const values = Object.fromEntries(sets.filter((s) => s.key !== "appsRegistry").map((s) => [s.key, valueOf(s, lines)]));
  const secretKeys = sets.filter((s) => s.secret).map((s) => s.key);
  expect(await loadProd({ ...values, deployUpTo: "platform" }, secretKeys)).toEqual([]);
  // With the apps deployed, the missing registry is named.
  expect(await loadProd(values, secretKeys)).toEqual([expect.stringMatching(/^apps\[0\]\.image: "reference-api:0\.1\.0" names no registry: set appsRegistry/), expect.anything(), expect.anything()]);
});
