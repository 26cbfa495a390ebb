/**
 * A fresh machine (issue 16): every program the tests call is in .ci/packages, by the Debian package
 * that provides it, which .ci/run installs; a missing one fails its test naming that package.
 */
import { spawnSync } from "child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { ciPackages, packageOf } from "./helpers/ci-packages";
import { virtXmlValidate } from "./helpers/tools";

const ROOT = join(__dirname, "..");

/**
 * Programs of Debian's Essential packages (bash, coreutils, dash, util-linux, grep, sed, mawk, dpkg), which
 * every Debian root has, and Node.js, which runs the tests.
 */
const ESSENTIAL = new Set([
  ...["sh", "bash", "sed", "awk", "grep", "dpkg-query", "runuser", "mount", "umount", "node"],
  // coreutils
  ...["id", "install", "timeout", "sort", "head", "tail", "cat", "rm", "mkdir", "cp", "mv", "ln", "ls", "chmod", "chown", "touch", "env", "sleep", "true", "false", "date", "stat", "mktemp"],
]);

/** Program names the tests and the reference app's tests start, as written in their calls. */
function programsCalled(): Map<string, string> {
  const called = new Map<string, string>();
  const scan = (dir: string, ext: string, call: RegExp) => {
    for (const f of readdirSync(dir).filter((n) => n.endsWith(ext))) {
      for (const m of readFileSync(join(dir, f), "utf8").matchAll(call)) called.set(m[1].split("/").pop() as string, `${dir}/${f}`);
    }
  };
  const ts = /\b(?:requireTool|hasTool|hasCommand|checkWith|run|spawnSync|execFileSync|spawn)\(\s*"([^"]+)"/g;
  scan(join(ROOT, "tests"), ".ts", ts);
  scan(join(ROOT, "tests", "helpers"), ".ts", ts);
  scan(join(ROOT, "reference-app", "python", "tests"), ".py", /\b(?:find_binary|shutil\.which|subprocess\.run|subprocess\.Popen)\(\s*\[?\s*"([^"]+)"/g);
  return called;
}

it("every program a test calls is in .ci/packages or in an Essential package", () => {
  const called = programsCalled();
  // The scan sees the calls it must see (a broken pattern would pass on nothing).
  expect([...called.keys()]).toEqual(expect.arrayContaining(["virt-xml-validate", "shellcheck", "initdb", "nginx", "openssl"]));
  const unlisted = [...called].filter(([name]) => !ESSENTIAL.has(name) && packageOf(name) === undefined);
  expect(unlisted).toEqual([]);
});

it("lists virt-xml-validate's own helper, xmllint (libxml2-utils)", () => {
  expect(packageOf("virt-xml-validate")).toBe("libvirt-clients");
  expect(packageOf("xmllint")).toBe("libxml2-utils");
});

describe("a missing program fails its test naming the Debian package", () => {
  const saved = process.env.PATH;
  afterEach(() => {
    process.env.PATH = saved;
  });

  it("virt-xml-validate without xmllint: libxml2-utils", () => {
    // A PATH with a virt-xml-validate, but no xmllint: the real script would print
    // "xmllint: not found" and fail every document, which must not read as an invalid domain.
    const bin = mkdtempSync(join(tmpdir(), "fmc-nopkg-"));
    writeFileSync(join(bin, "virt-xml-validate"), "#!/bin/sh\necho 'xmllint: not found' >&2\nexit 127\n");
    chmodSync(join(bin, "virt-xml-validate"), 0o755);
    process.env.PATH = bin;
    expect(() => virtXmlValidate("<domain/>")).toThrow("xmllint is not installed: Debian package libxml2-utils (bash .ci/run installs it, or apt-get install -y libxml2-utils)");
  });
});

/** The installed package that owns `path`, by dpkg's database; undefined where dpkg does not know it. */
function owner(path: string): string | undefined {
  const r = spawnSync("dpkg-query", ["-S", path], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  return r.stdout.split(":")[0].trim();
}

/** Whether installing `pkg` installs `target`: it is `target`, or (Pre-)Depends on it (three levels deep). */
function pullsIn(pkg: string, target: string, depth = 3, seen = new Set<string>()): boolean {
  if (pkg === target) return true;
  if (depth === 0 || seen.has(pkg)) return false;
  seen.add(pkg);
  const r = spawnSync("dpkg-query", ["-W", "-f", "${Pre-Depends},${Depends}", pkg], { encoding: "utf8" });
  const direct = r.status === 0 ? r.stdout.split(/[,|]/).map((d) => d.trim().split(/[\s(:]/)[0]).filter(Boolean) : [];
  return direct.some((d) => pullsIn(d, target, depth - 1, seen));
}

// Where dpkg knows the file: the package named is the one that installed it (or what it pulls in).
const hasDpkg = spawnSync("sh", ["-c", "command -v dpkg-query"]).status === 0;
(hasDpkg ? it : it.skip)("each program found here belongs to the package .ci/packages names for it", () => {
  let checked = 0;
  for (const { package: pkg, programs } of ciPackages()) {
    for (const program of programs) {
      const lookup = program.path ? `ls -d ${program.path} 2>/dev/null | tail -n 1` : `command -v ${program.name}`;
      const file = spawnSync("sh", ["-c", lookup], { encoding: "utf8" }).stdout.trim();
      const by = file ? owner(file) : undefined;
      if (!by) continue;
      checked += 1;
      expect(`${program.name}: ${pullsIn(pkg, by) ? pkg : by}`).toBe(`${program.name}: ${pkg}`);
    }
  }
  if (process.env.CI) expect(checked).toBeGreaterThan(10);
});
