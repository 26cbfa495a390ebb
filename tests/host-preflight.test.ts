/**
 * Items 3 and 9: the host preflight that `pulumi up` runs before stage 1 creates anything. The script
 * is shellchecked and run for real against stand-ins for virsh (answering from libvirt-shaped
 * fixtures), ip and the local tools, on a PATH that holds only what the script may use.
 */
import { spawnSync } from "child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parseTopology } from "../config/validate";
import { hostPreflightFor, HostPreflight, MKISOFS, renderHostPreflightScript, XSLTPROC } from "../infra/host-preflight";
import { rawStack } from "./helpers/stacks";
import { twoHostStack } from "./helpers/two-hosts";
import { requireTool, shellcheck } from "./helpers/tools";

const DOMCAPS_PC = readFileSync(join(__dirname, "fixtures", "libvirt", "domcapabilities-pc.xml"), "utf8");
// q35 offers no IDE: what a host whose only machine types are q35 answers for its disk buses.
const DOMCAPS_NO_IDE = DOMCAPS_PC.replace("        <value>ide</value>\n", "");

const prod = parseTopology(rawStack("prod"), "prod");

interface FakeHost {
  /** What `virsh version --daemon` reports as the daemon's version; undefined: connection refused. */
  daemon?: string;
  /** `virsh domcapabilities` output; undefined: the machine type does not exist. */
  domcaps?: string;
  withVirsh?: boolean;
  localTools?: string[];
  osRelease?: string;
  bridges?: string[];
  /** `ip -o -4 addr show` lines as [interface, address]. */
  hostAddresses?: [string, string][];
  /** What `df -Pk` reports free (KiB) on the pool's filesystem; default: 2 TiB. */
  dfAvailKiB?: number;
  /** The libvirt pool, when it exists already: its free bytes and the volumes it holds. */
  pool?: { availableBytes: number; volumes: string[] };
}

interface Run {
  status: number | null;
  output: string;
  virshCalls: string;
  dfCalls: string;
}

const ROCKY_9 = 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.6"\nPRETTY_NAME="Rocky Linux 9.6 (Blue Onyx)"\n';
const ROCKY_10 = 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="10.0"\nPRETTY_NAME="Rocky Linux 10.0 (Red Quartz)"\n';

/** Runs the rendered preflight with only coreutils-like tools on PATH plus the fakes of `host`. */
function runPreflight(facts: HostPreflight, host: FakeHost, env: Record<string, string> = {}): Run {
  const dir = mkdtempSync(join(tmpdir(), "fmc-preflight-"));
  const bin = join(dir, "bin");
  const root = join(dir, "root");
  mkdirSync(bin);
  mkdirSync(join(root, "etc"), { recursive: true });
  for (const tool of ["bash", "sort", "head", "sed", "awk", "grep", "timeout", "cat", "dirname"]) {
    const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    if (!found) throw new Error(`${tool} is needed to run the preflight test`);
    symlinkSync(found, join(bin, tool));
  }
  const fake = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  for (const tool of host.localTools ?? []) fake(tool, "exit 0");
  const log = join(dir, "virsh.log");
  if (host.withVirsh !== false) {
    writeFileSync(join(dir, "domcaps.xml"), host.domcaps ?? "");
    fake(
      "virsh",
      [
        `echo "$*" >> '${log}'`,
        `case " $* " in`,
        `  *" version "*)`,
        host.daemon === undefined
          ? `    echo "error: failed to connect to the hypervisor" >&2; exit 1 ;;`
          : `    printf 'Compiled against library: libvirt ${host.daemon}\\nRunning hypervisor: QEMU 9.1.0\\nRunning against daemon: ${host.daemon}\\n'; exit 0 ;;`,
        `  *" pool-info "*)`,
        host.pool === undefined
          ? `    echo "error: failed to get pool 'flatcarmicrocloud-prod'" >&2; exit 1 ;;`
          : `    printf 'Name:           flatcarmicrocloud-prod\nState:          running\nCapacity:       999\nAllocation:     1\nAvailable:      ${host.pool.availableBytes}\n'; exit 0 ;;`,
        `  *" vol-list "*)`,
        `    printf '%s\n' ${(host.pool?.volumes ?? []).map((v) => `'${v}   /pool/${v}'`).join(" ")}; exit 0 ;;`,
        `  *" domcapabilities "*)`,
        host.domcaps === undefined
          ? `    echo "error: invalid argument: the machine 'pc' is not supported by emulator '/usr/libexec/qemu-kvm'" >&2; exit 1 ;;`
          : `    cat '${join(dir, "domcaps.xml")}'; exit 0 ;;`,
        `esac`,
        `exit 2`,
      ].join("\n"),
    );
  }
  // df -Pk PATH: the header and one filesystem line; the path asked for is logged.
  fake("df", `echo "$*" >> '${join(dir, "df.log")}'\necho 'Filesystem 1024-blocks Used Available Capacity Mounted on'\necho "/dev/mapper/rl-root 73364480 1000 ${host.dfAvailKiB ?? 2 * 1024 ** 3} 1% /"`);
  fake("ip", (host.hostAddresses ?? []).map(([iface, address], i) => `echo "${i + 2}: ${iface}    inet ${address}/24 brd 192.168.0.255 scope global ${iface}"`).join("\n"));
  if (host.osRelease) writeFileSync(join(root, "etc", "os-release"), host.osRelease);
  for (const bridge of host.bridges ?? []) mkdirSync(join(root, "sys", "class", "net", bridge, "bridge"), { recursive: true });

  const script = join(dir, "preflight.sh");
  writeFileSync(script, renderHostPreflightScript(facts));
  const r = spawnSync(join(bin, "bash"), [script], { encoding: "utf8", env: { PATH: bin, FMC_ROOT: root, ...env } });
  const readOr = (file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return "";
    }
  };
  return { status: r.status, output: `${r.stdout}${r.stderr}`, virshCalls: readOr(log), dfCalls: readOr(join(dir, "df.log")).replaceAll(root, "") };
}

const READY: FakeHost = {
  daemon: "10.10.0",
  domcaps: DOMCAPS_PC,
  localTools: ["mkisofs", "xsltproc"],
  osRelease: ROCKY_9,
  bridges: ["br0"],
  hostAddresses: [["enp3s0f0", "192.168.0.15"], ["br0", "192.168.0.16"], ["enp4s0f1", "192.168.0.18"]],
};

describe("host preflight: what the prod topology needs", () => {
  const facts = hostPreflightFor(prod);

  it("asks for mkisofs (Rocky VMs) and xsltproc (Flatcar VMs), br0, and every VM address on the LAN", () => {
    expect(facts.libvirtUri).toBe("qemu:///system");
    expect(facts.localTools).toEqual([MKISOFS, XSLTPROC]);
    expect(facts.bridges).toEqual([{ bridge: "br0", key: "networks[0].bridge" }]);
    expect(facts.bridgeAddresses.map((a) => a.vm).sort()).toEqual(["bastion1", "loadbalancer1"]);
  });

  it("needs no mkisofs without Rocky VMs", () => {
    const flatcarOnly = { ...prod, vms: prod.vms.filter((vm) => vm.os === "flatcar") };
    expect(hostPreflightFor(flatcarOnly).localTools).toEqual([XSLTPROC]);
  });

  it("passes shellcheck", () => {
    const r = shellcheck(renderHostPreflightScript(facts));
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("host preflight: run against stand-in hosts", () => {
  const facts = hostPreflightFor(prod);

  beforeAll(() => requireTool("bash"));

  it("passes on a ready EL9 host and asks libvirt over the stack's URI", () => {
    const r = runPreflight(facts, READY);
    expect(r.output).toContain("host OS: Rocky Linux 9.6");
    expect(r.output).toContain("ok: libvirt 10.10.0");
    expect(r.status).toBe(0);
    expect(r.virshCalls).toContain("--connect qemu:///system version --daemon");
    expect(r.virshCalls).toContain("domcapabilities --virttype kvm --arch x86_64 --machine pc");
  });

  it("names genisoimage/xorriso when mkisofs is missing", () => {
    const r = runPreflight(facts, { ...READY, localTools: ["xsltproc"] });
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/'mkisofs' is not installed on this machine \(the one running Pulumi\).*genisoimage.*xorriso/);
    expect(r.output).toContain("nothing was created");
  });

  it("names xsltproc when it is missing", () => {
    const r = runPreflight(facts, { ...READY, localTools: ["mkisofs"] });
    expect(r.status).toBe(1);
    expect(r.output).toContain("'xsltproc' is not installed");
  });

  it("refuses a host without the i440fx machine type (EL10) and says which hosts are supported", () => {
    const r = runPreflight(facts, { ...READY, domcaps: undefined, osRelease: ROCKY_10 });
    expect(r.status).toBe(1);
    expect(r.output).toContain("no kvm x86_64 machine type 'pc'");
    expect(r.output).toContain("the machine 'pc' is not supported by emulator");
    expect(r.output).toContain("EL10 is not supported");
    expect(r.output).toContain("Rocky Linux / RHEL / AlmaLinux 9");
  });

  it("refuses a machine type without an IDE bus for the cloud-init CD-ROM", () => {
    const r = runPreflight(facts, { ...READY, domcaps: DOMCAPS_NO_IDE });
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/offers no 'ide' disk bus \(it offers: fdc scsi virtio usb sata\)/);
  });

  it("refuses libvirt older than 6.5.0 (no fw_cfg sysinfo for Ignition)", () => {
    const r = runPreflight(facts, { ...READY, daemon: "6.0.0" });
    expect(r.status).toBe(1);
    expect(r.output).toContain("libvirt 6.0.0 at qemu:///system is older than 6.5.0");
    expect(runPreflight(facts, { ...READY, daemon: "6.10.0" }).status).toBe(0);
  });

  it("reports an unreachable libvirt naming libvirtUri", () => {
    const r = runPreflight(facts, { ...READY, daemon: undefined });
    expect(r.status).toBe(1);
    expect(r.output).toContain("cannot reach libvirt at qemu:///system (libvirtUri): error: failed to connect");
  });

  it("asks for virsh when it is missing", () => {
    const r = runPreflight(facts, { ...READY, withVirsh: false });
    expect(r.status).toBe(1);
    expect(r.output).toContain("'virsh' is not installed on this machine");
  });

  it("refuses a missing host bridge", () => {
    const r = runPreflight(facts, { ...READY, bridges: [] });
    expect(r.status).toBe(1);
    expect(r.output).toContain("the host has no bridge 'br0'");
  });

  it("refuses a VM LAN address the host already holds (the seed's enp4s0f0 192.168.0.20)", () => {
    const seedHost = { ...facts, bridgeAddresses: [{ vm: "bastion1", address: "192.168.0.20" }] };
    const r = runPreflight(seedHost, { ...READY, hostAddresses: [...(READY.hostAddresses ?? []), ["enp4s0f0", "192.168.0.20"]] });
    expect(r.status).toBe(1);
    expect(r.output).toContain("bastion1's LAN address 192.168.0.20 is already this host's own (interface enp4s0f0)");
  });

  it("reports every problem in one run", () => {
    const r = runPreflight(facts, { ...READY, localTools: [], domcaps: DOMCAPS_NO_IDE, bridges: [] });
    expect(r.status).toBe(1);
    for (const part of ["'mkisofs'", "'xsltproc'", "no 'ide' disk bus", "no bridge 'br0'"]) expect(r.output).toContain(part);
  });

  it("checks a remote host over its qemu+ssh URI and skips what only a local host can tell", () => {
    const remote = { ...facts, libvirtUri: "qemu+ssh://root@kvm.example/system" };
    const r = runPreflight(remote, { ...READY, osRelease: ROCKY_10, bridges: [], hostAddresses: [["enp4s0f0", "192.168.0.20"]] });
    expect(r.status).toBe(0);
    expect(r.virshCalls).toContain("--connect qemu+ssh://root@kvm.example/system domcapabilities");
    expect(r.output).toContain("is remote: its OS, bridges and own addresses are not checked here");
    // ...but libvirt's answers still count on a remote host.
    expect(runPreflight(remote, { ...READY, domcaps: undefined }).status).toBe(1);
  });

  it("checks the domain type the provider will use (TCG hosts set TERRAFORM_LIBVIRT_TEST_DOMAIN_TYPE)", () => {
    const r = runPreflight(facts, READY, { TERRAFORM_LIBVIRT_TEST_DOMAIN_TYPE: "qemu" });
    expect(r.status).toBe(0);
    expect(r.virshCalls).toContain("domcapabilities --virttype qemu --arch x86_64 --machine pc");
  });

  // Issue 16 item 6: provider 0.8.3 preallocates raw volumes in full; prod's 3 x 200 + 3 x 20 GiB of
  // Ceph disks do not fit a default Rocky layout's 70 GiB root filesystem.
  const KiB_PER_GiB = 1024 * 1024;

  it("refuses a first deploy whose pool path lies on a filesystem without room (df of the nearest existing parent)", () => {
    const r = runPreflight(facts, { ...READY, dfAvailKiB: 60 * KiB_PER_GiB });
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/the filesystem of \/ \(storagePoolPath \/var\/lib\/libvirt\/images\/flatcarmicrocloud-prod\) has 60\.0 GiB free, but the volumes still to be created take up to 954\.0 GiB/);
    expect(r.output).toContain("worker1's Ceph OSD disk (raw, preallocated) 200.0 GiB");
    expect(r.output).toContain("README, 'Disk space'");
    expect(r.output).toContain("nothing was created");
    // The pool directory does not exist yet: df is asked about its nearest parent that does.
    expect(r.dfCalls.trim()).toBe("-Pk /");
  });

  it("passes with room for every volume", () => {
    const r = runPreflight(facts, { ...READY, dfAvailKiB: 1000 * KiB_PER_GiB });
    expect(r.status).toBe(0);
    expect(r.output).toContain("storage pool: 1000.0 GiB free in the filesystem of / (storagePoolPath /var/lib/libvirt/images/flatcarmicrocloud-prod), the new volumes need up to 954.0 GiB");
  });

  it("counts only the volumes a live pool does not hold yet (free space from libvirt's pool-info)", () => {
    const held = facts.pool.volumes.map((v) => v.name.replace("*", "0123456789"));
    const live = runPreflight(facts, { ...READY, dfAvailKiB: 1, pool: { availableBytes: 5 * 1024 ** 3, volumes: held } });
    expect(live.status).toBe(0);
    expect(live.output).toContain("storage pool: every volume exists already");
    expect(live.virshCalls).toContain("pool-info --bytes flatcarmicrocloud-prod");
    // A new storage node's disks on that live pool: 200 + 20 GiB raw and its root disk, against 5 GiB free.
    const withoutWorker3 = held.filter((n) => !n.startsWith("worker3-"));
    const grown = runPreflight(facts, { ...READY, pool: { availableBytes: 5 * 1024 ** 3, volumes: withoutWorker3 } });
    expect(grown.status).toBe(1);
    expect(grown.output).toMatch(/libvirt pool flatcarmicrocloud-prod at qemu:\/\/\/system has 5\.0 GiB free, but the volumes still to be created take up to 2\d\d\.\d GiB/);
  });

  it("says so when a remote host has no pool yet (the free space cannot be asked)", () => {
    const remote = { ...facts, libvirtUri: "qemu+ssh://root@kvm.example/system" };
    const r = runPreflight(remote, { ...READY, dfAvailKiB: 1 });
    expect(r.status).toBe(0);
    expect(r.output).toContain("free space not checked (no pool flatcarmicrocloud-prod yet on the remote host");
    expect(r.dfCalls).toBe("");
  });
});

// Issue 19: a stack with `hosts` names each host's and pool's own keys (config/hosts.ts poolKey), not
// the one-host keys, in every message: the second host's pool and the seed's second disk.
describe("host preflight: the keys of each host and pool of a hosts list", () => {
  const two = parseTopology(
    twoHostStack((r) => {
      const networks = r.networks as Record<string, unknown>[];
      networks[2] = { ...networks[2], hostBridges: { proliant2: "br-lan" } };
    }),
    "prod",
  );
  const second = hostPreflightFor(two, { host: "proliant2", pool: "disk1" });
  const seedDisk2 = hostPreflightFor(two, { host: "proliant1", pool: "disk2" });
  const KiB_PER_GiB = 1024 * 1024;

  beforeAll(() => requireTool("bash"));

  it("knows the keys of its host and pool", () => {
    expect(second.keys).toEqual({ libvirtUri: "hosts[1].libvirtUri", addresses: "hosts[1].addresses", poolPath: "hosts[1].pools[0].path", poolCapacity: "hosts[1].pools[0].capacityGiB" });
    expect(seedDisk2.keys.poolPath).toBe("hosts[0].pools[1].path");
    expect(second.bridges).toEqual([{ bridge: "br-lan", key: "networks[2].hostBridges.proliant2" }]);
  });

  it("names the pool's path key when its filesystem has no room", () => {
    const local = { ...seedDisk2, pool: { ...seedDisk2.pool, volumes: hostPreflightFor(prod).pool.volumes } };
    const r = runPreflight(local, { ...READY, dfAvailKiB: 60 * KiB_PER_GiB });
    expect(r.status).toBe(1);
    expect(r.output).toContain(`the filesystem of / (hosts[0].pools[1].path ${seedDisk2.pool.path}) has 60.0 GiB free`);
    expect(r.output).toContain("Put hosts[0].pools[1].path on a filesystem with room");
    expect(r.output).not.toContain("storagePoolPath");
  });

  it("names the host's URI, bridge, addresses and capacity keys", () => {
    const unreachable = runPreflight(second, { ...READY, daemon: undefined });
    expect(unreachable.output).toContain(`cannot reach libvirt at ${second.libvirtUri} (hosts[1].libvirtUri)`);
    expect(unreachable.output).toContain("hosts[1].pools[0].capacityGiB states the pool's size");
    expect(unreachable.output).toContain("(hosts[1].addresses in the stack config covers the address clash)");
    // The same host's bridge, checked as if it were local.
    const local = { ...second, libvirtUri: "qemu:///system", bridgeAddresses: [{ vm: "worker3", address: "192.168.0.20" }] };
    const r = runPreflight(local, { ...READY, bridges: [], hostAddresses: [["enp4s0f0", "192.168.0.20"]] });
    expect(r.output).toContain("the host has no bridge 'br-lan' (networks[2].hostBridges.proliant2)");
    expect(r.output).toContain("list the host's addresses in hosts[1].addresses");
    for (const run of [unreachable, r]) expect(run.output).not.toMatch(/storagePool|\(libvirtUri\)|in hostAddresses/);
  });
});
