/**
 * Bastion: the only SSH entry from the LAN (keys only, no root), fail2ban on sshd, and the
 * WireGuard VPN endpoint. Its server key is generated on the VM at first boot; only the public key
 * leaves it (read back by GuestRoles.readWireguardPublicKey).
 *
 * The VPN's peers are not first-boot data: they come and go, and a change of the first-boot config
 * replaces the VM (and with it the server key every client has). First boot brings wg0 up with no
 * peer; the peers command (GuestRoles.reconcile, `renderWireguardPeersScript`) delivers them.
 */
import { RoleSettings, WireguardPeer } from "../../config/roles";
import { primaryNic, serviceAddresses, Topology, VmSpec } from "../../config/topology";
import { CloudConfigFragment } from "../cloudinit";
import { renderFirewallScript } from "./firewall";
import { vmNetworksOf } from "./networks";
import { renderReconcileScript } from "./reconcile";
import { configFile, executable, loadScript, SBIN } from "./shell";

export const BASTION_FILES = {
  sshd: "/etc/ssh/sshd_config.d/10-flatcarmicrocloud.conf",
  fail2ban: "/etc/fail2ban/jail.d/10-flatcarmicrocloud-sshd.local",
  /** wg-quick's config, assembled on the VM: the interface part, `PrivateKey`, the peers. */
  wireguard: "/etc/wireguard/wg0.conf",
  /** The interface part of wg0.conf (cloud-init): address and port, no key, no peer. */
  wireguardInterface: "/etc/wireguard/wg0.interface",
  /** The [Peer] sections of wg0.conf, written by the peers command. */
  wireguardPeers: "/etc/wireguard/wg0.peers",
  wireguardPrivateKey: "/etc/wireguard/server.key",
  wireguardPublicKey: "/etc/wireguard/server.pub",
  forwarding: "/etc/sysctl.d/90-flatcarmicrocloud-forwarding.conf",
  setup: `${SBIN}/fmc-bastion-setup`,
  firewall: `${SBIN}/fmc-firewall`,
} as const;

/** Firewalld policy that lets VPN clients through to the VM networks. */
export const VPN_POLICY = "vpn-to-vms";

/**
 * sshd reads the first value of each keyword, and Rocky's sshd_config includes sshd_config.d/*.conf
 * first, in name order: `10-` wins over `50-redhat.conf` and cloud-init's `50-cloud-init.conf`.
 */
export function renderSshdDropIn(): string {
  return [
    "# FlatcarMicroCloud bastion: the only SSH entry from the LAN.",
    "PermitRootLogin no",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PubkeyAuthentication yes",
    "AuthenticationMethods publickey",
    "MaxAuthTries 3",
    "LoginGraceTime 30",
    "X11Forwarding no",
    "# Stage 2 and operators use this VM as a jump host (ssh -J / ProxyJump).",
    "AllowTcpForwarding yes",
    "",
  ].join("\n");
}

/**
 * The sshd jail. EPEL's fail2ban-firewalld already makes firewalld rich rules the ban action. The
 * KVM host's addresses on the VM networks (the NAT gateways) are never banned, so connections from
 * the host over those networks cannot lock a deploy out; connections from the LAN (including the
 * host's own LAN address) are treated like any other client.
 */
export function renderFail2banJail(neverBan: string[]): string {
  return [
    "# FlatcarMicroCloud bastion: ban sources that keep failing SSH authentication.",
    "[sshd]",
    "enabled = true",
    "backend = systemd",
    "maxretry = 5",
    "findtime = 10m",
    "bantime = 1h",
    `ignoreip = ${["127.0.0.1/8", "::1", ...neverBan].join(" ")}`,
    "",
  ].join("\n");
}

/**
 * The interface part of wg0.conf: what the bastion needs about itself, no key and no peer. On the VM
 * wg0.conf is this part, then `PrivateKey = ` and the key generated there, then the peers. The key
 * is in the file (root-only) because `wg syncconf` sets the interface's key from the config it is
 * given: a config without one would clear it.
 */
export function renderWireguardInterface(settings: RoleSettings): string {
  const wg = settings.wireguard;
  return [
    "# FlatcarMicroCloud bastion VPN, the interface part of wg0.conf. fmc-bastion-setup and the peers",
    "# command assemble wg0.conf from it, the server key generated on this VM (it never leaves it)",
    "# and the peers of the stack config (wg0.peers).",
    "[Interface]",
    `Address = ${wg.serverAddress}/${wg.prefix}`,
    `ListenPort = ${wg.port}`,
    "",
  ].join("\n");
}

/** One peer as the peers script reads it: `NAME PUBLIC-KEY ALLOWED-IP,...` (no field has a space). */
export function peerEntry(peer: WireguardPeer): string {
  return `${peer.name} ${peer.publicKey} ${peer.allowedIps.join(",")}`;
}

/**
 * The peers command's script: the complete peer list (public data, so a preview shows its diff) in
 * its text. Written to wg0.peers and wg0.conf only when they differ, applied with `wg syncconf`
 * (peers no longer listed are removed, the others keep their sessions). Same script on every run.
 */
export function renderWireguardPeersScript(bastion: VmSpec, settings: RoleSettings): string {
  return renderReconcileScript({
    vmName: bastion.name,
    purpose: `WireGuard peers of ${bastion.name} (wireguardPeers of the stack config).`,
    body: "bastion-peers.sh",
    vars: { WG_PEERS: settings.wireguard.peers.map(peerEntry) },
  });
}

/**
 * A peer's client config (its private key is the peer's own and is never known here): route the VPN
 * subnet and the VM networks through the bastion, resolve through FreeIPA when there is one.
 */
export function renderWireguardClientConfig(
  bastion: VmSpec,
  topology: Topology,
  settings: RoleSettings,
  peer: WireguardPeer,
  serverPublicKey: string,
): string {
  const vmNetworks = vmNetworksOf(bastion, topology).map((n) => n.cidr);
  const dns = serviceAddresses(topology, "freeipa", bastion);
  return [
    "[Interface]",
    "PrivateKey = <the private key of this peer>",
    `Address = ${peer.allowedIps.join(", ")}`,
    ...(dns.length > 0 ? [`DNS = ${dns[0]}, ${topology.domain}`] : []),
    "",
    "[Peer]",
    `PublicKey = ${serverPublicKey.trim()}`,
    `Endpoint = ${primaryNic(bastion).address}:${settings.wireguard.port}`,
    `AllowedIPs = ${[settings.wireguard.subnet, ...vmNetworks].join(", ")}`,
    "PersistentKeepalive = 25",
    "",
  ].join("\n");
}

export function bastionFragment(vm: VmSpec, topology: Topology, settings: RoleSettings): CloudConfigFragment {
  const vmNetworks = vmNetworksOf(vm, topology);
  const firewall = renderFirewallScript(vm.name, {
    services: ["ssh"],
    ports: [`${settings.wireguard.port}/udp`],
    restricted: [],
    forward: { policy: VPN_POLICY, sources: [settings.wireguard.subnet], destinations: vmNetworks.map((n) => n.cidr) },
  });
  return {
    // EPEL brings fail2ban; the setup script installs it once the repository exists.
    packages: ["firewalld", "wireguard-tools", "epel-release"],
    write_files: [
      configFile(BASTION_FILES.sshd, renderSshdDropIn(), "0600"),
      configFile(BASTION_FILES.fail2ban, renderFail2banJail(vmNetworks.map((n) => n.gateway))),
      // No peers here: they are day-two data (the peers command), so a new peer replaces nothing.
      configFile(BASTION_FILES.wireguardInterface, renderWireguardInterface(settings), "0600"),
      configFile(BASTION_FILES.forwarding, "# VPN clients reach the VM networks through the bastion.\nnet.ipv4.ip_forward = 1\n"),
      executable(BASTION_FILES.firewall, firewall),
      executable(BASTION_FILES.setup, loadScript("bastion-setup.sh")),
    ],
    steps: [
      { name: "firewall", command: [BASTION_FILES.firewall] },
      { name: "bastion-setup", command: [BASTION_FILES.setup] },
    ],
  };
}
