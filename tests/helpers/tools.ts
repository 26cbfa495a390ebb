/** Runs the real validators (Debian packages ignition, cloud-init, shellcheck) on rendered files. */
import { spawnSync } from "child_process";
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";

export interface ToolResult {
  status: number | null;
  output: string;
}

export function hasTool(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}

/** Fails loudly when a validator is missing: a skipped validation must never look like a pass. */
export function requireTool(name: string): void {
  if (!hasTool(name)) throw new Error(`${name} is not installed: run .ci/run (apt-get install -y ignition cloud-init shellcheck)`);
}

export function writeTemp(fileName: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), "fmc-"));
  const path = join(dir, fileName);
  writeFileSync(path, content);
  return path;
}

export function run(command: string, args: string[]): ToolResult {
  const r = spawnSync(command, args, { encoding: "utf8" });
  return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

export function ignitionValidate(content: string): ToolResult {
  requireTool("ignition-validate");
  return run("ignition-validate", [writeTemp("config.ign", content)]);
}

export function cloudInitSchema(userData: string): ToolResult {
  requireTool("cloud-init");
  return run("cloud-init", ["schema", "--config-file", writeTemp("user-data", userData)]);
}

export function shellcheck(script: string, shell = "bash"): ToolResult {
  requireTool("shellcheck");
  return run("shellcheck", ["-s", shell, writeTemp("script.sh", script)]);
}
