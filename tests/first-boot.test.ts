/**
 * The first-boot configs every VM receives, validated by the real tools and checked for content.
 */
import { parse } from "yaml";
import { parseTopology } from "../config/validate";
import { Topology, VmSpec } from "../config/topology";
import { renderChronyConf } from "../infra/chrony";
import { renderRockyMetaData, renderRockyNetworkConfig, renderRockyUserData } from "../infra/cloudinit";
import { IgnitionConfig, renderFlatcarIgnition } from "../infra/ignition";
import { rawStack, TEST_SSH_KEY } from "./helpers/stacks";
import { cloudInitNetConvert, cloudInitSchema, ignitionValidate } from "./helpers/tools";

const stacks: Record<string, Topology> = {
  prod: parseTopology(rawStack("prod"), "prod"),
  dev: parseTopology(rawStack("dev"), "dev"),
};

function vmsOf(os: VmSpec["os"]): [string, VmSpec, Topology][] {
  return Object.entries(stacks).flatMap(([stack, t]) => t.vms.filter((v) => v.os === os).map((v): [string, VmSpec, Topology] => [`${stack}/${v.name}`, v, t]));
}

function fileText(ign: IgnitionConfig, path: string): string {
  const f = ign.storage.files.find((x) => x.path === path);
  if (!f) throw new Error(`no file ${path}`);
  return decodeURIComponent(f.contents.source.replace(/^data:,/, ""));
}

const prodVm = (name: string): VmSpec => stacks.prod.vms.find((v) => v.name === name) as VmSpec;

describe("Flatcar Ignition", () => {
  it.each(vmsOf("flatcar"))("%s passes ignition-validate", (_label, vm, t) => {
    const result = ignitionValidate(renderFlatcarIgnition(vm, t));
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });

  it("the validator is live: it rejects a config of an unknown spec version", () => {
    const bad = JSON.parse(renderFlatcarIgnition(prodVm("master1"), stacks.prod));
    bad.ignition.version = "9.9.9";
    expect(ignitionValidate(JSON.stringify(bad)).status).not.toBe(0);
  });

  it("sets hostname, key, static network on the MAC, FreeIPA time, /opt/bin and no automatic reboots", () => {
    const vm = prodVm("master1");
    const ign = JSON.parse(renderFlatcarIgnition(vm, stacks.prod)) as IgnitionConfig;
    expect(ign.ignition.version).toBe("3.3.0");
    expect(ign.passwd.users).toEqual([{ name: "core", sshAuthorizedKeys: [TEST_SSH_KEY] }]);
    expect(fileText(ign, "/etc/hostname")).toBe("master1\n");
    const network = fileText(ign, "/etc/systemd/network/10-nic0.network");
    expect(network).toContain(`MACAddress=${vm.nics[0].mac}`);
    expect(network).toContain("Address=10.17.4.21/24");
    expect(network).toContain("Gateway=10.17.4.1");
    expect(network).toContain("DHCP=no");
    // First boot: the network's own resolver only; FreeIPA comes with the host settings step.
    expect(network).toMatch(/DNS=10\.17\.4\.1\n/);
    expect(network).not.toContain("DNS=10.17.4.11");
    expect(fileText(ign, "/etc/systemd/network/10-nic0.link")).toContain("Name=nic0");
    // master1 lives on kube_network_03, so it reaches FreeIPA on FreeIPA's leg there.
    expect(fileText(ign, "/etc/systemd/timesyncd.conf.d/10-flatcarmicrocloud.conf")).toContain("NTP=10.17.4.11");
    expect(fileText(ign, "/etc/flatcar/update.conf")).toContain("REBOOT_STRATEGY=off");
    expect(ign.storage.directories).toContainEqual({ path: "/opt/bin", mode: 0o755 });
  });

  it("a multi-homed node gets the default route only on its first NIC", () => {
    const ign = JSON.parse(renderFlatcarIgnition(prodVm("bootstrap1"), stacks.prod)) as IgnitionConfig;
    expect(fileText(ign, "/etc/systemd/network/10-nic0.network")).toContain("Gateway=10.17.3.1");
    const second = fileText(ign, "/etc/systemd/network/10-nic1.network");
    expect(second).toContain("Address=10.17.4.14/24");
    expect(second).not.toContain("Gateway=");
    expect(second).not.toContain("DNS=");
    expect(fileText(ign, "/etc/systemd/timesyncd.conf.d/10-flatcarmicrocloud.conf")).toContain("NTP=10.17.3.11");
  });

  it("without FreeIPA (dev) the nodes use the fallback NTP servers", () => {
    const dev = stacks.dev;
    const ign = JSON.parse(renderFlatcarIgnition(dev.vms[0], dev)) as IgnitionConfig;
    expect(fileText(ign, "/etc/systemd/timesyncd.conf.d/10-flatcarmicrocloud.conf")).toContain(`NTP=${dev.fallbackNtpServers.join(" ")}`);
  });

  it("refuses to render Ignition for a Rocky VM", () => {
    expect(() => renderFlatcarIgnition(prodVm("freeipa1"), stacks.prod)).toThrow("runs rocky, not flatcar");
  });
});

/** Top-level keys cloud-init 22.x understands that the renderer may use (the schema tool ignores unknown keys). */
const KNOWN_CLOUD_CONFIG_KEYS = new Set([
  "hostname", "fqdn", "prefer_fqdn_over_hostname", "manage_etc_hosts", "users", "disable_root", "ssh_pwauth", "ntp",
  "timezone", "package_update", "packages", "runcmd", "write_files", "yum_repos", "final_message", "bootcmd",
]);

describe("Rocky cloud-init", () => {
  it.each(vmsOf("rocky"))("%s user-data passes cloud-init schema and uses only known keys", (_label, vm, t) => {
    const userData = renderRockyUserData(vm, t);
    expect(userData.startsWith("#cloud-config\n")).toBe(true);
    const result = cloudInitSchema(userData);
    expect(result.output).toContain("Valid cloud-config");
    expect(result.status).toBe(0);
    for (const key of Object.keys(parse(userData) as object)) expect(KNOWN_CLOUD_CONFIG_KEYS).toContain(key);
  });

  it("the validator is live: it rejects a wrongly typed key", () => {
    const bad = renderRockyUserData(prodVm("freeipa1"), stacks.prod).replace("ssh_pwauth: false", "ssh_pwauth: [1, 2]");
    expect(cloudInitSchema(bad).status).not.toBe(0);
  });

  it("creates a key-only admin user, no root, no password login, chrony on FreeIPA", () => {
    const doc = parse(renderRockyUserData(prodVm("postgresql1"), stacks.prod));
    expect(doc.hostname).toBe("postgresql1");
    expect(doc.fqdn).toBe("postgresql1.cefaslocalserver.com");
    expect(doc.users).toEqual([
      expect.objectContaining({ name: "ops", lock_passwd: true, ssh_authorized_keys: [TEST_SSH_KEY], groups: ["wheel"] }),
    ]);
    expect(doc.disable_root).toBe(true);
    expect(doc.ssh_pwauth).toBe(false);
    // chrony is configured by the program, not cloud-init's ntp module: cloud-init 23.4 has no chrony
    // template for Rocky and moves /etc/chrony.conf aside (infra/chrony.ts).
    expect(doc.ntp).toBeUndefined();
    const file = (path: string) => (doc.write_files as { path: string; content: string }[]).find((f) => f.path === path)?.content;
    expect(file("/etc/chrony.conf")).toBe(`${renderChronyConf()}\n`);
    expect(file("/etc/chrony.conf")).toMatch(/^sourcedir \/etc\/chrony\.d$/m);
    expect(file("/etc/chrony.conf")).not.toMatch(/^(pool|server) /m);
    expect(file("/etc/chrony.d/flatcarmicrocloud.sources")).toBe("server 10.17.3.11 iburst\n");
    expect(doc.packages).toContain("chrony");
    expect(file("/etc/flatcarmicrocloud/first-boot-steps")).toMatch(/^chrony systemctl restart chronyd\.service$/m);
    // One command: fmc-first-boot runs the steps (each with its log) and marks first boot finished
    // only when every step succeeded; the steps' list is the last file written.
    expect(doc.runcmd).toEqual([["/usr/local/sbin/fmc-first-boot"]]);
    const files = doc.write_files as { path: string; content: string }[];
    expect(files[files.length - 1].path).toBe("/etc/flatcarmicrocloud/first-boot-steps");
    expect(files.find((f) => f.path === "/usr/local/sbin/fmc-first-boot")?.content).toContain('install -m 0644 /dev/null "$state/first-boot.done"');
  });

  it("network-config v2 matches NICs on MAC, routes only via the first NIC", () => {
    const vm = prodVm("loadbalancer1");
    const doc = parse(renderRockyNetworkConfig(vm, stacks.prod));
    expect(doc.version).toBe(2);
    expect(Object.keys(doc.ethernets)).toEqual(["nic0", "nic1", "nic2"]);
    expect(doc.ethernets.nic0).toMatchObject({
      match: { macaddress: vm.nics[0].mac },
      "set-name": "nic0",
      addresses: ["10.17.3.12/24"],
      routes: [{ to: "0.0.0.0/0", via: "10.17.3.1" }],
      // libvirt's resolver only: FreeIPA alone comes later with the host settings step.
      nameservers: { addresses: ["10.17.3.1"], search: ["cefaslocalserver.com"] },
    });
    expect(doc.ethernets.nic1).toEqual({
      match: { macaddress: vm.nics[1].mac },
      "set-name": "nic1",
      dhcp4: false,
      dhcp6: false,
      addresses: ["192.168.0.21/24"],
    });
    expect(renderRockyNetworkConfig(vm, stacks.prod)).not.toContain("gateway4");
  });

  it.each(vmsOf("rocky"))("%s network-config renders with cloud-init's own network renderer", (_label, vm, t) => {
    const result = cloudInitNetConvert(renderRockyNetworkConfig(vm, t));
    expect(result.status).toBe(0);
    const primary = result.files["ifcfg-nic0"];
    expect(primary).toContain(`HWADDR=${vm.nics[0].mac}`);
    expect(primary).toContain(`IPADDR=${vm.nics[0].address}`);
    expect(primary).toContain(`GATEWAY=${t.networks.find((n) => n.name === vm.nics[0].network)?.gateway}`);
    for (const nic of vm.nics.slice(1)) expect(result.files[`ifcfg-${nic.iface}`]).not.toContain("GATEWAY");
    // Each NIC is renamed by its MAC, so the names stage 1 reports are the guest's.
    for (const nic of vm.nics) expect(result.files["70-persistent-net.rules"]).toContain(`ATTR{address}=="${nic.mac}", NAME="${nic.iface}"`);
  });

  it("the network renderer is live: it rejects `to: default` as older cloud-init does on Rocky 9", () => {
    const vm = prodVm("postgresql1");
    const old = renderRockyNetworkConfig(vm, stacks.prod).replace("to: 0.0.0.0/0", "to: default");
    expect(cloudInitNetConvert(old).status).not.toBe(0);
  });

  it("meta-data names the instance after the config, so a new config is a new instance", () => {
    const vm = prodVm("bastion1");
    const a = parse(renderRockyMetaData(vm, "aaaaaaaaaa"));
    const b = parse(renderRockyMetaData(vm, "bbbbbbbbbb"));
    expect(a["local-hostname"]).toBe("bastion1");
    expect(a["instance-id"]).toMatch(/^bastion1-[0-9a-f]{10}$/);
    expect(a["instance-id"]).not.toBe(b["instance-id"]);
  });

  it("merges role fragments after the base and refuses two writers of one file", () => {
    const vm = prodVm("freeipa1");
    const fragment = { packages: ["ipa-server"], steps: [{ name: "role", command: ["/usr/local/sbin/role"] }], write_files: [{ path: "/etc/x", content: "x" }] };
    const doc = parse(renderRockyUserData(vm, stacks.prod, [fragment]));
    expect(doc.packages).toEqual(["qemu-guest-agent", "chrony", "ipa-server"]);
    const steps = (doc.write_files as { path: string; content: string }[]).find((f) => f.path === "/etc/flatcarmicrocloud/first-boot-steps")?.content ?? "";
    expect(steps.split("\n").filter((l) => l && !l.startsWith("#"))).toEqual(["guest-agent systemctl enable --now qemu-guest-agent.service", "chrony-enable systemctl enable chronyd.service", "chrony systemctl restart chronyd.service", "role /usr/local/sbin/role"]);
    expect(() => renderRockyUserData(vm, stacks.prod, [fragment, { steps: [{ name: "role", command: ["/bin/true"] }] }])).toThrow("two first-boot steps are named role");
    expect(() => renderRockyUserData(vm, stacks.prod, [fragment, { write_files: [{ path: "/etc/x", content: "y" }] }])).toThrow(
      "two fragments write /etc/x",
    );
  });
});
