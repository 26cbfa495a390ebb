/**
 * The guest roles' rendered first-boot documents, checked with the real validators (cloud-init
 * schema, shellcheck) and read back for the content each role promises.
 */
import { readFileSync } from "fs";
import * as path from "path";
import { parse } from "yaml";
import { Topology } from "../config/topology";
import { RoleSettings } from "../config/roles";
import { CloudConfig } from "../infra/cloudinit";
import { BASTION_FILES, renderWireguardClientConfig } from "../infra/roles/bastion";
import { dnsRecords, FREEIPA_FILES, ptrName, reverseZone } from "../infra/roles/freeipa";
import { LOADBALANCER_FILES, renderHaproxyConfig } from "../infra/roles/loadbalancer";
import { BACKUP_UNIT, POSTGRESQL_BACKUP_DIR, POSTGRESQL_FILES, renderPostgresqlAppRoleScript } from "../infra/roles/postgresql";
import { loadScript } from "../infra/roles/shell";
import { sshRouteFor } from "../infra/nodes";
import { checkWith, cloudConfig, cloudInitSchema, fileContent, hasCommand, PEER_KEY, PEER_KEY_2, prodSettings, prodTopology, shellcheck, userData, vm } from "./roles.helpers";

const topology: Topology = prodTopology();
const settings: RoleSettings = prodSettings(topology);
const ROLE_VMS = ["bastion1", "loadbalancer1", "freeipa1", "postgresql1"];
const TOP_LEVEL_KEYS = [
  "hostname", "fqdn", "prefer_fqdn_over_hostname", "manage_etc_hosts", "users", "disable_root", "ssh_pwauth", "ntp",
  "timezone", "package_update", "packages", "write_files", "runcmd", "yum_repos", "final_message",
];

function firewallOf(config: CloudConfig): string {
  return fileContent(config, "/usr/local/sbin/fmc-firewall");
}

describe.each(ROLE_VMS)("%s user-data", (name) => {
  const target = vm(topology, name);
  const config = cloudConfig(target, topology, settings);

  test("passes cloud-init schema and uses only known top-level keys", () => {
    expect(cloudInitSchema(userData(target, topology, settings))).toMatch(/Valid cloud-config/);
    for (const key of Object.keys(config)) expect(TOP_LEVEL_KEYS).toContain(key);
  });

  test("every shell file passes shellcheck", () => {
    const shellFiles = (config.write_files ?? []).filter((f) => f.content.startsWith("#!/bin/bash") || f.path.endsWith(".env"));
    expect(shellFiles.length).toBeGreaterThanOrEqual(2);
    for (const file of shellFiles) expect({ path: file.path, findings: shellcheck(file.content) }).toEqual({ path: file.path, findings: "" });
  });

  test("runs the firewall first, then the role script, each a file it writes, as fmc-first-boot steps", () => {
    expect(config.runcmd).toEqual([["/usr/local/sbin/fmc-first-boot"]]);
    const commands = fileContent(config, "/etc/flatcarmicrocloud/first-boot-steps")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.split(" ").slice(1).join(" "));
    const firewall = commands.indexOf("/usr/local/sbin/fmc-firewall");
    const setup = commands.indexOf(`/usr/local/sbin/fmc-${target.role}-setup`);
    expect(firewall).toBeGreaterThanOrEqual(0);
    const scripts = (config.write_files ?? []).filter((f) => f.permissions === "0755");
    if (target.role === "freeipa") {
      // Its setup needs the passwords: it runs after boot (the install command), never in first boot.
      expect(setup).toBe(-1);
      expect(scripts.map((s) => s.path)).toContain(commands[firewall]);
    } else {
      expect(setup).toBeGreaterThan(firewall);
      expect(scripts.map((s) => s.path)).toEqual(expect.arrayContaining([commands[firewall], commands[setup]]));
    }
    for (const s of scripts) expect(s.content).not.toMatch(/set -x|xtrace/);
  });

  test("carries no secret file: the cloud-init disk is world-readable on the host (provider 0.8.3 mode 0644)", () => {
    expect((config.write_files ?? []).map((f) => f.path).filter((p) => p.includes("secret"))).toEqual([]);
  });
});

describe("bastion", () => {
  const bastion = vm(topology, "bastion1");
  const config = cloudConfig(bastion, topology, settings);

  test("sshd: keys only, no root, forwarding for the jump host", () => {
    const sshd = fileContent(config, BASTION_FILES.sshd);
    for (const line of ["PermitRootLogin no", "PasswordAuthentication no", "KbdInteractiveAuthentication no", "AllowTcpForwarding yes"]) {
      expect(sshd.split("\n")).toContain(line);
    }
    expect(fileContent(config, BASTION_FILES.setup)).toMatch(/sshd -t\nsystemctl reload sshd/);
  });

  test("fail2ban from EPEL guards sshd", () => {
    expect(config.packages).toEqual(expect.arrayContaining(["epel-release", "wireguard-tools", "firewalld"]));
    const jail = fileContent(config, BASTION_FILES.fail2ban);
    expect(jail).toMatch(/^\[sshd\]\nenabled = true$/m);
    expect(jail).toMatch(/ignoreip = .*10\.17\.3\.1 10\.17\.4\.1/);
    expect(fileContent(config, BASTION_FILES.setup)).toMatch(/dnf -y install fail2ban-server fail2ban-firewalld/);
  });

  test("firewall: only SSH and the VPN port, VPN clients forwarded to the VM networks", () => {
    const fw = firewallOf(config);
    expect(fw).toMatch(/^services=\('ssh'\)$/m);
    expect(fw).toMatch(/^ports=\('51820\/udp'\)$/m);
    expect(fw).toContain("fw --zone=internal --add-source='10.17.99.0/24'");
    expect(fw).toContain("fw --policy=vpn-to-vms --add-masquerade");
    expect(fw).toContain(`fw --policy=vpn-to-vms --add-rich-rule='rule family="ipv4" destination address="10.17.3.0/24" accept'`);
    expect(fw).toContain(`fw --policy=vpn-to-vms --add-rich-rule='rule family="ipv4" destination address="10.17.4.0/24" accept'`);
    expect(fw).not.toContain("192.168.0.0/24");
    expect(fileContent(config, BASTION_FILES.forwarding)).toContain("net.ipv4.ip_forward = 1");
  });

  test("WireGuard: key generated once on the VM, no private key and no peer in user-data", () => {
    const iface = fileContent(config, BASTION_FILES.wireguardInterface);
    expect(iface).toMatch(/^\[Interface\]\nAddress = 10\.17\.99\.1\/24\nListenPort = 51820\n$/m);
    expect(iface).not.toMatch(/PrivateKey|PostUp|\[Peer\]/);
    // wg0.conf is assembled on the VM (it holds the key); the peers come after first boot.
    expect((config.write_files ?? []).map((f) => f.path)).not.toContain(BASTION_FILES.wireguard);
    expect(userData(bastion, topology, settings)).not.toContain(PEER_KEY);
    expect(userData(bastion, topology, settings)).not.toMatch(/\[Peer\]|laptop/);
    const setup = fileContent(config, BASTION_FILES.setup);
    expect(setup).toContain('if [ ! -s "$key_file" ]; then');
    expect(setup).toContain(`{ cat "$iface_file"; sed 's/^/PrivateKey = /' "$key_file"; if [ -s "$peers_file" ]; then echo; cat "$peers_file"; fi; } >"$conf_new"`);
    for (const file of ["wireguard", "wireguardInterface", "wireguardPeers", "wireguardPrivateKey"] as const) {
      expect(setup).toContain(`="$dir/${BASTION_FILES[file].replace("/etc/wireguard/", "")}"`);
    }
    expect(setup).toContain("dir=/etc/wireguard\n");
    expect(setup).toContain("systemctl enable wg-quick@wg0");
  });

  test("the peer list is not first-boot data: with other peers, or none, the user-data is the same", () => {
    const others = prodSettings(topology, {
      wireguardPeers: [
        { name: "laptop", publicKey: PEER_KEY, allowedIps: ["10.17.99.2"] },
        { name: "phone", publicKey: PEER_KEY_2, allowedIps: ["10.17.99.3"] },
      ],
    });
    const none = prodSettings(topology, { wireguardPeers: [] });
    expect(userData(bastion, topology, others)).toBe(userData(bastion, topology, settings));
    expect(userData(bastion, topology, none)).toBe(userData(bastion, topology, settings));
  });

  test("a peer's client config routes the VPN and VM networks through the bastion", () => {
    const client = renderWireguardClientConfig(bastion, topology, settings, settings.wireguard.peers[0], "SERVERKEY=\n");
    expect(client).toContain("Endpoint = 192.168.0.22:51820");
    expect(client).toContain("AllowedIPs = 10.17.99.0/24, 10.17.3.0/24, 10.17.4.0/24");
    expect(client).toContain("DNS = 10.17.3.11, cefaslocalserver.com");
    expect(client).toContain("PublicKey = SERVERKEY=\n");
  });
});

describe("load balancer", () => {
  const lb = vm(topology, "loadbalancer1");
  const config = cloudConfig(lb, topology, settings);
  // The complete config the backends command delivers after first boot (on its stdin).
  const haproxy = renderHaproxyConfig(lb, topology);
  const section = (name: string) => haproxy.split("\n\n").find((s) => s.startsWith(name)) ?? "";

  test("K3s API on the VM networks only, spread over the K3s servers' cluster addresses", () => {
    expect(section("frontend k3s-api")).toBe("frontend k3s-api\n    bind 10.17.3.12:6443\n    bind 10.17.4.12:6443\n    timeout client 1h\n    default_backend k3s-api");
    expect(section("backend k3s-api")).toMatch(/server bootstrap1 10\.17\.4\.14:6443 check check-ssl verify none\n    server master1 10\.17\.4\.21:6443 check check-ssl verify none$/);
  });

  test("HTTP and HTTPS on every address (the public 192.168.0.21 too), MQTT (plain text) on the VM networks only, to the agents' NodePorts", () => {
    for (const [name, port, nodePort] of [["http", 80, 30080], ["https", 443, 30443], ["mqtt", 1883, 31883]] as const) {
      const front = section(`frontend ingress-${name}`);
      const binds = name === "mqtt" ? ["10.17.3.12", "10.17.4.12"] : ["10.17.3.12", "192.168.0.21", "10.17.4.12"];
      expect(front.match(/bind \S+/g)).toEqual(binds.map((address) => `bind ${address}:${port}`));
      const back = section(`backend ingress-${name}`);
      expect(back.match(/server \S+ \S+ check/g)).toEqual([
        `server worker1 10.17.4.24:${nodePort} check`,
        `server worker2 10.17.4.25:${nodePort} check`,
        `server worker3 10.17.4.26:${nodePort} check`,
      ]);
    }
    expect(haproxy).toContain("default-server inter 5s fall 3 rise 2");
  });

  test("firewall: web for everyone; SSH, the API and MQTT only from the VM networks", () => {
    const fw = firewallOf(config);
    expect(fw).toMatch(/^services=\('http' 'https'\)$/m);
    expect(fw).not.toMatch(/^ports=.*1883/m);
    for (const net of ["10.17.3.0/24", "10.17.4.0/24"]) {
      expect(fw).toContain(`rule family="ipv4" source address="${net}" service name="ssh" accept`);
      expect(fw).toContain(`rule family="ipv4" source address="${net}" port port="6443" protocol="tcp" accept`);
      expect(fw).toContain(`rule family="ipv4" source address="${net}" port port="1883" protocol="tcp" accept`);
    }
    expect(fw).not.toContain("192.168.0.0/24");
  });

  // .ci/run installs haproxy, so CI always runs this; elsewhere it runs where haproxy is installed.
  (hasCommand("haproxy") || process.env.CI ? test : test.skip)("haproxy -c accepts the rendered config", () => {
    expect(checkWith("haproxy", ["-c", "-q", "-f"], haproxy)).toBe("");
  });

  test("first boot installs HAProxy and sets the SELinux boolean, but carries no backend (no other VM)", () => {
    const setup = fileContent(config, LOADBALANCER_FILES.setup);
    expect(config.packages).toContain("haproxy");
    expect(setup).toContain("setsebool -P haproxy_connect_any 1");
    expect((config.write_files ?? []).map((f) => f.path)).not.toContain(LOADBALANCER_FILES.haproxy);
    const firstBoot = userData(lb, topology, settings);
    // The service VMs' addresses may appear (FreeIPA is the NTP server); the K3s nodes, which come and go, must not.
    for (const other of topology.vms.filter((v) => v.os === "flatcar")) {
      expect(firstBoot).not.toContain(other.name);
      for (const nic of other.nics) expect(firstBoot).not.toContain(nic.address);
    }
  });
});

describe("FreeIPA", () => {
  const config = cloudConfig(vm(topology, "freeipa1"), topology, settings);
  const env = fileContent(config, FREEIPA_FILES.env);
  // The setup runs after boot, brought by the install command (renderFreeipaInstallScript).
  const setup = loadScript("freeipa-setup.sh");

  test("reverse zones and PTR names", () => {
    expect(reverseZone("10.17.3.0/24")).toBe("3.17.10.in-addr.arpa.");
    expect(reverseZone("10.16.0.0/12")).toBe("10.in-addr.arpa.");
    expect(ptrName("10.17.3.11", "10.17.3.0/24")).toBe("11");
    expect(ptrName("10.17.3.11", "10.17.0.0/16")).toBe("11.3");
  });

  test("unattended install with integrated DNS, realm from the domain, only when not installed", () => {
    expect(config.packages).toEqual(expect.arrayContaining(["ipa-server", "ipa-server-dns", "chrony", "firewalld"]));
    expect(env).toContain("IPA_DOMAIN='cefaslocalserver.com'");
    expect(env).toContain("IPA_REALM='CEFASLOCALSERVER.COM'");
    expect(env).toContain("IPA_HOSTNAME='freeipa1.cefaslocalserver.com'");
    expect(env).toContain("IPA_ADDRESSES=('10.17.3.11' '10.17.4.11')");
    expect(env).toContain("IPA_OWN_REVERSE_ZONES=('3.17.10.in-addr.arpa.' '4.17.10.in-addr.arpa.')");
    expect(setup).toContain("if [ ! -f /etc/ipa/default.conf ]; then");
    for (const flag of ["--unattended", "--setup-dns", "--auto-forwarders", "--realm=", "--ip-address=", "--reverse-zone="]) expect(setup).toContain(flag);
  });

  test("A records for every address of every VM, PTR for the VM networks (the records command's list)", () => {
    const records = dnsRecords(topology);
    for (const v of topology.vms) for (const nic of v.nics) expect(records.a).toContainEqual({ name: v.name, address: nic.address });
    expect(records.ptr).toContainEqual({ zone: "4.17.10.in-addr.arpa.", name: "24", target: "worker1.cefaslocalserver.com." });
    expect(records.ptr).toContainEqual({ zone: "3.17.10.in-addr.arpa.", name: "14", target: "bootstrap1.cefaslocalserver.com." });
    expect(records.ptr.map((r) => r.zone)).not.toContain("168.192.in-addr.arpa.");
    expect(records.reverseZones).toEqual(["3.17.10.in-addr.arpa.", "4.17.10.in-addr.arpa."]);
    // The platform's ingress names (ports.ts) resolve to the load balancer on each of its networks.
    for (const host of ["grafana", "traefik", "ceph"]) {
      for (const address of ["10.17.3.12", "192.168.0.21", "10.17.4.12"]) expect(records.a).toContainEqual({ name: host, address });
    }
  });

  test("first boot carries no record of another VM: only the server's own names and zones", () => {
    expect(env).not.toMatch(/IPA_A_RECORDS|IPA_PTR_RECORDS|IPA_REVERSE_ZONES=/);
    expect(setup).not.toMatch(/dnsrecord-add/);
    const firstBoot = userData(vm(topology, "freeipa1"), topology, settings);
    for (const other of topology.vms.filter((v) => v.os === "flatcar")) {
      expect(firstBoot).not.toContain(other.name);
      for (const nic of other.nics) expect(firstBoot).not.toContain(nic.address);
    }
  });

  test("admin's password never expires (the records command logs in with it on every run)", () => {
    expect(setup).toContain('kinit admin <"$admin_password_file"');
    expect(setup).toContain("ipa user-mod admin --password-expiration=20371231000000Z");
    // Only on the run that installed the server.
    expect(setup).toMatch(/installed_now=true\nfi/);
    expect(setup).toContain('if [ "$installed_now" = true ]; then');
  });

  test("the passwords reach the installer from root-only files on /run, never on a command line, and are removed", () => {
    expect(setup).toContain("secrets=/run/flatcarmicrocloud");
    expect(setup).toContain(`trap 'rm -f "$admin_password_file" "$dm_password_file"' EXIT`);
    // The installer runs inside python from its own module; the options come from the files there.
    expect(setup).toContain('python3 -I - "${args[@]}" <<\'PY\'');
    expect(setup).toContain('"--ds-password", secret("freeipa-directory-manager-password")');
    expect(setup).toContain("ipa_server_install.ServerInstall.main(argv)");
    expect(setup).not.toMatch(/--ds-password=|--admin-password=|\$\(cat/);
    expect(setup).not.toMatch(/^\s*ipa-server-install /m);
  });

  test("chrony serves both VM networks; DNS answers each network with its own addresses first", () => {
    const chrony = fileContent(config, FREEIPA_FILES.chrony);
    expect(chrony).toContain("allow 10.17.3.0/24\nallow 10.17.4.0/24");
    expect(setup).toContain("include /etc/chrony.d/*.conf");
    expect(fileContent(config, FREEIPA_FILES.sortlist)).toContain("{ 10.17.4.0/24; { 10.17.4.0/24; }; };");
    const fw = firewallOf(config);
    expect(fw).toMatch(/^services=\('ssh' 'freeipa-4' 'dns' 'ntp'\)$/m);
  });

  test("the FQDN resolves to the VM's addresses, not loopback", () => {
    const hosts = fileContent(config, FREEIPA_FILES.hostsTemplate);
    expect(hosts.startsWith("## template:jinja\n")).toBe(true);
    expect(hosts).toContain("10.17.3.11 {{fqdn}} {{hostname}}");
    expect(hosts).not.toMatch(/127\.0\.0\.1 \{\{fqdn\}\}/);
    expect(parse(fileContent(config, FREEIPA_FILES.keepHostname))).toEqual({ preserve_hostname: true });
  });
});

describe("PostgreSQL", () => {
  const config = cloudConfig(vm(topology, "postgresql1"), topology, settings);
  const setup = fileContent(config, POSTGRESQL_FILES.setup);

  test("PostgreSQL 16 from the module stream, initdb only on an empty data directory", () => {
    expect(fileContent(config, POSTGRESQL_FILES.env)).toContain("PG_MODULE_STREAM='16'");
    expect(setup).toContain('dnf -y module enable "postgresql:$PG_MODULE_STREAM"');
    expect(setup).toContain('[ -s "$pgdata/PG_VERSION" ] || postgresql-setup --initdb');
  });

  test("listens on its addresses; pg_hba allows the node networks with scram-sha-256 only", () => {
    const conf = fileContent(config, POSTGRESQL_FILES.conf);
    expect(conf).toContain("listen_addresses = 'localhost,10.17.3.13,10.17.4.13'");
    // Bound to fixed addresses: after a reboot the server starts only once the network is up.
    expect(fileContent(config, POSTGRESQL_FILES.networkOnline)).toBe("[Unit]\nWants=network-online.target\nAfter=network-online.target\n");
    expect(conf).toContain("password_encryption = 'scram-sha-256'");
    const rules = fileContent(config, POSTGRESQL_FILES.hba)
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("#"))
      .map((l) => l.split(/\s+/));
    expect(rules).toEqual([
      ["local", "all", "all", "peer"],
      ["host", "all", "all", "127.0.0.1/32", "scram-sha-256"],
      ["host", "all", "all", "::1/128", "scram-sha-256"],
      ["host", "all", "all", "10.17.3.0/24", "scram-sha-256"],
      ["host", "all", "all", "10.17.4.0/24", "scram-sha-256"],
    ]);
  });

  test("firewall opens 5432 to the node networks only", () => {
    const fw = firewallOf(config);
    expect(fw).toMatch(/^services=\('ssh'\)$/m);
    expect(fw).toMatch(/^ports=\(\)$/m);
    expect(fw).toContain(`rule family="ipv4" source address="10.17.4.0/24" port port="5432" protocol="tcp" accept`);
    expect(fw).toContain(`rule family="ipv4" source address="10.17.3.0/24" port port="5432" protocol="tcp" accept`);
  });

  test("role and database created idempotently after boot (the app-role command), the password on stdin", () => {
    const sql = loadScript("postgresql-app-role.sql");
    expect(sql).toMatch(/WHERE NOT EXISTS \(SELECT FROM pg_roles WHERE rolname = :'role'\) \\gexec/);
    expect(sql).toMatch(/WHERE NOT EXISTS \(SELECT FROM pg_database WHERE datname = :'db'\) \\gexec/);
    // First boot makes the server, never the role: it has no password to give it.
    expect(setup).not.toMatch(/password_file|psql|\\set password/);
    const command = renderPostgresqlAppRoleScript(vm(topology, "postgresql1"), settings);
    expect(command).toContain("IFS= read -r password");
    expect(command).toContain("CREATE ROLE %I LOGIN");
    expect(command).not.toMatch(/-v password|--set=password|PGPASSWORD/);
    expect(shellcheck(command)).toBe("");
  });

  test("nightly compressed dump by a systemd timer, retention from config", () => {
    const env = fileContent(config, POSTGRESQL_FILES.env);
    expect(env).toContain("PG_BACKUP_RETENTION_DAYS='7'");
    expect(env).toContain("PG_DATABASE='microservices'");
    expect(fileContent(config, POSTGRESQL_FILES.timer)).toContain("OnCalendar=*-*-* 02:30:00");
    expect(fileContent(config, POSTGRESQL_FILES.service)).toContain("ExecStart=/usr/local/sbin/fmc-postgresql-backup");
    const backup = fileContent(config, POSTGRESQL_FILES.backup);
    expect(backup).toContain("pg_dump --format=custom --compress=6");
    expect(backup).toContain('-mtime +"$PG_BACKUP_RETENTION_DAYS" -delete');
    expect(setup).toContain("systemctl enable --now fmc-postgresql-backup.timer");
  });

  test("retention and time follow the config", () => {
    const custom = prodSettings(topology, { postgresBackupRetentionDays: 14, postgresBackupTime: "23:05" });
    const c = cloudConfig(vm(topology, "postgresql1"), topology, custom);
    expect(fileContent(c, POSTGRESQL_FILES.env)).toContain("PG_BACKUP_RETENTION_DAYS='14'");
    expect(fileContent(c, POSTGRESQL_FILES.timer)).toContain("OnCalendar=*-*-* 23:05:00");
  });
});

describe("restore procedure (README)", () => {
  const readme = readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
  const doc = readFileSync(path.join(__dirname, "..", "docs", "guest-roles.md"), "utf8");
  const restore = readme.slice(readme.indexOf("### Restoring PostgreSQL"), readme.indexOf("## Development"));
  const config = cloudConfig(vm(topology, "postgresql1"), topology, settings);

  test("names the script, backup directory and timer the role renders", () => {
    expect(restore).toContain(`sudo ${path.basename(POSTGRESQL_FILES.restore)} ${POSTGRESQL_BACKUP_DIR}/microservices-`);
    expect(restore).toContain(`sudo systemctl start ${BACKUP_UNIT}.service`);
    expect(doc).toContain(`${BACKUP_UNIT}.timer`);
    expect(fileContent(config, POSTGRESQL_FILES.restore)).toContain("pg_restore --clean --if-exists --no-owner");
  });

  test("its SSH command is the route stage 2 uses", () => {
    const route = sshRouteFor(vm(topology, "postgresql1"), topology, settings.sshJumpHost);
    expect(restore).toContain(`ssh -J ${route.proxy?.user}@${route.proxy?.host} ${route.user}@${route.host}`);
  });
});
