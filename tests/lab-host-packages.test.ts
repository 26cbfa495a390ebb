/**
 * The lab's host packages (issue 16): `npm run lab` installs the Debian packages its host lacks (as
 * root, apt-get update first) or stops with the exact command, and `run.js --check`, which decides
 * whether .ci/run runs the lab, counts every one of them. scripts/lab/host.sh holds the one list; it
 * runs here on a PATH of stand-ins (the lab's programs, id, apt-get) and nothing else.
 */
import { spawnSync } from "child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";

const LAB = join(__dirname, "..", "scripts", "lab");
const HOST_SH = join(LAB, "host.sh");

/** Every program host.sh's list names, with its package (read from the script itself). */
function hostPackages(): [string, string][] {
  const text = readFileSync(HOST_SH, "utf8");
  const block = /^HOST_PACKAGES=\(\n([\s\S]*?)\n\)/m.exec(text)?.[1] ?? "";
  return [...block.matchAll(/^\s*"(\S+) (\S+)"/gm)].map((m) => [m[1], m[2]]);
}

interface FakeHost {
  bin: string;
  log: string;
}

/**
 * A PATH holding bash, stand-ins for every lab program but `without`, `id` answering `uid`, and an
 * apt-get that logs its arguments, "installs" a package by creating its programs, and answers
 * `--simulate` with `simulate` as its exit status.
 */
function fakeHost(without: string[], uid: number, simulate = 0): FakeHost {
  const dir = mkdtempSync(join(tmpdir(), "fmc-labhost-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const which = (name: string) => spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
  const bash = which("bash");
  const chmod = which("chmod");
  symlinkSync(bash, join(bin, "bash"));
  const fake = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!${bash}\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  const pkgs = hostPackages();
  for (const [tool] of pkgs) if (!without.includes(tool)) fake(tool, "exit 0");
  fake("id", `echo ${uid}`);
  const log = join(dir, "apt.log");
  const creates = [...new Set(pkgs.map(([, pkg]) => pkg))].map((pkg) => {
    const tools = pkgs.filter(([, p]) => p === pkg).map(([tool]) => `'${bin}/${tool}'`);
    return `    ${pkg}) for t in ${tools.join(" ")}; do printf '#!${bash}\\nexit 0\\n' > "$t"; '${chmod}' 755 "$t"; done ;;`;
  });
  fake(
    "apt-get",
    [
      `echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >> '${log}'`,
      `case " $* " in *" --simulate "*) echo "E: Unable to locate package" >&2; exit ${simulate} ;; esac`,
      `[ "$1" = install ] || exit 0`,
      `for p in "$@"; do`,
      `  case "$p" in`,
      ...creates,
      `  esac`,
      `done`,
    ].join("\n"),
  );
  return { bin, log };
}

function hostSh(host: FakeHost, args: string[]) {
  const r = spawnSync(join(host.bin, "bash"), [HOST_SH, ...args], { encoding: "utf8", env: { PATH: host.bin } });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

function aptCalls(host: FakeHost): string[] {
  try {
    return readFileSync(host.log, "utf8").trim().split("\n");
  } catch {
    return [];
  }
}

it("the list names libvirt, qemu, the provider's ISO and XSLT tools, dnsmasq for NAT networks and ssh-keygen", () => {
  expect(Object.fromEntries(hostPackages())).toMatchObject({
    libvirtd: "libvirt-daemon-system",
    virtlogd: "libvirt-daemon-system",
    virsh: "libvirt-clients",
    "qemu-system-x86_64": "qemu-system-x86",
    "qemu-img": "qemu-utils",
    dnsmasq: "dnsmasq-base",
    mkisofs: "genisoimage",
    xsltproc: "xsltproc",
    ip: "iproute2",
    unshare: "util-linux",
    "ssh-keygen": "openssh-client",
  });
});

describe("host.sh", () => {
  it("missing: nothing when every program is there, else each package once", () => {
    expect(hostSh(fakeHost([], 0), ["missing"]).stdout).toBe("");
    expect(hostSh(fakeHost(["libvirtd", "virtlogd", "dnsmasq"], 0), ["missing"]).stdout).toBe("libvirt-daemon-system dnsmasq-base");
  });

  it("install as root: apt-get update, then installs exactly the missing packages", () => {
    const host = fakeHost(["libvirtd", "virtlogd", "qemu-img", "xsltproc"], 0);
    const r = hostSh(host, ["install"]);
    expect(r.status).toBe(0);
    expect(aptCalls(host)).toEqual([
      "DEBIAN_FRONTEND= update -qq",
      "DEBIAN_FRONTEND=noninteractive install -y -qq libvirt-daemon-system qemu-utils xsltproc",
    ]);
    expect(hostSh(host, ["missing"]).stdout).toBe("");
  });

  it("install with nothing missing calls no apt-get", () => {
    const host = fakeHost([], 0);
    expect(hostSh(host, ["install"]).status).toBe(0);
    expect(aptCalls(host)).toEqual([]);
  });

  it("install as another user: stops with the exact command, installs nothing", () => {
    const host = fakeHost(["qemu-system-x86_64", "mkisofs"], 1000);
    const r = hostSh(host, ["install"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("host.sh: missing Debian packages qemu-system-x86 genisoimage: as root, apt-get update && apt-get install -y qemu-system-x86 genisoimage");
    expect(aptCalls(host)).toEqual([]);
  });

  it("up stops before anything with the exact command when a package is missing", () => {
    const host = fakeHost(["dnsmasq"], 0);
    const r = hostSh(host, ["up", join(mkdtempSync(join(tmpdir(), "fmc-labrun-")), "host"), "fmclab-br0"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("host.sh: missing Debian packages dnsmasq-base: apt-get update && apt-get install -y dnsmasq-base (npm run lab installs them)");
  });
});

describe("run.js --check", () => {
  /** A toolchain as lab:build leaves it: the required pieces built, their binaries present. */
  function builtToolchain(): string {
    const cache = mkdtempSync(join(tmpdir(), "fmc-labcache-"));
    const results: Record<string, { status: string; binary: string }> = {};
    for (const piece of ["pulumi", "pulumi-resource-terraform-provider", "terraform-provider-libvirt"]) {
      writeFileSync(join(cache, piece), "");
      results[piece] = { status: "built", binary: join(cache, piece) };
    }
    writeFileSync(join(cache, "toolchain.json"), JSON.stringify({ results }));
    return cache;
  }

  function check(host: FakeHost) {
    const r = spawnSync(process.execPath, [join(LAB, "run.js"), "--check"], {
      encoding: "utf8",
      env: { PATH: host.bin, FMC_LAB_CACHE: builtToolchain(), HOME: tmpdir() },
    });
    return { status: r.status, stdout: r.stdout.trim() };
  }

  // The lab needs root; so does its check's package count (it says "needs root" first otherwise).
  const asRoot = process.getuid?.() === 0 ? it : it.skip;

  asRoot("passes when the host has every package", () => {
    expect(check(fakeHost([], 0))).toEqual({ status: 0, stdout: "lab: the toolchain is built and the host has what the lab needs" });
  });

  asRoot("counts every package: dnsmasq-base alone missing, and apt cannot install it, fails with the command", () => {
    const host = fakeHost(["dnsmasq"], 0, 100);
    expect(check(host)).toEqual({
      status: 1,
      stdout:
        "lab: cannot run: missing Debian packages dnsmasq-base, which apt cannot install here (E: Unable to locate package): apt-get update && apt-get install -y dnsmasq-base",
    });
    expect(aptCalls(host)).toEqual(["DEBIAN_FRONTEND= install --simulate -qq dnsmasq-base"]);
  });

  asRoot("passes when apt can install what is missing, and says npm run lab installs it first", () => {
    const host = fakeHost(["libvirtd", "virtlogd", "virsh"], 0, 0);
    expect(check(host)).toEqual({
      status: 0,
      stdout: "lab: the toolchain is built and the host has what the lab needs (npm run lab installs the Debian packages libvirt-daemon-system libvirt-clients first)",
    });
  });
});
