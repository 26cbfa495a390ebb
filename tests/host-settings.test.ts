/**
 * The host-settings script (infra/host-settings.ts, infra/scripts/host-settings.sh) run exactly as
 * the remote command runs it, under bash against a scratch root with stub commands that record
 * every call: it installs exactly the configured keys, NTP servers and resolvers, rotates them in
 * place, and touches nothing on a VM that is already in the desired state.
 */
import { spawnSync } from "child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parseTopology } from "../config/validate";
import { renderChronyConf } from "../infra/chrony";
import { hostSettingsFor, renderHostSettingsScript } from "../infra/host-settings";
import { remoteCommand } from "../shell";
import { rawStack } from "./helpers/stacks";
import { shellcheck } from "./helpers/tools";

const prod = parseTopology(rawStack("prod"), "prod");
const dev = parseTopology(rawStack("dev"), "dev");
const vmOf = (t: typeof prod, name: string) => t.vms.find((v) => v.name === name) as (typeof prod)["vms"][number];

const STUB = `#!/bin/bash\necho "$(basename "$0") $*" >>"$STUB_LOG"\n`;

class Vm {
  readonly dir = mkdtempSync(join(tmpdir(), "fmc-host-settings-"));
  readonly root = join(this.dir, "root");
  private readonly stubs = join(this.dir, "stubs");
  private readonly log = join(this.dir, "calls.log");

  constructor(
    hostname: string,
    readonly user: string,
  ) {
    for (const d of [this.stubs, join(this.root, "proc/sys/kernel"), join(this.root, "home", user, ".ssh"), join(this.root, "etc")]) mkdirSync(d, { recursive: true });
    for (const name of ["systemctl", "networkctl", "chronyc", "cloud-init"]) {
      writeFileSync(join(this.stubs, name), STUB);
      chmodSync(join(this.stubs, name), 0o755);
    }
    writeFileSync(join(this.root, "proc/sys/kernel/hostname"), `${hostname}\n`);
    writeFileSync(join(this.root, "etc/chrony.conf"), "pool 2.rocky.pool.ntp.org iburst\n");
    // fmc-first-boot's marker: every first-boot step finished (Rocky).
    mkdirSync(join(this.root, "var/lib/flatcarmicrocloud"), { recursive: true });
    writeFileSync(join(this.root, "var/lib/flatcarmicrocloud/first-boot.done"), "");
  }

  run(script: string) {
    writeFileSync(this.log, "");
    const r = spawnSync("bash", ["-c", remoteCommand(script, { name: "host-settings", root: false })], {
      encoding: "utf8",
      env: { PATH: `${this.stubs}:${process.env.PATH ?? "/usr/bin:/bin"}`, FMC_ROOT: this.root, STUB_LOG: this.log },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: readFileSync(this.log, "utf8").trim().split("\n").filter(Boolean) };
  }

  file(path: string): string {
    return readFileSync(join(this.root, path), "utf8");
  }
}

describe("on a Flatcar node", () => {
  const vm = vmOf(prod, "worker1");
  const settings = hostSettingsFor(vm, prod);
  const node = new Vm("worker1", "core");
  const first = node.run(renderHostSettingsScript(vm, settings));

  it("installs the key, FreeIPA as NTP server, and the resolvers on the primary NIC", () => {
    expect(first.status).toBe(0);
    expect(node.file("home/core/.ssh/authorized_keys.d/ignition")).toBe(`${prod.sshPublicKey}\n`);
    expect(node.file("home/core/.ssh/authorized_keys")).toBe(`${prod.sshPublicKey}\n`);
    expect(settings.ntpServers).toEqual(["10.17.4.11"]);
    expect(node.file("etc/systemd/timesyncd.conf.d/10-flatcarmicrocloud.conf")).toBe("[Time]\nNTP=10.17.4.11\n");
    const dropIn = node.file(`etc/systemd/network/10-${settings.dnsIface}.network.d/20-resolvers.conf`);
    expect(dropIn).toBe(`[Network]\nDNS=\n${settings.dnsServers.map((s) => `DNS=${s}\n`).join("")}Domains=\nDomains=${prod.domain}\n`);
    expect(first.calls).toEqual(["systemctl restart systemd-timesyncd.service", "networkctl reload", `networkctl reconfigure ${settings.dnsIface}`]);
  });

  it("changes and restarts nothing when run again", () => {
    const again = node.run(renderHostSettingsScript(vm, settings));
    expect(again.status).toBe(0);
    expect(again.calls).toEqual([]);
    expect(again.stdout).toContain("unchanged");
  });

  it("rotates the key: the new one replaces the old, nothing else restarts", () => {
    const rotated = node.run(renderHostSettingsScript(vm, { ...settings, authorizedKeys: ["ssh-ed25519 AAAAnew operator@new"] }));
    expect(rotated.status).toBe(0);
    expect(node.file("home/core/.ssh/authorized_keys")).toBe("ssh-ed25519 AAAAnew operator@new\n");
    expect(node.file("home/core/.ssh/authorized_keys.d/ignition")).not.toContain(prod.sshPublicKey);
    expect(rotated.calls).toEqual([]);
  });

  it("moves NTP and DNS in place when FreeIPA moves", () => {
    const moved = node.run(renderHostSettingsScript(vm, { ...settings, ntpServers: ["10.17.4.99"], dnsServers: ["10.17.4.99", "10.17.4.1"] }));
    expect(moved.status).toBe(0);
    expect(node.file("etc/systemd/timesyncd.conf.d/10-flatcarmicrocloud.conf")).toBe("[Time]\nNTP=10.17.4.99\n");
    expect(moved.calls).toContain("systemctl restart systemd-timesyncd.service");
    expect(moved.calls).toContain(`networkctl reconfigure ${settings.dnsIface}`);
  });

  it("refuses to install no key at all, and refuses another machine", () => {
    expect(node.run(renderHostSettingsScript(vm, { ...settings, authorizedKeys: [] })).status).not.toBe(0);
    const other = new Vm("worker2", "core");
    const r = other.run(renderHostSettingsScript(vm, settings));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("expected VM worker1");
    expect(existsSync(join(other.root, "home/core/.ssh/authorized_keys"))).toBe(false);
  });
});

describe("on a Rocky VM", () => {
  const vm = vmOf(prod, "postgresql1");
  const settings = hostSettingsFor(vm, prod);
  const host = new Vm("postgresql1", prod.adminUser);
  const first = host.run(renderHostSettingsScript(vm, settings));

  it("installs the admin user's key, chrony sources and NetworkManager's global resolvers", () => {
    expect(first.status).toBe(0);
    expect(host.file(`home/${prod.adminUser}/.ssh/authorized_keys`)).toBe(`${prod.sshPublicKey}\n`);
    // The whole config: Rocky's default (its public pool) is replaced by the program's.
    expect(host.file("etc/chrony.conf")).toBe(`${renderChronyConf()}\n`);
    expect(host.file("etc/chrony.d/flatcarmicrocloud.sources")).toBe(settings.ntpServers.map((s) => `server ${s} iburst`).join("\n") + "\n");
    expect(host.file("etc/NetworkManager/conf.d/20-flatcarmicrocloud-dns.conf")).toContain(`servers=${settings.dnsServers.join(",")}`);
    expect(first.calls).toEqual(["cloud-init status --wait", "systemctl restart chronyd.service", "systemctl reload NetworkManager.service"]);
  });

  it("changes nothing when run again, and reloads only chrony's sources when NTP moves", () => {
    expect(host.run(renderHostSettingsScript(vm, settings)).calls).toEqual(["cloud-init status --wait"]);
    const moved = host.run(renderHostSettingsScript(vm, { ...settings, ntpServers: ["10.17.3.99"] }));
    expect(moved.calls).toEqual(["cloud-init status --wait", "chronyc reload sources"]);
  });
});

it("dev without FreeIPA: the fallback NTP servers; none configured means Flatcar's default (no drop-in)", () => {
  const vm = vmOf(dev, "server1");
  const settings = hostSettingsFor(vm, dev);
  expect(settings.ntpServers).toEqual(dev.fallbackNtpServers);
  const node = new Vm("server1", "core");
  expect(node.run(renderHostSettingsScript(vm, settings)).status).toBe(0);
  expect(node.file("etc/systemd/timesyncd.conf.d/10-flatcarmicrocloud.conf")).toBe(`[Time]\nNTP=${dev.fallbackNtpServers.join(" ")}\n`);
  const none = node.run(renderHostSettingsScript(vm, { ...settings, ntpServers: [] }));
  expect(none.calls).toContain("systemctl restart systemd-timesyncd.service");
  expect(existsSync(join(node.root, "etc/systemd/timesyncd.conf.d/10-flatcarmicrocloud.conf"))).toBe(false);
});

it.each(["worker1", "bastion1", "freeipa1"])("the script for %s passes shellcheck", (name) => {
  const r = shellcheck(renderHostSettingsScript(vmOf(prod, name), hostSettingsFor(vmOf(prod, name), prod)));
  expect(r.output).toBe("");
  expect(r.status).toBe(0);
});

// Issue 16 item 6: a role script that failed in first boot must fail the first after-boot step, with its log.
describe("on a Rocky VM whose first boot failed a step", () => {
  const vm = vmOf(prod, "postgresql1");
  const settings = hostSettingsFor(vm, prod);

  it("stops, naming the step, with the last lines of its log, and changes nothing", () => {
    const host = new Vm("postgresql1", prod.adminUser);
    rmSync(join(host.root, "var/lib/flatcarmicrocloud/first-boot.done"));
    writeFileSync(join(host.root, "var/lib/flatcarmicrocloud/first-boot.failed"), "postgresql-setup /var/log/flatcarmicrocloud/first-boot-postgresql-setup.log 1\n");
    mkdirSync(join(host.root, "var/log/flatcarmicrocloud"), { recursive: true });
    writeFileSync(join(host.root, "var/log/flatcarmicrocloud/first-boot-postgresql-setup.log"), "Last metadata expiration check\nError: Unable to find a match: postgresql-server\n");
    const r = host.run(renderHostSettingsScript(vm, settings));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("first boot failed at step 'postgresql-setup' (exit 1)");
    expect(r.stderr).toContain("Error: Unable to find a match: postgresql-server");
    expect(r.stderr).toContain("first boot step 'postgresql-setup' of postgresql1 failed (log: /var/log/flatcarmicrocloud/first-boot-postgresql-setup.log on the VM)");
    expect(existsSync(join(host.root, `home/${prod.adminUser}/.ssh/authorized_keys`))).toBe(false);
  });

  it("stops when the steps never finished (no marker)", () => {
    const host = new Vm("postgresql1", prod.adminUser);
    rmSync(join(host.root, "var/lib/flatcarmicrocloud/first-boot.done"));
    const r = host.run(renderHostSettingsScript(vm, settings));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("first boot of postgresql1 did not finish its steps");
  });
});

// Issue 16 item 6: cloud-init 23.4's ntp module moves /etc/chrony.conf aside on Rocky 9.5 and writes none.
describe("on a Rocky VM whose chrony.conf cloud-init moved aside", () => {
  it("writes the whole config and restarts chronyd; a second run touches nothing", () => {
    const vm = vmOf(prod, "freeipa1");
    const settings = hostSettingsFor(vm, prod);
    const host = new Vm("freeipa1.cefaslocalserver.com", prod.adminUser);
    rmSync(join(host.root, "etc/chrony.conf"));
    const r = host.run(renderHostSettingsScript(vm, settings));
    expect(r.status).toBe(0);
    expect(host.file("etc/chrony.conf")).toBe(`${renderChronyConf()}\n`);
    expect(r.calls).toContain("systemctl restart chronyd.service");
    expect(host.run(renderHostSettingsScript(vm, settings)).calls).toEqual(["cloud-init status --wait"]);
  });
});
