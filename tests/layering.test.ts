/**
 * Data flows one way: config -> infra -> cluster -> platform -> apps. A stage's files import only
 * from its own stage, from earlier stages and from the modules below every stage (config/, the
 * shared files at the top: nodes.ts, ssh.ts, shell.ts, ports.ts, ...), never from a later stage;
 * those shared files import no stage at all. Every import form counts (static, `export ... from`,
 * `import()`, `require()`), as TypeScript's own pre-processor lists them.
 */
import { readdirSync, readFileSync, statSync } from "fs";
import { dirname, join, relative, resolve, sep } from "path";
import * as ts from "typescript";

const ROOT = resolve(__dirname, "..");

/** Each stage's folders and its place in the flow; an existing cluster stands in for stage 2. */
const STAGES: Record<string, number> = { infra: 1, cluster: 2, "existing-cluster": 2, platform: 3, apps: 4 };
/** The files below every stage, shared by them: none may import a stage. */
const SHARED = ["nodes.ts", "ssh.ts", "shell.ts", "ports.ts", "cluster-facts.ts", "versions.ts"];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

/** The top-level folder (or file) of the repository that a relative import of `from` lands in. */
function importedTop(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const target = relative(ROOT, resolve(dirname(from), specifier));
  return target.split(sep)[0];
}

/** The imports in `text` (the file at `file`) that reach a later stage or, from a shared file, any stage. */
function violationsIn(file: string, text: string): string[] {
  const rank = STAGES[relative(ROOT, file).split(sep)[0]] ?? 0;
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((i) => i.fileName)
    .filter((specifier) => {
      const top = importedTop(file, specifier);
      const target = top === undefined ? undefined : STAGES[top.replace(/\.ts$/, "")];
      return target !== undefined && target > rank;
    })
    .map((specifier) => `${relative(ROOT, file)} imports ${specifier}`);
}

const violations = (files: string[]) => files.flatMap((f) => violationsIn(f, readFileSync(f, "utf8")));

describe("stage layering", () => {
  const stageFiles = Object.keys(STAGES).flatMap((dir) => tsFiles(join(ROOT, dir)));

  it("finds the stages' files (the scan is not vacuous)", () => {
    for (const dir of Object.keys(STAGES)) expect(stageFiles.some((f) => relative(ROOT, f).startsWith(`${dir}${sep}`))).toBe(true);
    expect(stageFiles.length).toBeGreaterThan(50);
  });

  it("no stage imports from a later one: infra/ from neither cluster/, platform/ nor apps/; cluster/ from neither platform/ nor apps/; platform/ not from apps/", () => {
    expect(violations(stageFiles)).toEqual([]);
  });

  it("the modules below the stages import no stage", () => {
    expect(violations(SHARED.map((f) => join(ROOT, f)))).toEqual([]);
    // Their rank is 0: any stage import counts.
    for (const f of SHARED) expect(STAGES[f.replace(/\.ts$/, "")]).toBeUndefined();
  });

  it("catches every import form, from any depth of a stage's folder, and allows the flow's direction", () => {
    const at = (file: string, text: string) => violationsIn(join(ROOT, file), text);
    expect(at("infra/roles/x.ts", `import { a } from "../../cluster/ssh";`)).toEqual([`infra/roles/x.ts imports ../../cluster/ssh`]);
    expect(at("infra/x.ts", `export { a } from "../platform";\nconst m = require("../apps/render");\nvoid import("../existing-cluster");`)).toHaveLength(3);
    expect(at("platform/x.ts", `import type { A } from "../apps";`)).toHaveLength(1);
    expect(at("ssh.ts", `import { B } from "./infra/nodes";`)).toHaveLength(1);
    expect(at("cluster/x.ts", `import "../infra/nodes";\nimport { C } from "../config";\nimport { D } from "../existing-cluster";\nimport * as k8s from "@pulumi/kubernetes";`)).toEqual([]);
    expect(at("apps/x.ts", `import { E } from "../platform";\nimport { F } from "../cluster-facts";`)).toEqual([]);
  });
});

describe("index.ts reads as the architecture diagram", () => {
  const text = readFileSync(join(ROOT, "index.ts"), "utf8");

  it("is at most 80 lines", () => {
    expect(text.split("\n").length).toBeLessThanOrEqual(80);
  });

  it("takes only the config and each stage's entry point; the wiring inside a stage stays there", () => {
    const imported = ts.preProcessFile(text, true, true).importedFiles.map((i) => i.fileName);
    const allowed = new Set(["./config", "./config/topology", "./infra/stage", "./cluster/target", "./platform", "./apps", "./apps/capacity", "./apps/credentials", "./apps/facts"]);
    expect(imported.filter((f) => !allowed.has(f))).toEqual([]);
    for (const stage of ["./infra/stage", "./cluster/target", "./platform", "./apps"]) expect(imported).toContain(stage);
  });
});
