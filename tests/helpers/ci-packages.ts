/**
 * .ci/packages: every program the tests call that a fresh machine may lack, by the Debian package
 * that provides it (.ci/run installs from it; requireTool names the package of a missing program).
 */
import { readFileSync } from "fs";
import { join } from "path";

export interface CiPackage {
  /** The Debian package. */
  package: string;
  /** Its programs: each is looked up on PATH, or found at `path` (a glob) when given. */
  programs: { name: string; path?: string }[];
}

export const CI_PACKAGES_FILE = join(__dirname, "..", "..", ".ci", "packages");

export function ciPackages(): CiPackage[] {
  return readFileSync(CI_PACKAGES_FILE, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [pkg, ...entries] = line.split(/\s+/);
      const programs = entries.map((e) => {
        const [name, path] = e.split("=");
        return path === undefined ? { name } : { name, path };
      });
      return { package: pkg, programs };
    });
}

/** The package that provides program `name`. */
export function packageOf(name: string): string | undefined {
  return ciPackages().find((p) => p.programs.some((program) => program.name === name))?.package;
}
