/**
 * First-boot config of the Flatcar VMs: an Ignition spec 3.3.0 document (Flatcar reads 3.0-3.5;
 * Debian's ignition-validate checks up to 3.3.0). Ignition runs once, on the first boot; stage 1
 * replaces the VM when this document changes.
 */
import { ntpServersFor, Topology, VmSpec } from "../config/topology";
import { guestNics } from "./guest-network";

export const IGNITION_VERSION = "3.3.0";

export interface IgnitionFile {
  path: string;
  mode: number;
  overwrite: boolean;
  contents: { source: string };
}

export interface IgnitionConfig {
  ignition: { version: string };
  passwd: { users: { name: string; sshAuthorizedKeys: string[] }[] };
  storage: {
    files: IgnitionFile[];
    directories: { path: string; mode: number }[];
  };
  systemd: { units: { name: string; enabled?: boolean; mask?: boolean; contents?: string }[] };
}

const FILE_MODE = 0o644;
/** Where first boot puts the NTP servers (host-settings.sh rewrites the same file). */
export const TIMESYNCD_DROP_IN = "/etc/systemd/timesyncd.conf.d/10-flatcarmicrocloud.conf";
const DIR_MODE = 0o755;

function file(path: string, content: string): IgnitionFile {
  return {
    path,
    mode: FILE_MODE,
    overwrite: true,
    contents: { source: `data:,${encodeURIComponent(content)}` },
  };
}

function ini(sections: [string, [string, string][]][]): string {
  return sections.map(([name, entries]) => [`[${name}]`, ...entries.map(([k, v]) => `${k}=${v}`)].join("\n")).join("\n\n") + "\n";
}

/** The Ignition document of one Flatcar VM, as a plain object. */
export function flatcarIgnition(vm: VmSpec, topology: Topology): IgnitionConfig {
  const files: IgnitionFile[] = [file("/etc/hostname", `${vm.name}\n`)];

  for (const nic of guestNics(vm, topology)) {
    // Rename by MAC so the node's interfaces have the names stage 1 reports (nic0, nic1...), then
    // configure them statically; matching on MAC again keeps addressing right even if a rename fails.
    files.push(file(`/etc/systemd/network/10-${nic.iface}.link`, ini([["Match", [["MACAddress", nic.mac]]], ["Link", [["Name", nic.iface]]]])));
    const network: [string, string][] = [["Address", nic.cidrAddress]];
    if (nic.gateway) network.push(["Gateway", nic.gateway]);
    for (const dns of nic.dns) network.push(["DNS", dns]);
    if (nic.dns.length > 0) network.push(["Domains", topology.domain]);
    network.push(["DHCP", "no"], ["LinkLocalAddressing", "no"], ["IPv6AcceptRA", "no"]);
    files.push(file(`/etc/systemd/network/10-${nic.iface}.network`, ini([["Match", [["MACAddress", nic.mac]]], ["Network", network]])));
  }

  // Flatcar's NTP client is systemd-timesyncd; FreeIPA's chrony serves the cluster its time.
  files.push(
    file(TIMESYNCD_DROP_IN, ini([["Time", [["NTP", ntpServersFor(topology, vm).join(" ")]]]])),
  );
  // Updates are still downloaded, but a node never reboots on its own: reboots belong to a
  // drain-aware operator (kured / FLUO), not to locksmithd picking a random moment.
  files.push(file("/etc/flatcar/update.conf", "GROUP=stable\nREBOOT_STRATEGY=off\n"));

  return {
    ignition: { version: IGNITION_VERSION },
    passwd: { users: [{ name: "core", sshAuthorizedKeys: [topology.sshPublicKey] }] },
    storage: {
      files,
      // /usr is read-only on Flatcar: K3s and other binaries go to /opt/bin, which is on core's PATH.
      directories: [{ path: "/opt/bin", mode: DIR_MODE }],
    },
    systemd: {
      units: [
        { name: "systemd-timesyncd.service", enabled: true },
      ],
    },
  };
}

/**
 * The VM's first-boot identity: the document without what every VM shares or what names another
 * VM (the operator's key, the NTP servers, the resolvers and search domain). Those are delivered and
 * rotated after boot (./host-settings.ts); the identity names the Ignition file and the root disk,
 * so only a change of the VM's own config (host name, NICs, ...) makes a new machine.
 */
export function flatcarIgnitionIdentity(vm: VmSpec, topology: Topology): string {
  const doc = flatcarIgnition(vm, topology);
  return JSON.stringify({
    ...doc,
    passwd: { users: doc.passwd.users.map((u) => ({ ...u, sshAuthorizedKeys: [] })) },
    storage: {
      ...doc.storage,
      files: doc.storage.files
        .filter((f) => f.path !== TIMESYNCD_DROP_IN)
        .map((f) => (f.path.endsWith(".network") ? { ...f, contents: { source: withoutResolvers(f.contents.source) } } : f)),
    },
  });
}

function withoutResolvers(source: string): string {
  const text = decodeURIComponent(source.replace(/^data:,/, ""));
  return `data:,${encodeURIComponent(text.split("\n").filter((l) => !/^(DNS|Domains)=/.test(l)).join("\n"))}`;
}

/** The Ignition document as the JSON text the VM receives. */
export function renderFlatcarIgnition(vm: VmSpec, topology: Topology): string {
  if (vm.os !== "flatcar") throw new Error(`renderFlatcarIgnition: ${vm.name} runs ${vm.os}, not flatcar`);
  return JSON.stringify(flatcarIgnition(vm, topology), null, 2) + "\n";
}
