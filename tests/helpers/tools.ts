/** Runs the real validators (Debian packages ignition, cloud-init, shellcheck) on rendered files. */
import { spawnSync } from "child_process";
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { delimiter, join } from "path";
import { packageOf } from "./ci-packages";

export interface ToolResult {
  status: number | null;
  output: string;
}

/** Whether `name` is an executable on PATH (this process's PATH, as the tools are started with). */
export function hasTool(name: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || ".", name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Fails loudly when a program is missing, naming its Debian package (.ci/packages): a skipped
 * validation must never look like a pass.
 */
export function requireTool(name: string): void {
  if (hasTool(name)) return;
  const pkg = packageOf(name);
  throw new Error(
    pkg
      ? `${name} is not installed: Debian package ${pkg} (bash .ci/run installs it, or apt-get install -y ${pkg})`
      : `${name} is not installed, and .ci/packages names no Debian package for it: add one`,
  );
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

/**
 * cloud-init's own network renderer on a network-config: what the guest would write for Rocky
 * (sysconfig, as Rocky 9's cloud-init renders it; NetworkManager reads the ifcfg files).
 */
export function cloudInitNetConvert(networkConfig: string): ToolResult & { files: Record<string, string> } {
  requireTool("cloud-init");
  const input = writeTemp("network-config", networkConfig);
  const out = mkdtempSync(join(tmpdir(), "fmc-net-"));
  const result = run("cloud-init", ["devel", "net-convert", "-p", input, "-k", "yaml", "-D", "rocky", "-O", "sysconfig", "-d", out]);
  const files: Record<string, string> = {};
  for (const dir of [join(out, "etc", "sysconfig", "network-scripts"), join(out, "etc", "udev", "rules.d")]) {
    if (existsSync(dir)) for (const f of readdirSync(dir)) files[f] = readFileSync(join(dir, f), "utf8");
  }
  return { ...result, files };
}

export function shellcheck(script: string, shell = "bash"): ToolResult {
  requireTool("shellcheck");
  return run("shellcheck", ["-s", shell, writeTemp("script.sh", script)]);
}

/** The provider's own XSLT step (it runs `xsltproc --nomkdir --nonet --nowrite STYLESHEET XML`). */
export function xsltproc(stylesheet: string, xml: string): ToolResult {
  requireTool("xsltproc");
  return run("xsltproc", ["--nomkdir", "--nonet", "--nowrite", writeTemp("style.xsl", stylesheet), writeTemp("domain.xml", xml)]);
}

/** libvirt's own schema check of a domain definition (Debian package libvirt-clients). */
export function virtXmlValidate(xml: string, schema = "domain"): ToolResult {
  requireTool("virt-xml-validate");
  // A shell script that runs xmllint (another package): without it every document "fails".
  requireTool("xmllint");
  return run("virt-xml-validate", [writeTemp(`${schema}.xml`, xml), schema]);
}
