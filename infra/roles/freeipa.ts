/**
 * FreeIPA: identity, DNS and NTP for the topology. First boot: the IPA packages, this VM's own data
 * and its firewall, and no password. After boot (GuestRoles.reconcile): the install command brings
 * the admin and Directory Manager passwords on stdin and runs an unattended ipa-server-install with
 * integrated DNS (realm = the domain upper-cased, this VM's own zones and records) and chrony
 * serving time to the VM networks; then A records for every address of every VM and PTR records in
 * a reverse zone per VM network, so a new VM never changes this VM's first boot.
 */
import { RoleSettings } from "../../config/roles";
import { fqdn, Topology, VmSpec, vmsWithRole } from "../../config/topology";
import { PLATFORM_HOST_NAMES } from "../../ports";
import { CloudConfigFragment } from "../cloudinit";
import { renderFirewallScript } from "./firewall";
import { networkOf, vmNetworksOf } from "./networks";
import { FREEIPA_BOOT_TIMEOUT_SECONDS, renderReconcileScript } from "./reconcile";
import { configFile, executable, loadScript, renderEnvFile, ROLE_ETC, SBIN } from "./shell";

export const FREEIPA_FILES = {
  env: `${ROLE_ETC}/freeipa.env`,
  sortlist: `${ROLE_ETC}/named-sortlist.conf`,
  chrony: "/etc/chrony.d/50-flatcarmicrocloud-serve.conf",
  hostsTemplate: "/etc/cloud/templates/hosts.redhat.tmpl",
  keepHostname: "/etc/cloud/cloud.cfg.d/90-flatcarmicrocloud-freeipa.cfg",
  setup: `${SBIN}/fmc-freeipa-setup`,
  firewall: `${SBIN}/fmc-firewall`,
} as const;

export function realmOf(domain: string): string {
  return domain.toUpperCase();
}

function splitCidr(cidr: string): { octets: string[]; zoneOctets: number } {
  const [address, prefix] = cidr.split("/");
  // Reverse zones are cut on octet boundaries: a /24 is one zone, a /20 lives in its /16 zone.
  return { octets: address.split("."), zoneOctets: Math.max(1, Math.floor(Number(prefix) / 8)) };
}

/** `10.17.3.0/24` -> `3.17.10.in-addr.arpa.` */
export function reverseZone(cidr: string): string {
  const { octets, zoneOctets } = splitCidr(cidr);
  return `${octets.slice(0, zoneOctets).reverse().join(".")}.in-addr.arpa.`;
}

/** Name of `address`'s PTR record inside the reverse zone of `cidr`: `10.17.3.11` -> `11`. */
export function ptrName(address: string, cidr: string): string {
  const { zoneOctets } = splitCidr(cidr);
  return address.split(".").slice(zoneOctets).reverse().join(".");
}

export interface DnsRecords {
  a: { name: string; address: string }[];
  ptr: { zone: string; name: string; target: string }[];
  reverseZones: string[];
}

/**
 * The reverse zones FreeIPA serves: one per VM (NAT) network, in the topology's order, without
 * repeats (networks inside one /16 share a zone). The LAN's belongs to the LAN's own DNS.
 */
export function vmReverseZones(topology: Topology): string[] {
  return [...new Set(topology.networks.filter((n) => n.mode === "nat").map((n) => reverseZone(n.cidr)))];
}

/**
 * Every address of every VM gets an A record; addresses on VM networks get PTR records. The LAN's
 * reverse zone belongs to the LAN's own DNS, so bridge addresses get no PTR here. The names the
 * platform reserves (ports.ts: its own routes' and every opt-in's, on or off), and the apps' route hosts (`appHosts`, fully qualified,
 * under the domain), point at every address of the load balancer, which forwards them to Traefik:
 * clients resolve them, and so does FreeIPA's ACME service when it validates a certificate request.
 */
export function dnsRecords(topology: Topology, appHosts: readonly string[] = []): DnsRecords {
  const records: DnsRecords = { a: [], ptr: [], reverseZones: vmReverseZones(topology) };
  for (const vm of topology.vms) {
    for (const nic of vm.nics) {
      records.a.push({ name: vm.name, address: nic.address });
      const network = networkOf(topology, nic.network);
      if (network.mode !== "nat") continue;
      records.ptr.push({ zone: reverseZone(network.cidr), name: ptrName(nic.address, network.cidr), target: `${fqdn(vm, topology.domain)}.` });
    }
  }
  const suffix = `.${topology.domain}`;
  const appNames = appHosts.filter((h) => h.endsWith(suffix)).map((h) => h.slice(0, -suffix.length));
  const ingressNames = [...new Set([...PLATFORM_HOST_NAMES, ...appNames])];
  for (const lb of vmsWithRole(topology, "loadbalancer")) {
    for (const host of ingressNames) {
      for (const nic of lb.nics) records.a.push({ name: host, address: nic.address });
    }
  }
  return records;
}

/** BIND sortlist: a client on a network gets the addresses on that network first. */
export function renderSortlist(vm: VmSpec, topology: Topology): string {
  const cidrs = vm.nics.map((nic) => networkOf(topology, nic.network).cidr);
  return [
    "// FlatcarMicroCloud: answer each VM network with its own addresses first (NAT networks do not route to each other).",
    "sortlist {",
    ...cidrs.map((cidr) => `    { ${cidr}; { ${cidr}; }; };`),
    "};",
    "",
  ].join("\n");
}

export function renderChronyServe(vm: VmSpec, topology: Topology): string {
  return [
    "# FlatcarMicroCloud: FreeIPA is the NTP server of every VM network.",
    ...vmNetworksOf(vm, topology).map((n) => `allow ${n.cidr}`),
    "# Keep serving (at a low stratum) through an internet outage, so the VMs still agree with each other.",
    "local stratum 10",
    "",
  ].join("\n");
}

/**
 * cloud-init rewrites /etc/hosts from this template on every boot. Its default maps the FQDN to
 * 127.0.0.1, which ipa-server-install refuses; here the FQDN maps to the VM's own addresses.
 */
export function renderHostsTemplate(vm: VmSpec): string {
  return [
    "## template:jinja",
    "# FlatcarMicroCloud FreeIPA: the FQDN resolves to this VM's addresses, never to loopback.",
    ...vm.nics.map((nic) => `${nic.address} {{fqdn}} {{hostname}}`),
    "127.0.0.1 localhost.localdomain localhost",
    "127.0.0.1 localhost4.localdomain4 localhost4",
    "::1 localhost.localdomain localhost",
    "::1 localhost6.localdomain6 localhost6",
    "",
  ].join("\n");
}

/** First-boot data of the IPA server: only about itself (its names, addresses and own reverse zones). */
export function renderFreeipaEnv(vm: VmSpec, topology: Topology): string {
  const own = vmNetworksOf(vm, topology).map((n) => reverseZone(n.cidr));
  return renderEnvFile(`FreeIPA server ${vm.name}`, {
    IPA_DOMAIN: topology.domain,
    IPA_REALM: realmOf(topology.domain),
    IPA_HOSTNAME: fqdn(vm, topology.domain),
    IPA_ADDRESSES: vm.nics.map((n) => n.address),
    IPA_OWN_REVERSE_ZONES: [...new Set(own)],
  });
}

/**
 * The records command's script: waits for first boot and the IPA services, logs in as admin with the
 * password from stdin, adds the missing zones and records of `dnsRecords(topology)` and removes the
 * records it added on an earlier run that are no longer wanted (state file on the VM).
 */
export function renderFreeipaRecordsScript(vm: VmSpec, topology: Topology, appHosts: readonly string[] = []): string {
  const records = dnsRecords(topology, appHosts);
  return renderReconcileScript({
    vmName: vm.name,
    purpose: `DNS records of every VM on ${vm.name}; the admin password is the first line of stdin.`,
    body: "freeipa-records.sh",
    bootTimeoutSeconds: FREEIPA_BOOT_TIMEOUT_SECONDS,
    vars: {
      IPA_DOMAIN: topology.domain,
      IPA_REVERSE_ZONES: records.reverseZones,
      IPA_A_RECORDS: records.a.map((r) => `${r.name} ${r.address}`),
      IPA_PTR_RECORDS: records.ptr.map((r) => `${r.zone} ${r.name} ${r.target}`),
    },
  });
}

/**
 * The install command's script: waits for first boot, takes the admin and Directory Manager
 * passwords from stdin (one per line) into root-only files on /run, installs the setup script
 * (scripts/freeipa-setup.sh) and runs it as a transient systemd unit: ipa-server-install when IPA is
 * not installed yet, the sortlist, chrony serving the VM networks. A re-run on an installed server
 * changes nothing that is right.
 */
export function renderFreeipaInstallScript(vm: VmSpec): string {
  return renderReconcileScript({
    vmName: vm.name,
    purpose: `FreeIPA server install on ${vm.name}; the admin and Directory Manager passwords are the first two lines of stdin.`,
    body: "freeipa-install.sh",
    bootTimeoutSeconds: FREEIPA_BOOT_TIMEOUT_SECONDS,
    vars: { FMC_SETUP_SCRIPT: loadScript("freeipa-setup.sh").replace(/\n$/, "") },
  });
}

/** FreeIPA's ACME directory (Dogtag's ACME responder behind IPA's Apache). */
export function acmeDirectory(freeipaFqdn: string): string {
  return `https://${freeipaFqdn}/acme/directory`;
}

/** How long the ACME command waits for the directory to answer once the service is enabled. */
export const ACME_DIRECTORY_TIMEOUT_SECONDS = 300;

/**
 * The ACME command's script: waits for first boot and the IPA services, enables the ACME service
 * when it is off and prints the CA certificate (/etc/ipa/ca.crt) on stdout.
 */
export function renderFreeipaAcmeScript(vm: VmSpec, topology: Topology): string {
  return renderReconcileScript({
    vmName: vm.name,
    purpose: `ACME service of ${vm.name} (for cert-manager); prints the FreeIPA CA certificate.`,
    body: "freeipa-acme.sh",
    bootTimeoutSeconds: FREEIPA_BOOT_TIMEOUT_SECONDS,
    vars: { IPA_ACME_DIRECTORY: acmeDirectory(fqdn(vm, topology.domain)), IPA_ACME_TIMEOUT_SECONDS: ACME_DIRECTORY_TIMEOUT_SECONDS },
  });
}

export function freeipaFragment(vm: VmSpec, topology: Topology, _settings: RoleSettings): CloudConfigFragment {
  const firewall = renderFirewallScript(vm.name, { services: ["ssh", "freeipa-4", "dns", "ntp"], ports: [], restricted: [] });
  return {
    // RHEL 9 ships IdM as plain AppStream packages (the idm:DL1 module stream was RHEL 8 only).
    packages: ["firewalld", "chrony", "ipa-server", "ipa-server-dns"],
    write_files: [
      configFile(FREEIPA_FILES.env, renderFreeipaEnv(vm, topology)),
      configFile(FREEIPA_FILES.hostsTemplate, renderHostsTemplate(vm)),
      // IPA renames the host to its FQDN; cloud-init must not set the short name back on reboot.
      configFile(FREEIPA_FILES.keepHostname, "# FlatcarMicroCloud: FreeIPA owns the hostname (its FQDN).\npreserve_hostname: true\n"),
      configFile(FREEIPA_FILES.sortlist, renderSortlist(vm, topology)),
      configFile(FREEIPA_FILES.chrony, renderChronyServe(vm, topology)),
      executable(FREEIPA_FILES.firewall, firewall),
    ],
    // The install needs the passwords: it runs after boot (renderFreeipaInstallScript).
    steps: [{ name: "firewall", command: [FREEIPA_FILES.firewall] }],
  };
}
