/**
 * The scripts GuestRoles.reconcile runs on the load balancer, FreeIPA and the bastion after first
 * boot: rendered from the prod topology, checked with shellcheck, and run for real against stand-ins
 * of the VM's tools (systemctl, ipa, kinit, wg, ...; the real haproxy where installed) in a scratch
 * root, to show they are idempotent, refuse bad input and remove exactly what they added.
 */
import { spawnSync } from "child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { RoleSettings } from "../config/roles";
import { Topology } from "../config/topology";
import { BASTION_FILES, renderWireguardInterface, renderWireguardPeersScript } from "../infra/roles/bastion";
import { renderFreeipaInstallScript, renderFreeipaRecordsScript } from "../infra/roles/freeipa";
import { renderPostgresqlAppRoleScript } from "../infra/roles/postgresql";
import { loadScript } from "../infra/roles/shell";
import { renderHaproxyConfig, renderLoadBalancerBackendsScript } from "../infra/roles/loadbalancer";
import { sudoCommand } from "../infra/roles/reconcile";
import { hasCommand, PEER_KEY, PEER_KEY_2, prodSettings, prodTopology, prodTopologyWith, shellcheck, vm, WORKER4 } from "./roles.helpers";

const prod: Topology = prodTopology();
const grown: Topology = prodTopologyWith({ add: [WORKER4] });
const PASSWORD = "AdminPw0123456789abcdefABCDEFxyz1";

const lbScript = renderLoadBalancerBackendsScript(vm(prod, "loadbalancer1"));
const ipaScript = (t: Topology) => renderFreeipaRecordsScript(vm(t, "freeipa1"), t);
const LAPTOP = { name: "laptop", publicKey: PEER_KEY, allowedIps: ["10.17.99.2"] };
const PHONE = { name: "phone", publicKey: PEER_KEY_2, allowedIps: ["10.17.99.3", "10.17.99.64/27"] };
const peerSettings = (...peers: Record<string, unknown>[]): RoleSettings => prodSettings(prod, { wireguardPeers: peers });
const peersScript = (settings: RoleSettings) => renderWireguardPeersScript(vm(prod, "bastion1"), settings);

describe("rendered scripts", () => {
  test("pass shellcheck", () => {
    expect(shellcheck(lbScript)).toBe("");
    expect(shellcheck(ipaScript(prod))).toBe("");
    expect(shellcheck(peersScript(peerSettings(LAPTOP, PHONE)))).toBe("");
    expect(shellcheck(peersScript(peerSettings()))).toBe("");
  });

  test("start with their settings, wait for first boot and check the VM's identity", () => {
    for (const [script, name] of [[lbScript, "loadbalancer1"], [ipaScript(prod), "freeipa1"], [peersScript(peerSettings(LAPTOP)), "bastion1"]]) {
      expect(script.startsWith("#!/bin/bash\n")).toBe(true);
      expect(script).toContain("set -euo pipefail\n");
      expect(script).toContain(`FMC_VM_NAME='${name}'`);
      expect(script).toContain("cloud-init status --wait");
      expect(script).toMatch(/^wait_for_first_boot$/m);
      expect(script).not.toMatch(/set -x|xtrace/);
      expect(script).not.toMatch(/^# shellcheck shell=bash$/m);
    }
  });

  test("the load balancer's script holds no topology: the config comes on stdin", () => {
    expect(lbScript).not.toMatch(/worker|10\.17\.4\.2/);
    expect(lbScript).toContain('haproxy -c -q -f "$new"');
    expect(lbScript).toContain('if ! cmp -s "$new" "$live"; then');
  });

  test("FreeIPA's script lists the records of every VM, and worker4 once it is in the topology", () => {
    expect(ipaScript(prod)).toContain("'worker3 10.17.4.26'");
    expect(ipaScript(prod)).not.toContain("worker4");
    expect(ipaScript(grown)).toContain("'worker4 10.17.4.27'");
    expect(ipaScript(grown)).toContain("'4.17.10.in-addr.arpa. 27 worker4.cefaslocalserver.com.'");
  });

  test("the bastion's peers script lists every peer in its text (public data), and nothing else of the stack", () => {
    expect(peersScript(peerSettings(LAPTOP))).toMatch(new RegExp(`^WG_PEERS=\\('laptop ${PEER_KEY.replace(/[+/]/g, "\\$&")} 10\\.17\\.99\\.2/32'\\)$`, "m"));
    expect(peersScript(peerSettings(LAPTOP, PHONE))).toContain(`WG_PEERS=('laptop ${PEER_KEY} 10.17.99.2/32' 'phone ${PEER_KEY_2} 10.17.99.3/32,10.17.99.64/27')`);
    expect(peersScript(peerSettings())).toMatch(/^WG_PEERS=\(\)$/m);
    // Only the peer list differs between two peer lists.
    const diff = (a: string, b: string) => a.split("\n").filter((line, i) => line !== b.split("\n")[i]);
    expect(diff(peersScript(peerSettings(LAPTOP)), peersScript(peerSettings(LAPTOP, PHONE)))).toEqual([expect.stringMatching(/^WG_PEERS=/)]);
    const script = peersScript(peerSettings(LAPTOP));
    expect(script).toContain('wg syncconf wg0 <(printf \'%s\\n\' "$stripped")');
    expect(script).not.toMatch(/systemctl (restart|reload)[^\n]*(sshd|fail2ban|firewalld)/);
    for (const file of ["wireguard", "wireguardInterface", "wireguardPeers", "wireguardPrivateKey"] as const) {
      expect(script).toContain(`="$dir/${path.basename(BASTION_FILES[file])}"`);
    }
    expect(script).toContain('dir="$ROOT/etc/wireguard"');
  });

  test("FreeIPA's script reads the password from stdin and passes it to kinit through a pipe only", () => {
    const script = ipaScript(prod);
    expect(script).toContain("IFS= read -r password");
    expect(script).toContain("printf '%s\\n' \"$password\" | kinit admin >/dev/null");
    // The variable is used in exactly those places (never echoed, logged or passed as an argument).
    expect(script.match(/\$password|\$\{password/g)).toHaveLength(2);
  });

  test("docs/guest-roles.md names the commands, the scripts and the state file they keep", () => {
    const doc = readFileSync(path.join(__dirname, "..", "docs", "guest-roles.md"), "utf8");
    const stateFile = /^state="\$ROOT(\S+)"$/m.exec(ipaScript(prod))?.[1];
    expect(stateFile).toBe("/var/lib/flatcarmicrocloud/dns-records");
    for (const text of [
      stateFile as string, "guest-roles-<lb>-backends", "guest-roles-<ipa>-records", "guest-roles-<bastion>-wireguard-peers",
      "freeipa-records.sh", "loadbalancer-backends.sh", "bastion-peers.sh", "wg syncconf", BASTION_FILES.wireguardPeers,
    ]) {
      expect(doc).toContain(text);
    }
  });

  test("the command line runs the script as root with the given name, stdin passing through", () => {
    expect(sudoCommand("echo 'hi'", "fmc-x")).toBe(`sudo -n /bin/bash -c 'echo '\\''hi'\\''' 'fmc-x'`);
  });
});

// ---- running the scripts against stand-ins -----------------------------------------------------

interface Machine {
  dir: string;
  root: string;
  bin: string;
  calls: () => string[];
  run: (script: string, stdin: string) => { status: number | null; stdout: string; stderr: string };
}

function stub(bin: string, name: string, body: string): void {
  const file = path.join(bin, name);
  writeFileSync(file, `#!/bin/bash\necho "${name} $*" >>"$FAKE_CALLS"\n${body}\n`);
  chmodSync(file, 0o755);
}

function machine(hostname: string): Machine {
  const dir = mkdtempSync(path.join(tmpdir(), "fmc-reconcile-"));
  const root = path.join(dir, "root");
  const bin = path.join(dir, "bin");
  mkdirSync(path.join(root, "proc/sys/kernel"), { recursive: true });
  mkdirSync(bin);
  writeFileSync(path.join(root, "proc/sys/kernel/hostname"), `${hostname}\n`);
  // fmc-first-boot's marker: every first-boot step finished.
  mkdirSync(path.join(root, "var/lib/flatcarmicrocloud"), { recursive: true });
  writeFileSync(path.join(root, "var/lib/flatcarmicrocloud/first-boot.done"), "");
  writeFileSync(path.join(dir, "calls"), "");
  stub(bin, "cloud-init", "exit 0");
  stub(bin, "rpm", "exit 0");
  stub(bin, "restorecon", "exit 0");
  // systemctl: one service whose state is a file.
  stub(
    bin,
    "systemctl",
    [
      'case "$1" in',
      '  is-active) [ -f "$FAKE_DIR/active" ] ;;',
      '  reload-or-restart|restart|start) touch "$FAKE_DIR/active" ;;',
      "  *) exit 0 ;;",
      "esac",
    ].join("\n"),
  );
  return {
    dir,
    root,
    bin,
    calls: () => readFileSync(path.join(dir, "calls"), "utf8").split("\n").filter((l) => l !== ""),
    run: (script, stdin) => {
      writeFileSync(path.join(dir, "calls"), "");
      const r = spawnSync("bash", ["-c", script, "test-script"], {
        input: stdin,
        encoding: "utf8",
        env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, FMC_ROOT: root, FAKE_DIR: dir, FAKE_CALLS: path.join(dir, "calls"), TMPDIR: dir },
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

describe("the load balancer's backends script, run", () => {
  let m: Machine;
  const live = () => path.join(m.root, "etc/haproxy/haproxy.cfg");
  const before = renderHaproxyConfig(vm(prod, "loadbalancer1"), prod);
  const after = renderHaproxyConfig(vm(grown, "loadbalancer1"), grown);

  beforeAll(() => {
    m = machine("loadbalancer1");
    // The real haproxy checks the config where it is installed (CI installs it); else a stand-in.
    if (!hasCommand("haproxy")) stub(m.bin, "haproxy", 'grep -q "^frontend " "${@: -1}"');
  });
  afterAll(() => rmSync(m.dir, { recursive: true, force: true }));

  test("installs the config, enables and starts HAProxy", () => {
    const r = m.run(lbScript, before);
    expect(r.stderr).toContain("installed a new");
    expect(r.status).toBe(0);
    expect(readFileSync(live(), "utf8")).toBe(before);
    expect(m.calls()).toEqual(expect.arrayContaining(["systemctl enable --quiet haproxy", "systemctl reload-or-restart haproxy"]));
  });

  test("the same config again changes nothing and reloads nothing", () => {
    const r = m.run(lbScript, before);
    expect(r.status).toBe(0);
    expect(m.calls()).not.toContain("systemctl reload-or-restart haproxy");
  });

  test("a new worker: the new config is installed and HAProxy reloaded", () => {
    const r = m.run(lbScript, after);
    expect(r.status).toBe(0);
    expect(readFileSync(live(), "utf8")).toContain("server worker4 10.17.4.27:30080 check");
    expect(m.calls()).toContain("systemctl reload-or-restart haproxy");
  });

  test("a config that fails the check, or none, leaves the live one serving", () => {
    for (const bad of ["global\n    no-such-keyword 1\n", ""]) {
      const r = m.run(lbScript, bad);
      expect(r.status).not.toBe(0);
      expect(readFileSync(live(), "utf8")).toBe(after);
      expect(m.calls()).not.toContain("systemctl reload-or-restart haproxy");
    }
  });

  test("an error cloud-init reported in first boot is a warning; a first boot that never ends stops it", () => {
    const reported = machine("loadbalancer1");
    const stuck = machine("loadbalancer1");
    try {
      if (!hasCommand("haproxy")) for (const x of [reported, stuck]) stub(x.bin, "haproxy", 'grep -q "^frontend " "${@: -1}"');
      stub(reported.bin, "cloud-init", "exit 1");
      const ok = reported.run(lbScript, before);
      expect(ok.stderr).toContain("warning: cloud-init reported errors in first boot (exit 1");
      expect(ok.status).toBe(0);
      expect(readFileSync(path.join(reported.root, "etc/haproxy/haproxy.cfg"), "utf8")).toBe(before);
      // `timeout` exits 124 when the wait runs out.
      stub(stuck.bin, "cloud-init", "exit 124");
      const r = stuck.run(lbScript, before);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("first boot did not finish within 900s");
      expect(existsSync(path.join(stuck.root, "etc/haproxy/haproxy.cfg"))).toBe(false);
    } finally {
      for (const x of [reported, stuck]) rmSync(x.dir, { recursive: true, force: true });
    }
  });

  test("a first-boot step that failed stops it, naming the step with its log's tail (issue 16 item 6)", () => {
    const failed = machine("loadbalancer1");
    try {
      const state = path.join(failed.root, "var/lib/flatcarmicrocloud");
      rmSync(path.join(state, "first-boot.done"));
      writeFileSync(path.join(state, "first-boot.failed"), "loadbalancer-setup /var/log/flatcarmicrocloud/first-boot-loadbalancer-setup.log 1\n");
      mkdirSync(path.join(failed.root, "var/log/flatcarmicrocloud"), { recursive: true });
      writeFileSync(path.join(failed.root, "var/log/flatcarmicrocloud/first-boot-loadbalancer-setup.log"), "setsebool: SELinux is disabled\n");
      const r = failed.run(lbScript, before);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("first boot failed at step 'loadbalancer-setup' (exit 1)");
      expect(r.stderr).toContain("setsebool: SELinux is disabled");
      expect(existsSync(path.join(failed.root, "etc/haproxy/haproxy.cfg"))).toBe(false);
    } finally {
      rmSync(failed.dir, { recursive: true, force: true });
    }
  });

  test("refuses to touch another machine answering on the address", () => {
    const other = machine("freeipa1");
    try {
      const r = other.run(lbScript, before);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("expected VM loadbalancer1 at this address but found 'freeipa1'");
      expect(existsSync(path.join(other.root, "etc/haproxy/haproxy.cfg"))).toBe(false);
    } finally {
      rmSync(other.dir, { recursive: true, force: true });
    }
  });
});

describe("FreeIPA's records script, run", () => {
  let m: Machine;
  const db = () => path.join(m.dir, "ipa-records");
  const records = () => readFileSync(db(), "utf8").split("\n").filter((l) => l !== "");
  const state = () => readFileSync(path.join(m.root, "var/lib/flatcarmicrocloud/dns-records"), "utf8");
  const HAND_MADE = "cefaslocalserver.com nas arecord 10.17.3.50";

  beforeAll(() => {
    m = machine("freeipa1.cefaslocalserver.com");
    mkdirSync(path.join(m.root, "etc/ipa"), { recursive: true });
    writeFileSync(path.join(m.root, "etc/ipa/default.conf"), "[global]\n");
    // The installer's own zone content, and a record an operator added by hand.
    writeFileSync(db(), `${HAND_MADE}\ncefaslocalserver.com freeipa1 arecord 10.17.3.11\n`);
    writeFileSync(path.join(m.dir, "ipa-zones"), "cefaslocalserver.com\n3.17.10.in-addr.arpa.\n");
    stub(m.bin, "ipactl", "exit 0");
    stub(m.bin, "kdestroy", "exit 0");
    // kinit: the password must arrive on stdin; a ticket is a file in the credential cache.
    stub(m.bin, "kinit", `IFS= read -r pw; [ "$pw" = "${PASSWORD}" ] || exit 1; echo ticket >"\${KRB5CCNAME#FILE:}"`);
    // ipa: zones and records in two files; every call needs the ticket.
    stub(
      m.bin,
      "ipa",
      [
        'db="$FAKE_DIR/ipa-records"; zones="$FAKE_DIR/ipa-zones"',
        'grep -q ticket "${KRB5CCNAME#FILE:}" 2>/dev/null || { echo "no ticket" >&2; exit 1; }',
        'cmd=$1 zone=$2 name=${3:-}',
        'value() { case "$1" in --a-rec=*) echo "arecord ${1#--a-rec=}" ;; --ptr-rec=*) echo "ptrrecord ${1#--ptr-rec=}" ;; *) exit 3 ;; esac; }',
        'case "$cmd" in',
        '  dnszone-show) grep -qxF "$zone" "$zones" ;;',
        '  dnszone-add) echo "$zone" >>"$zones" ;;',
        '  dnsrecord-show)',
        '    grep -q "^$zone $name " "$db" || exit 2',
        '    echo "  idnsname: $name"',
        '    grep "^$zone $name " "$db" | while read -r _ _ attr v; do echo "  $attr: $v"; done ;;',
        '  dnsrecord-add) echo "$zone $name $(value "$4")" >>"$db" ;;',
        '  dnsrecord-del) line="$zone $name $(value "$4")"; grep -vxF "$line" "$db" >"$db.new" || true; mv "$db.new" "$db" ;;',
        "  *) exit 3 ;;",
        "esac",
      ].join("\n"),
    );
  });
  afterAll(() => rmSync(m.dir, { recursive: true, force: true }));

  test("adds the reverse zones and every record, logged in with the password from stdin", () => {
    const r = m.run(ipaScript(prod), `${PASSWORD}\n`);
    expect(r.stderr).toMatch(/records managed, \d+ added, 0 removed/);
    expect(r.status).toBe(0);
    expect(records()).toEqual(
      expect.arrayContaining([
        "cefaslocalserver.com worker3 arecord 10.17.4.26",
        "4.17.10.in-addr.arpa. 26 ptrrecord worker3.cefaslocalserver.com.",
        "cefaslocalserver.com grafana arecord 192.168.0.21",
      ]),
    );
    expect(readFileSync(path.join(m.dir, "ipa-zones"), "utf8")).toContain("4.17.10.in-addr.arpa.");
    // The installer's record was already there: not added twice.
    expect(records().filter((l) => l === "cefaslocalserver.com freeipa1 arecord 10.17.3.11")).toHaveLength(1);
    expect(state()).toContain("cefaslocalserver.com worker3 arecord 10.17.4.26\n");
  });

  test("the password is in no command line and no output", () => {
    const r = m.run(ipaScript(prod), `${PASSWORD}\n`);
    expect(r.status).toBe(0);
    expect(m.calls().join("\n")).not.toContain(PASSWORD);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(m.calls()).toContain("kinit admin");
  });

  test("a second run changes nothing", () => {
    const r = m.run(ipaScript(prod), `${PASSWORD}\n`);
    expect(r.stderr).toMatch(/ 0 added, 0 removed/);
    expect(m.calls().filter((c) => /dnsrecord-(add|del)|dnszone-add/.test(c))).toEqual([]);
  });

  test("a new worker gets its A and PTR records", () => {
    const r = m.run(ipaScript(grown), `${PASSWORD}\n`);
    expect(r.stderr).toMatch(/ 2 added, 0 removed/);
    expect(records()).toEqual(
      expect.arrayContaining(["cefaslocalserver.com worker4 arecord 10.17.4.27", "4.17.10.in-addr.arpa. 27 ptrrecord worker4.cefaslocalserver.com."]),
    );
  });

  test("a removed worker loses the records the script added; a hand-made record stays", () => {
    const r = m.run(ipaScript(prod), `${PASSWORD}\n`);
    expect(r.stderr).toMatch(/ 0 added, 2 removed/);
    expect(records().join("\n")).not.toContain("worker4");
    expect(records()).toContain(HAND_MADE);
    expect(state()).not.toContain("worker4");
    const fewer = prodTopologyWith({ remove: ["worker3"] });
    expect(m.run(ipaScript(fewer), `${PASSWORD}\n`).stderr).toMatch(/ 0 added, 2 removed/);
    expect(records().join("\n")).not.toContain("worker3");
  });

  test("no password or a wrong one: nothing changes", () => {
    const recordsBefore = records();
    for (const input of ["", "wrong\n"]) {
      const r = m.run(ipaScript(grown), input);
      expect(r.status).not.toBe(0);
      expect(records()).toEqual(recordsBefore);
    }
  });

  test("waits for first boot: a VM whose IPA install failed is reported, not changed", () => {
    const other = machine("freeipa1");
    try {
      const r = other.run(ipaScript(prod), `${PASSWORD}\n`);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("FreeIPA is not installed");
    } finally {
      rmSync(other.dir, { recursive: true, force: true });
    }
  });
});

describe("the bastion's peers script, run", () => {
  let m: Machine;
  const SERVER_KEY = "SERVERprivateKEY0123456789abcdefghijklmnoQ=";
  const wgDir = () => path.join(m.root, "etc/wireguard");
  const file = (name: string) => readFileSync(path.join(wgDir(), name), "utf8");
  // The live interface's peers (what `wg show wg0 peers` prints), kept by the wg stand-in.
  const livePeers = () => readFileSync(path.join(m.dir, "wg-live"), "utf8").split("\n").filter((l) => l.startsWith("PublicKey")).map((l) => l.split(" = ")[1]);
  const iface = renderWireguardInterface(prodSettings(prod));
  const syncs = () => m.calls().filter((c) => c.startsWith("wg syncconf"));

  beforeAll(() => {
    m = machine("bastion1");
    // What first boot left: the interface part, the key, and wg0.conf without peers, wg0 up.
    mkdirSync(wgDir(), { recursive: true });
    writeFileSync(path.join(wgDir(), "wg0.interface"), iface);
    writeFileSync(path.join(wgDir(), "server.key"), `${SERVER_KEY}\n`);
    writeFileSync(path.join(wgDir(), "wg0.conf"), `${iface}PrivateKey = ${SERVER_KEY}\n`);
    writeFileSync(path.join(m.dir, "wg-live"), `[Interface]\nListenPort = 51820\nPrivateKey = ${SERVER_KEY}\n`);
    // wg-quick strip: drop what only wg-quick knows (comments, Address).
    stub(m.bin, "wg-quick", '[ "$1" = strip ] || exit 3; grep -vE "^(#|Address)" "$2"');
    // wg: the live config is a file; syncconf replaces it (as the real one does, a config without
    // PrivateKey would clear the key: the stand-in refuses it).
    stub(
      m.bin,
      "wg",
      [
        'live="$FAKE_DIR/wg-live"',
        'case "$1 ${3:-}" in',
        '  "show ") [ -f "$live" ] ;;',
        '  "show peers") [ -f "$live" ] && { grep "^PublicKey" "$live" | sed "s/^PublicKey = //"; true; } ;;',
        '  "syncconf "*) [ -f "$live" ] || exit 1; cat "$3" >"$live.new"; grep -q "^PrivateKey = " "$live.new" || exit 4; mv "$live.new" "$live" ;;',
        "  *) exit 3 ;;",
        "esac",
      ].join("\n"),
    );
    // systemctl: starting wg-quick@wg0 brings the whole wg0.conf up.
    stub(m.bin, "systemctl", 'case "$1" in restart) grep -vE "^(#|Address)" "$FMC_ROOT/etc/wireguard/wg0.conf" >"$FAKE_DIR/wg-live" ;; *) exit 0 ;; esac');
  });
  afterAll(() => rmSync(m.dir, { recursive: true, force: true }));

  test("writes the peers and wg0.conf (interface, key, peers) and adds them to the live wg0", () => {
    const r = m.run(peersScript(peerSettings(LAPTOP)), "");
    expect(r.stderr).toContain("wrote");
    expect(r.status).toBe(0);
    expect(file("wg0.peers")).toBe(`[Peer]\n# laptop\nPublicKey = ${PEER_KEY}\nAllowedIPs = 10.17.99.2/32\n`);
    expect(file("wg0.conf")).toBe(`${iface}PrivateKey = ${SERVER_KEY}\n\n${file("wg0.peers")}`);
    expect(livePeers()).toEqual([PEER_KEY]);
    // Applied in place (never a restart, which would drop every session); the key only in files.
    expect(syncs()).toEqual([expect.stringMatching(/^wg syncconf wg0 \/dev\/fd\/\d+$/)]);
    expect(m.calls()).not.toContain("systemctl restart wg-quick@wg0");
    expect(m.calls().join("\n") + r.stdout + r.stderr).not.toContain(SERVER_KEY);
  });

  test("the same list again writes nothing", () => {
    const conf = file("wg0.conf");
    const r = m.run(peersScript(peerSettings(LAPTOP)), "");
    expect(r.status).toBe(0);
    expect(r.stderr).not.toContain("wrote");
    expect(r.stderr).toContain("wg0 has 1 peer(s)");
    expect(file("wg0.conf")).toBe(conf);
  });

  test("a new peer is added; the existing one stays as it was", () => {
    const r = m.run(peersScript(peerSettings(LAPTOP, PHONE)), "");
    expect(r.status).toBe(0);
    expect(file("wg0.conf")).toContain(`[Peer]\n# laptop\nPublicKey = ${PEER_KEY}\nAllowedIPs = 10.17.99.2/32\n\n[Peer]\n# phone\nPublicKey = ${PEER_KEY_2}\nAllowedIPs = 10.17.99.3/32, 10.17.99.64/27\n`);
    expect(livePeers()).toEqual([PEER_KEY, PEER_KEY_2]);
    expect(m.calls()).not.toContain("systemctl restart wg-quick@wg0");
  });

  test("a peer no longer listed is removed from the files and the live interface", () => {
    const r = m.run(peersScript(peerSettings(PHONE)), "");
    expect(r.status).toBe(0);
    expect(file("wg0.conf")).not.toContain(PEER_KEY);
    expect(livePeers()).toEqual([PEER_KEY_2]);
    const none = m.run(peersScript(peerSettings()), "");
    expect(none.stderr).toContain("wg0 has 0 peer(s)");
    expect(file("wg0.conf")).toBe(`${iface}PrivateKey = ${SERVER_KEY}\n`);
    expect(livePeers()).toEqual([]);
  });

  test("a hand change of the live interface is undone by the next run", () => {
    m.run(peersScript(peerSettings(LAPTOP)), "");
    writeFileSync(path.join(m.dir, "wg-live"), `[Interface]\nPrivateKey = ${SERVER_KEY}\n\n[Peer]\nPublicKey = ${PEER_KEY_2}\n`);
    const r = m.run(peersScript(peerSettings(LAPTOP)), "");
    expect(r.status).toBe(0);
    expect(r.stderr).not.toContain("wrote");
    expect(livePeers()).toEqual([PEER_KEY]);
  });

  test("wg0 down: it is started with the whole config", () => {
    rmSync(path.join(m.dir, "wg-live"));
    const r = m.run(peersScript(peerSettings(LAPTOP, PHONE)), "");
    expect(r.status).toBe(0);
    expect(m.calls()).toContain("systemctl restart wg-quick@wg0");
    expect(livePeers()).toEqual([PEER_KEY, PEER_KEY_2]);
  });

  test("a damaged entry changes nothing", () => {
    const conf = file("wg0.conf");
    const bad = peersScript(peerSettings(LAPTOP)).replace(/^WG_PEERS=.*$/m, "WG_PEERS=('laptop not-a-key 10.17.99.2/32')");
    const r = m.run(bad, "");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("bad peer entry");
    expect(file("wg0.conf")).toBe(conf);
    expect(syncs()).toEqual([]);
  });

  test("a bastion whose first boot left no interface part or key is reported, not changed", () => {
    const other = machine("bastion1");
    try {
      const r = other.run(peersScript(peerSettings(LAPTOP)), "");
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("the bastion's first boot failed");
      expect(existsSync(path.join(other.root, "etc/wireguard/wg0.peers"))).toBe(false);
    } finally {
      rmSync(other.dir, { recursive: true, force: true });
    }
  });
});

// Issue 16 item 6: the passwords are no first-boot data; FreeIPA's install and PostgreSQL's role get
// them after boot on stdin.
describe("FreeIPA's install command, run", () => {
  const DM = "DirMgrPw0123456789abcdefABCDEFxy";
  const script = renderFreeipaInstallScript(vm(prod, "freeipa1"));

  test("passes shellcheck, and carries the setup script but no password", () => {
    expect(shellcheck(script)).toBe("");
    expect(script).toContain("ipa_server_install.ServerInstall.main(argv)");
  });

  test("writes the passwords root-only to /run for the setup unit, runs it, removes them; nothing on a command line", () => {
    const m = machine("freeipa1");
    try {
      stub(m.bin, "ipactl", "exit 0");
      // The transient unit: what the setup finds in /run, then an installed server.
      stub(m.bin, "systemd-run", [
        'for f in freeipa-admin-password freeipa-directory-manager-password; do',
        '  stat -c "%a $f" "$FMC_ROOT/run/flatcarmicrocloud/$f" >>"$FAKE_DIR/seen"; cat "$FMC_ROOT/run/flatcarmicrocloud/$f" >>"$FAKE_DIR/seen"',
        "done",
        'mkdir -p "$FMC_ROOT/etc/ipa"; touch "$FMC_ROOT/etc/ipa/default.conf"',
      ].join("\n"));
      mkdirSync(path.join(m.root, "usr/local/sbin"), { recursive: true });
      const r = m.run(script, `${PASSWORD}\n${DM}\n`);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(readFileSync(path.join(m.dir, "seen"), "utf8")).toBe(`600 freeipa-admin-password\n${PASSWORD}\n600 freeipa-directory-manager-password\n${DM}\n`);
      expect(m.calls()).toContain("systemd-run --unit=fmc-freeipa-setup --wait --collect --quiet /usr/local/sbin/fmc-freeipa-setup");
      expect(readFileSync(path.join(m.root, "usr/local/sbin/fmc-freeipa-setup"), "utf8")).toBe(loadScript("freeipa-setup.sh"));
      expect(readdirSync(path.join(m.root, "run/flatcarmicrocloud"))).toEqual([]);
      expect(m.calls().join("\n")).not.toContain(PASSWORD);
      expect(m.calls().join("\n")).not.toContain(DM);
      expect(r.stdout).not.toContain(PASSWORD);
    } finally {
      rmSync(m.dir, { recursive: true, force: true });
    }
  });

  test("a failed setup fails the command with its journal, and leaves no password behind", () => {
    const m = machine("freeipa1");
    try {
      stub(m.bin, "systemd-run", "exit 1");
      stub(m.bin, "journalctl", 'echo "ipa-server-install: DNS zone overlap"');
      mkdirSync(path.join(m.root, "usr/local/sbin"), { recursive: true });
      const r = m.run(script, `${PASSWORD}\n${DM}\n`);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("ipa-server-install: DNS zone overlap");
      expect(r.stderr).toContain("the FreeIPA setup failed (journalctl -u fmc-freeipa-setup.service");
      expect(readdirSync(path.join(m.root, "run/flatcarmicrocloud"))).toEqual([]);
    } finally {
      rmSync(m.dir, { recursive: true, force: true });
    }
  });

  test("refuses stdin without both passwords", () => {
    const m = machine("freeipa1");
    try {
      const r = m.run(script, `${PASSWORD}\n`);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("stdin must hold the admin and the Directory Manager password");
      expect(m.calls().some((c) => c.startsWith("systemd-run"))).toBe(false);
    } finally {
      rmSync(m.dir, { recursive: true, force: true });
    }
  });
});

describe("PostgreSQL's app-role command, run", () => {
  const PG = "PgAppPw0123456789abcdefABCDEFxyz9";
  const script = renderPostgresqlAppRoleScript(vm(prod, "postgresql1"), prodSettings(prod));

  test("hands psql the password and the role SQL on stdin, never on a command line", () => {
    const m = machine("postgresql1");
    try {
      stub(m.bin, "runuser", 'case " $* " in *" pg_isready "*) exit 0 ;; *" psql "*) cat >"$FAKE_DIR/psql-stdin" ;; esac');
      const r = m.run(script, `${PG}\n`);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const fed = readFileSync(path.join(m.dir, "psql-stdin"), "utf8");
      expect(fed.startsWith(`\\set password '${PG}'\n`)).toBe(true);
      expect(fed).toContain(loadScript("postgresql-app-role.sql").trim());
      expect(m.calls()).toContain("runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -v role=microservices -v db=microservices -d postgres");
      expect(m.calls().join("\n")).not.toContain(PG);
    } finally {
      rmSync(m.dir, { recursive: true, force: true });
    }
  });

  test("refuses an empty or non-alphanumeric password", () => {
    const m = machine("postgresql1");
    try {
      expect(m.run(script, "\n").status).toBe(1);
      expect(m.run(script, "a'b\n").stderr).toContain("stdin must hold the application role's password");
    } finally {
      rmSync(m.dir, { recursive: true, force: true });
    }
  });
});
