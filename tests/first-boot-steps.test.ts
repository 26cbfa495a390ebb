/**
 * Issue 16 item 6: cloud-init's runcmd is one /bin/sh script without `set -e`, so a role script that
 * failed still ended in the done-marker. fmc-first-boot (infra/roles/scripts/first-boot.sh) runs the
 * steps itself: run for real under bash in a scratch root with stand-in steps.
 */
import { spawnSync } from "child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { renderFirstBootSteps } from "../infra/cloudinit";
import { loadScript } from "../infra/roles/shell";
import { shellcheck } from "./helpers/tools";

function scratch() {
  const dir = mkdtempSync(join(tmpdir(), "fmc-first-boot-"));
  const root = join(dir, "root");
  mkdirSync(join(root, "etc/flatcarmicrocloud"), { recursive: true });
  const step = (name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/bash\necho "${name} ran" >>"${join(dir, "ran")}"\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  };
  const run = () => {
    writeFileSync(join(dir, "runner.sh"), loadScript("first-boot.sh"));
    const r = spawnSync("bash", [join(dir, "runner.sh")], { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", FMC_ROOT: root } });
    const ran = existsSync(join(dir, "ran")) ? readFileSync(join(dir, "ran"), "utf8").trim().split("\n") : [];
    return { status: r.status, stderr: r.stderr, ran };
  };
  return { dir, root, step, run, state: join(root, "var/lib/flatcarmicrocloud") };
}

it("passes shellcheck", () => {
  expect(shellcheck(loadScript("first-boot.sh"))).toEqual({ output: "", status: 0 });
});

it("stops at the first failing step, records it with its log, and writes no done-marker", () => {
  const s = scratch();
  const firewall = s.step("firewall", "echo opened");
  const setup = s.step("setup", 'echo "dnf: no match for postgresql-server" >&2; exit 3');
  const backup = s.step("backup", "exit 0");
  writeFileSync(join(s.root, "etc/flatcarmicrocloud/first-boot-steps"), renderFirstBootSteps([
    { name: "firewall", command: [firewall] },
    { name: "postgresql-setup", command: [setup, "--now"] },
    { name: "backup", command: [backup] },
  ]));
  const r = s.run();
  expect(r.status).toBe(1);
  expect(r.ran).toEqual(["firewall ran", "setup ran"]);
  expect(readFileSync(join(s.state, "first-boot.failed"), "utf8")).toBe("postgresql-setup /var/log/flatcarmicrocloud/first-boot-postgresql-setup.log 3\n");
  expect(r.stderr).toContain("step postgresql-setup failed (exit 3)");
  expect(r.stderr).toContain("dnf: no match for postgresql-server");
  expect(readFileSync(join(s.root, "var/log/flatcarmicrocloud/first-boot-postgresql-setup.log"), "utf8")).toContain("dnf: no match");
  expect(existsSync(join(s.state, "first-boot.done"))).toBe(false);

  // Fixed by hand and run again: the finished step is skipped, the rest run, then the marker.
  writeFileSync(setup, `#!/bin/bash\necho "setup ran" >>"${join(s.dir, "ran")}"\n`);
  const again = s.run();
  expect(again.status).toBe(0);
  expect(again.ran).toEqual(["firewall ran", "setup ran", "setup ran", "backup ran"]);
  expect(existsSync(join(s.state, "first-boot.failed"))).toBe(false);
  expect(existsSync(join(s.state, "first-boot.done"))).toBe(true);
});

it("refuses step names and words it cannot carry", () => {
  expect(() => renderFirstBootSteps([{ name: "a b", command: ["/bin/true"] }])).toThrow("letters, digits and dashes");
  expect(() => renderFirstBootSteps([{ name: "a", command: ["echo", "a;b"] }])).toThrow("is not a plain word");
  expect(() => renderFirstBootSteps([{ name: "a", command: ["x"] }, { name: "a", command: ["y"] }])).toThrow("two first-boot steps are named a");
});
