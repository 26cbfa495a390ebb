/**
 * Runs the exact command lines stage 2 sends over SSH, under bash, against a scratch root with stub
 * commands on PATH (curl, systemctl, sudo, sleep, journalctl, the k3s binary and the official
 * installer; curl also plays the Kubernetes API behind the load balancer). The stubs record every call, so each test can say what did and did not happen.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { K3sNodeKind } from "../cluster/k3s-config";
import {
  renderInstallK3s,
  renderRemoveNode,
  renderUninstallK3s,
  renderWaitForApiGateway,
  renderWaitForBoot,
  k3sServiceDropIn,
  FLANNEL_IFACE_HELPER,
  renderFlannelIfaceHelper,
} from "../cluster/scripts";
import { remoteCommand } from "../shell";
import { NodeMirror, nodeStdin, REGISTRY_CA_FILE, renderRegistriesYaml } from "../cluster/registries";

const VERSION = "v1.36.5+k3s1";
const OLD_VERSION = "v1.36.4+k3s1";
const MACHINE_ID = "0123456789abcdef0123456789abcdef";
const CONFIG = "# test\ntoken: t0k3n\nnode-name: bootstrap1\ncluster-init: true\n";
/** The node's cluster address and the name stage 1 gave its NIC. */
const NIC = { nodeIp: "10.17.4.14", expectedIface: "nic1" };
const HELPER = FLANNEL_IFACE_HELPER.slice(1);

function k3sBinary(version: string): string {
  return `#!/bin/bash
echo "k3s $*" >>"$STUB_LOG"
case "$1" in
  --version) echo "k3s version ${version} (0abc1234)"; echo "go version go1.24.9" ;;
  kubectl)
    case "$*" in
      *"--raw=/readyz"*) [ "\${STUB_API_READY:-1}" = 1 ] && echo ok || { echo "connection refused" >&2; exit 1; } ;;
      *"--ignore-not-found"*) [ "\${STUB_NODE_EXISTS:-1}" = 1 ] && echo "node/$4" ;;
      *jsonpath*) [ "\${STUB_NODE_READY:-1}" = 1 ] && printf True || printf False ;;
      *" drain "*) [ "\${STUB_DRAIN_FAILS:-0}" = 1 ] && exit 1 ;;
    esac ;;
esac
exit 0
`;
}

const STUBS: Record<string, string> = {
  curl: `#!/bin/bash
out=""; url=""; format=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift 2 ;;
    -w) format="$2"; shift 2 ;;
    --retry | --connect-timeout | --max-time) shift 2 ;;
    -*) shift ;;
    *) url="$1"; shift ;;
  esac
done
echo "curl $url" >>"$STUB_LOG"
case "$url" in
  */cacerts)
    # A peer K3s server: STUB_PEERS_UP lists the URLs that answer.
    case " \${STUB_PEERS_UP:-} " in *" \${url%/cacerts} "*) exit 0 ;; *) exit 7 ;; esac ;;
  */readyz)
    # The API behind the load balancer: STUB_READYZ lists the status of each call in turn (the
    # last one repeats); 000 is what real curl prints when nothing answers, with a failing exit.
    [ "$format" = "%{http_code}" ] || { echo "unexpected -w $format" >&2; exit 2; }
    read -ra answers <<<"\${STUB_READYZ:-401}"
    n="$(grep -c '/readyz$' "$STUB_LOG")"
    code="\${answers[n - 1]:-\${answers[-1]}}"
    printf '%s' "$code"
    [ "$code" != 000 ] || exit 7
    exit 0 ;;
  https://github.com/k3s-io/k3s/releases/download/*) rel="\${url#https://github.com/k3s-io/k3s/releases/download/}" ;;
  https://raw.githubusercontent.com/k3s-io/k3s/*) rel="\${url#https://raw.githubusercontent.com/k3s-io/k3s/}" ;;
  *) echo "unexpected URL $url" >&2; exit 22 ;;
esac
[ -f "$STUB_RELEASES/$rel" ] || { echo "404 $url" >&2; exit 22; }
cp "$STUB_RELEASES/$rel" "$out"
`,
  systemctl: `#!/bin/bash
echo "systemctl $*" >>"$STUB_LOG"
case "$1" in
  is-active) [ "\${STUB_ACTIVE:-1}" = 1 ] ;;
  is-system-running) echo "\${STUB_SYSTEM_STATE:-running}"; [ "\${STUB_SYSTEM_STATE:-running}" = running ] ;;
esac
`,
  "cloud-init": `#!/bin/bash
echo "cloud-init $*" >>"$STUB_LOG"
exit "\${STUB_CLOUD_INIT_RC:-0}"
`,
  sudo: `#!/bin/bash
echo "sudo $1" >>"$STUB_LOG"
[ "$1" = -n ] && shift
exec "$@"
`,
  sleep: "#!/bin/bash\nexit 0\n",
  // iproute2: STUB_IP_ADDRS holds the node's addresses as "<iface> <address>" pairs, ";"-separated;
  // \`addr show to <address>\` prints the \`-o\` line of the one that matches.
  ip: `#!/bin/bash
echo "ip $*" >>"$STUB_LOG"
want=""; [ "$5" = to ] && want="$6"
IFS=';' read -ra pairs <<<"\${STUB_IP_ADDRS:-nic1 10.17.4.14}"
n=1
for pair in "\${pairs[@]}"; do
  read -r iface address <<<"$pair"
  n=$((n + 1))
  if [ -z "$want" ] || [ "$want" = "$address" ]; then
    printf '%s: %s    inet %s/24 brd 10.17.4.255 scope global %s\\       valid_lft forever preferred_lft forever\n' "$n" "$iface" "$address" "$iface"
  fi
done
`,
  journalctl: `#!/bin/bash\necho "journalctl $*" >>"$STUB_LOG"\n`,
};

/** The official installer, reduced to what the install script relies on: it writes the unit. */
const INSTALLER = `#!/bin/sh
echo "install.sh EXEC=$INSTALL_K3S_EXEC SKIP_DOWNLOAD=$INSTALL_K3S_SKIP_DOWNLOAD SKIP_START=$INSTALL_K3S_SKIP_START SKIP_SELINUX_RPM=$INSTALL_K3S_SKIP_SELINUX_RPM VERSION=$INSTALL_K3S_VERSION" >>"$STUB_LOG"
[ -x "$INSTALL_K3S_BIN_DIR/k3s" ] || exit 1
name=k3s; [ "$INSTALL_K3S_EXEC" = agent ] && name=k3s-agent
mkdir -p "$INSTALL_K3S_SYSTEMD_DIR"
printf '[Service]\\nExecStart=%s/k3s %s\\n' "$INSTALL_K3S_BIN_DIR" "$INSTALL_K3S_EXEC" >"$INSTALL_K3S_SYSTEMD_DIR/$name.service"
touch "$INSTALL_K3S_BIN_DIR/$name-uninstall.sh"; chmod 755 "$INSTALL_K3S_BIN_DIR/$name-uninstall.sh"
`;

function writeExec(path: string, content: string): void {
  writeFileSync(path, content);
  chmodSync(path, 0o755);
}

class Node {
  readonly dir = mkdtempSync(join(tmpdir(), "fmc-k3s-"));
  readonly hostname: string;
  readonly root = join(this.dir, "root");
  readonly log = join(this.dir, "calls.log");
  private readonly stubs = join(this.dir, "stubs");
  private readonly releases = join(this.dir, "releases");

  constructor(hostname = "bootstrap1") {
    this.hostname = hostname;
    for (const d of [this.stubs, join(this.root, "opt/bin"), join(this.root, "proc/sys/kernel"), join(this.root, "etc")]) {
      mkdirSync(d, { recursive: true });
    }
    for (const [name, content] of Object.entries(STUBS)) writeExec(join(this.stubs, name), content);
    writeFileSync(join(this.root, "proc/sys/kernel/hostname"), `${hostname}\n`);
    writeFileSync(join(this.root, "etc/machine-id"), `${MACHINE_ID}\n`);
    writeFileSync(this.log, "");
    this.publish(VERSION);
  }

  /** Puts a release's assets where the curl stub serves them from; `corrupt` breaks the checksum. */
  publish(version: string, corrupt = false): void {
    const dir = join(this.releases, encodeURIComponent(version));
    mkdirSync(dir, { recursive: true });
    const binary = k3sBinary(version);
    writeExec(join(dir, "k3s"), binary);
    const sum = createHash("sha256").update(corrupt ? `${binary}tampered` : binary).digest("hex");
    writeFileSync(join(dir, "sha256sum-amd64.txt"), `${"f".repeat(64)}  k3s-arm64\n${sum}  k3s\n${"e".repeat(64)}  k3s-airgap-images-amd64.tar\n`);
    writeFileSync(join(dir, "install.sh"), INSTALLER);
  }

  /** A node where K3s `version` is installed with `config`, its unit and (unless `dropIn` is false) its drop-in present. */
  installed(version: string, config: string, kind: K3sNodeKind = "init-server", dropIn = true): this {
    writeExec(join(this.root, "opt/bin/k3s"), k3sBinary(version));
    const service = kind === "agent" ? "k3s-agent" : "k3s";
    mkdirSync(join(this.root, `etc/systemd/system/${service}.service.d`), { recursive: true });
    writeFileSync(join(this.root, `etc/systemd/system/${service}.service`), "[Service]\n");
    if (dropIn) {
      writeFileSync(join(this.root, `etc/systemd/system/${service}.service.d/50-flatcarmicrocloud.conf`), `${k3sServiceDropIn()}\n`);
      writeExec(join(this.root, HELPER), renderFlannelIfaceHelper({ nodeName: this.hostname, ...NIC }));
    }
    writeExec(join(this.root, `opt/bin/${service}-uninstall.sh`), `#!/bin/sh\necho "uninstall ${service}" >>"$STUB_LOG"\n`);
    mkdirSync(join(this.root, "etc/rancher/k3s"), { recursive: true });
    writeFileSync(join(this.root, "etc/rancher/k3s/config.yaml"), config, { mode: 0o600 });
    return this;
  }

  /** Runs a command line exactly as remote.Command would hand it to the node's shell. */
  run(commandLine: string, opts: { stdin?: string; env?: Record<string, string> } = {}) {
    writeFileSync(this.log, "");
    const r = spawnSync("bash", ["-c", commandLine], {
      input: opts.stdin ?? "",
      encoding: "utf8",
      env: {
        PATH: `${this.stubs}:${process.env.PATH ?? "/usr/bin:/bin"}`,
        FMC_ROOT: this.root,
        STUB_LOG: this.log,
        STUB_RELEASES: this.releases,
        ...opts.env,
      },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: readFileSync(this.log, "utf8").trim().split("\n").filter(Boolean) };
  }

  file(path: string): string {
    return readFileSync(join(this.root, path), "utf8");
  }

  inode(path: string): number {
    return statSync(join(this.root, path)).ino;
  }
}

/** The first server, K3s running: where membership steps run. */
const server = () => new Node().installed(VERSION, CONFIG);

const install = (
  kind: K3sNodeKind = "init-server",
  version = VERSION,
  nodeName = "bootstrap1",
  readyTimeoutSeconds?: number,
  peerServers: string[] = [],
) => remoteCommand(renderInstallK3s({ nodeName, kind, version, readyTimeoutSeconds, peerServers, ...NIC }), { name: "install-k3s", root: true });

const downloads = (calls: string[]) => calls.filter((c) => c.startsWith("curl "));
const serviceChanges = (calls: string[]) => calls.filter((c) => /^systemctl (restart|start|stop|enable|daemon-reload)/.test(c));

describe("install-k3s: a fresh node", () => {
  const node = new Node();
  const r = node.run(install(), { stdin: CONFIG });

  it("downloads the pinned release, verifies it, installs to /opt/bin and starts K3s", () => {
    expect(r.status).toBe(0);
    expect(downloads(r.calls)).toEqual([
      "curl https://github.com/k3s-io/k3s/releases/download/v1.36.5%2Bk3s1/k3s",
      "curl https://github.com/k3s-io/k3s/releases/download/v1.36.5%2Bk3s1/sha256sum-amd64.txt",
      "curl https://raw.githubusercontent.com/k3s-io/k3s/v1.36.5%2Bk3s1/install.sh",
    ]);
    expect(node.file("opt/bin/k3s")).toBe(k3sBinary(VERSION));
    expect(r.calls).toContain(
      `install.sh EXEC=server SKIP_DOWNLOAD=true SKIP_START=true SKIP_SELINUX_RPM=true VERSION=${VERSION}`,
    );
    expect(serviceChanges(r.calls)).toEqual(["systemctl daemon-reload", "systemctl enable --quiet k3s", "systemctl restart --no-block k3s"]);
    expect(r.stdout.trim()).toBe(`k3s ${VERSION} on bootstrap1: installed ${VERSION}`);
  });

  it("runs as root through non-interactive sudo", () => {
    expect(r.calls[0]).toBe("sudo -n");
  });

  it("writes config.yaml from stdin with mode 0600 and never prints the token", () => {
    expect(node.file("etc/rancher/k3s/config.yaml")).toBe(CONFIG);
    expect(statSync(join(node.root, "etc/rancher/k3s/config.yaml")).mode & 0o777).toBe(0o600);
    expect(r.stdout + r.stderr).not.toContain("t0k3n");
  });

  it("waits until the API reports the node Ready, with the admin kubeconfig on a server", () => {
    expect(r.calls).toContain("k3s kubectl --kubeconfig " + join(node.root, "etc/rancher/k3s/k3s.yaml") + " get --raw=/readyz");
    expect(r.calls.some((c) => c.includes("get node bootstrap1 -o jsonpath="))).toBe(true);
  });
});

describe("install-k3s: idempotence on a node in the desired state", () => {
  const node = new Node().installed(VERSION, CONFIG);
  const configInode = node.inode("etc/rancher/k3s/config.yaml");
  const r = node.run(install(), { stdin: CONFIG });

  it("downloads nothing, writes nothing, restarts nothing", () => {
    expect(r.status).toBe(0);
    expect(downloads(r.calls)).toEqual([]);
    expect(r.calls.filter((c) => c.startsWith("install.sh"))).toEqual([]);
    expect(serviceChanges(r.calls)).toEqual([]);
    expect(node.inode("etc/rancher/k3s/config.yaml")).toBe(configInode);
    expect(r.stdout.trim()).toBe(`k3s ${VERSION} on bootstrap1: unchanged`);
  });

  it("still checks the real state: installed version, service state, readiness", () => {
    expect(r.calls).toEqual(expect.arrayContaining(["k3s --version", "systemctl is-active --quiet k3s"]));
  });

  it("starts (not restarts) a stopped service without downloading", () => {
    const stopped = node.run(install(), { stdin: CONFIG, env: { STUB_ACTIVE: "0" } });
    expect(stopped.status).toBe(0);
    expect(downloads(stopped.calls)).toEqual([]);
    expect(serviceChanges(stopped.calls)).toEqual(["systemctl enable --quiet k3s", "systemctl start --no-block k3s"]);
  });
});

describe("install-k3s: a node that differs", () => {
  it("a node without the OOM drop-in (installed before it existed) gets it and one restart, without a download", () => {
    const node = new Node().installed(VERSION, CONFIG, "init-server", false);
    const r = node.run(install(), { stdin: CONFIG });
    expect(r.status).toBe(0);
    expect(downloads(r.calls)).toEqual([]);
    expect(node.file("etc/systemd/system/k3s.service.d/50-flatcarmicrocloud.conf")).toMatch(
      /^\[Service\]\nOOMScoreAdjust=-999\nExecStartPre=\/opt\/bin\/flatcarmicrocloud-flannel-iface\n$/m,
    );
    expect(node.file(HELPER)).toBe(renderFlannelIfaceHelper({ nodeName: "bootstrap1", ...NIC }));
    expect(statSync(join(node.root, HELPER)).mode & 0o777).toBe(0o755);
    expect(serviceChanges(r.calls)).toEqual(["systemctl daemon-reload", "systemctl enable --quiet k3s", "systemctl restart --no-block k3s"]);
    expect(r.stdout).toContain("reconfigured");
    const again = node.run(install(), { stdin: CONFIG });
    expect(serviceChanges(again.calls)).toEqual([]);
    expect(again.stdout).toContain("unchanged");
  });

  it("a changed config is written and K3s restarted, without a download", () => {
    const node = new Node().installed(VERSION, CONFIG.replace("t0k3n", "old"));
    const r = node.run(install(), { stdin: CONFIG });
    expect(r.status).toBe(0);
    expect(downloads(r.calls)).toEqual([]);
    expect(node.file("etc/rancher/k3s/config.yaml")).toBe(CONFIG);
    expect(serviceChanges(r.calls)).toEqual(["systemctl daemon-reload", "systemctl enable --quiet k3s", "systemctl restart --no-block k3s"]);
    expect(r.stdout).toContain("reconfigured");
  });

  it("another installed version is replaced by the pinned one (the upgrade path), the config left as is", () => {
    const node = new Node().installed(OLD_VERSION, CONFIG);
    const configInode = node.inode("etc/rancher/k3s/config.yaml");
    const r = node.run(install(), { stdin: CONFIG });
    expect(r.status).toBe(0);
    expect(downloads(r.calls)).toHaveLength(3);
    expect(node.file("opt/bin/k3s")).toBe(k3sBinary(VERSION));
    expect(node.inode("etc/rancher/k3s/config.yaml")).toBe(configInode);
    expect(serviceChanges(r.calls)).toContain("systemctl restart --no-block k3s");
  });

  it("a binary whose checksum does not match is not installed and nothing restarts", () => {
    const node = new Node().installed(OLD_VERSION, CONFIG);
    node.publish(VERSION, true);
    const r = node.run(install(), { stdin: CONFIG });
    expect(r.status).not.toBe(0);
    expect(node.file("opt/bin/k3s")).toBe(k3sBinary(OLD_VERSION));
    expect(r.calls.filter((c) => c.startsWith("install.sh"))).toEqual([]);
    expect(serviceChanges(r.calls)).toEqual([]);
  });

  it("fails (after its bounded wait) when the node never becomes Ready, with the service log", () => {
    const node = new Node().installed(VERSION, CONFIG);
    const r = node.run(install("init-server", VERSION, "bootstrap1", 10), { stdin: CONFIG, env: { STUB_NODE_READY: "0" } });
    expect(r.status).not.toBe(0);
    expect(r.calls.filter((c) => c.includes("jsonpath"))).toHaveLength(2);
    expect(r.calls).toContain("journalctl -u k3s -n 40 --no-pager");
  });

  it("refuses to run without a config on stdin", () => {
    const r = new Node().run(install(), { stdin: "" });
    expect(r.status).not.toBe(0);
    expect(downloads(r.calls)).toEqual([]);
  });
});

describe("install-k3s: a node installed with flannel-iface in config.yaml (before the start-time helper)", () => {
  // What a live stack holds: config.yaml naming the NIC, the drop-in with OOMScoreAdjust only.
  const OLD_CONFIG = CONFIG + "node-ip: 10.17.4.14\nflannel-iface: nic1\n";
  const NEW_CONFIG = CONFIG + "node-ip: 10.17.4.14\n";
  const node = new Node().installed(VERSION, OLD_CONFIG, "init-server", false);
  writeFileSync(join(node.root, "etc/systemd/system/k3s.service.d/50-flatcarmicrocloud.conf"), "[Service]\nOOMScoreAdjust=-999\n");
  const r = node.run(install(), { stdin: NEW_CONFIG });
  const again = node.run(install(), { stdin: NEW_CONFIG });

  it("writes the config without the name, the helper and the drop-in that runs it, and restarts K3s once", () => {
    expect(r.status).toBe(0);
    expect(downloads(r.calls)).toEqual([]);
    expect(node.file("etc/rancher/k3s/config.yaml")).toBe(NEW_CONFIG);
    expect(node.file(HELPER)).toBe(renderFlannelIfaceHelper({ nodeName: "bootstrap1", ...NIC }));
    expect(node.file("etc/systemd/system/k3s.service.d/50-flatcarmicrocloud.conf")).toBe(`${k3sServiceDropIn()}\n`);
    expect(serviceChanges(r.calls)).toEqual(["systemctl daemon-reload", "systemctl enable --quiet k3s", "systemctl restart --no-block k3s"]);
  });

  it("the next run changes and restarts nothing", () => {
    expect(again.status).toBe(0);
    expect(serviceChanges(again.calls)).toEqual([]);
    expect(again.stdout.trim()).toBe(`k3s ${VERSION} on bootstrap1: unchanged`);
  });

  it("a helper for another address (the node's cluster address changed) is rewritten, with one restart", () => {
    const moved = node.run(
      remoteCommand(renderInstallK3s({ nodeName: "bootstrap1", kind: "init-server", version: VERSION, nodeIp: "10.17.4.99", expectedIface: "nic1" }), {
        name: "install-k3s",
        root: true,
      }),
      { stdin: NEW_CONFIG },
    );
    expect(moved.status).toBe(0);
    expect(node.file(HELPER)).toContain("NODE_IP='10.17.4.99'");
    expect(serviceChanges(moved.calls)).toContain("systemctl restart --no-block k3s");
  });
});

describe("flannel-iface helper (the K3s service's ExecStartPre)", () => {
  const DROPIN = "etc/rancher/k3s/config.yaml.d/50-flannel-iface.yaml";
  const helper = (attempts?: number) => renderFlannelIfaceHelper({ nodeName: "bootstrap1", ...NIC, attempts });
  const runHelper = (node: Node, env: Record<string, string>, attempts?: number) => {
    writeExec(join(node.dir, "helper.sh"), helper(attempts));
    return node.run(`${join(node.dir, "helper.sh")}`, { env });
  };

  it("names the interface that carries node-ip, when the NIC has its stage 1 name", () => {
    const node = new Node();
    const r = runHelper(node, { STUB_IP_ADDRS: "nic0 10.17.3.14;nic1 10.17.4.14" });
    expect(r.status).toBe(0);
    expect(r.calls).toContain("ip -o -4 addr show to 10.17.4.14");
    expect(node.file(DROPIN)).toMatch(/\nflannel-iface: "nic1"\n$/);
    expect(r.stderr).not.toContain("did not apply");
  });

  it("names the kernel's name when the .link rename did not apply (the NIC was up before udev), and says so", () => {
    const node = new Node();
    const r = runHelper(node, { STUB_IP_ADDRS: "nic0 10.17.3.14;ens4 10.17.4.14" });
    expect(r.status).toBe(0);
    expect(node.file(DROPIN)).toMatch(/\nflannel-iface: "ens4"\n$/);
    expect(r.stderr).toContain("10.17.4.14 is on ens4, not nic1");
    // The next boot renamed it: the drop-in follows.
    const renamed = runHelper(node, { STUB_IP_ADDRS: "nic0 10.17.3.14;nic1 10.17.4.14" });
    expect(renamed.status).toBe(0);
    expect(node.file(DROPIN)).toMatch(/\nflannel-iface: "nic1"\n$/);
  });

  it("leaves an unchanged drop-in alone", () => {
    const node = new Node();
    runHelper(node, {});
    const inode = node.inode(DROPIN);
    expect(runHelper(node, {}).status).toBe(0);
    expect(node.inode(DROPIN)).toBe(inode);
  });

  it("waits (bounded) for the address, then fails the start naming it and listing the addresses", () => {
    const node = new Node();
    const r = runHelper(node, { STUB_IP_ADDRS: "nic0 10.17.3.14" }, 3);
    expect(r.status).not.toBe(0);
    expect(r.calls.filter((c) => c === "ip -o -4 addr show to 10.17.4.14")).toHaveLength(3);
    expect(r.stderr).toContain("no interface carries the node address 10.17.4.14");
    expect(r.calls).toContain("ip -o -4 addr show");
    expect(existsSync(join(node.root, DROPIN))).toBe(false);
  });
});

describe("install-k3s: the init server on a machine without cluster data", () => {
  const PEERS = ["https://10.17.4.21:6443", "https://10.17.4.22:6443"];
  const installInit = () => install("init-server", VERSION, "bootstrap1", undefined, PEERS);

  it("initialises the cluster when no other server runs one (the first deploy)", () => {
    const node = new Node();
    const r = node.run(installInit(), { stdin: CONFIG });
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c.endsWith("/cacerts"))).toEqual(PEERS.map((p) => `curl ${p}/cacerts`));
    expect(node.file("etc/rancher/k3s/config.yaml")).toBe(CONFIG);
  });

  it("joins a server that answers instead of initialising a second, empty cluster (a new root disk)", () => {
    const node = new Node();
    const r = node.run(installInit(), { stdin: CONFIG, env: { STUB_PEERS_UP: PEERS[1] } });
    expect(r.status).toBe(0);
    const written = node.file("etc/rancher/k3s/config.yaml");
    expect(written).toBe(CONFIG.replace("cluster-init: true\n", `server: ${PEERS[1]}\n`));
    expect(written).not.toContain("cluster-init");
    expect(r.stderr).toContain(`the cluster already runs on ${PEERS[1]}`);
  });

  it("once joined, keeps the line it started with: a re-run changes and restarts nothing", () => {
    const joined = CONFIG.replace("cluster-init: true\n", `server: ${PEERS[0]}\n`);
    const node = new Node().installed(VERSION, joined);
    mkdirSync(join(node.root, "var/lib/rancher/k3s/server/db"), { recursive: true });
    const r = node.run(installInit(), { stdin: CONFIG });
    expect(r.status).toBe(0);
    expect(node.file("etc/rancher/k3s/config.yaml")).toBe(joined);
    expect(serviceChanges(r.calls)).toEqual([]);
    expect(r.calls.filter((c) => c.endsWith("/cacerts"))).toEqual([]);
  });

  it("a server that holds the cluster never probes or rewrites its cluster-init line", () => {
    const node = new Node().installed(VERSION, CONFIG);
    mkdirSync(join(node.root, "var/lib/rancher/k3s/server/db"), { recursive: true });
    const r = node.run(installInit(), { stdin: CONFIG, env: { STUB_PEERS_UP: PEERS.join(" ") } });
    expect(r.status).toBe(0);
    expect(node.file("etc/rancher/k3s/config.yaml")).toBe(CONFIG);
    expect(serviceChanges(r.calls)).toEqual([]);
  });
});

describe("install-k3s: an agent", () => {
  it("installs the k3s-agent service and asks the API with the kubelet's own credentials", () => {
    const node = new Node("worker1");
    const r = node.run(install("agent", VERSION, "worker1"), { stdin: CONFIG });
    expect(r.status).toBe(0);
    expect(r.calls.find((c) => c.startsWith("install.sh"))).toContain("EXEC=agent");
    expect(existsSync(join(node.root, "etc/systemd/system/k3s-agent.service"))).toBe(true);
    expect(serviceChanges(r.calls)).toContain("systemctl restart --no-block k3s-agent");
    expect(r.calls).toContain(
      "k3s kubectl --kubeconfig " + join(node.root, "var/lib/rancher/k3s/agent/kubelet.kubeconfig") + " get --raw=/readyz",
    );
    const again = node.run(install("agent", VERSION, "worker1"), { stdin: CONFIG });
    expect(downloads(again.calls)).toEqual([]);
    expect(serviceChanges(again.calls)).toEqual([]);
  });
});

describe("wait-for-boot", () => {
  const cmd = (os = "flatcar", name = "bootstrap1") => remoteCommand(renderWaitForBoot({ name, os }), { name: "wait-for-boot", root: false });

  it("prints only the machine id once boot finished (degraded is accepted)", () => {
    const node = new Node();
    for (const state of ["running", "degraded"]) {
      const r = node.run(cmd(), { env: { STUB_SYSTEM_STATE: state } });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${MACHINE_ID}\n`);
      expect(r.calls).toContain("systemctl is-system-running --wait");
    }
  });

  it("fails when boot ends in maintenance or another machine answers on the address", () => {
    expect(new Node().run(cmd(), { env: { STUB_SYSTEM_STATE: "maintenance" } }).status).not.toBe(0);
    const wrong = new Node("freeipa1").run(cmd());
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain("refusing");
  });

  it("waits for cloud-init on Rocky and tolerates its recoverable-error exit code", () => {
    const node = new Node();
    const ok = node.run(cmd("rocky"), { env: { STUB_CLOUD_INIT_RC: "2" } });
    expect(ok.status).toBe(0);
    expect(ok.calls).toContain("cloud-init status --wait");
    expect(node.run(cmd("rocky"), { env: { STUB_CLOUD_INIT_RC: "1" } }).status).not.toBe(0);
  });
});

describe("uninstall-k3s", () => {
  const cmd = (machineId: string, kind: K3sNodeKind = "agent") =>
    remoteCommand(renderUninstallK3s({ nodeName: "worker1", kind, machineId }), { name: "uninstall-k3s", root: true });

  it("runs the installer's uninstall script on the machine K3s was installed on", () => {
    const node = new Node("worker1").installed(VERSION, CONFIG, "agent");
    const r = node.run(cmd(MACHINE_ID));
    expect(r.status).toBe(0);
    expect(r.calls).toContain("uninstall k3s-agent");
  });

  it("leaves a different machine on the same address alone (a replaced VM)", () => {
    const node = new Node("worker1").installed(VERSION, CONFIG, "agent");
    const r = node.run(cmd("ffffffffffffffffffffffffffffffff"));
    expect(r.status).toBe(0);
    expect(r.calls).not.toContain("uninstall k3s-agent");
  });

  it("succeeds when K3s is already gone", () => {
    expect(new Node("worker1").run(cmd(MACHINE_ID)).status).toBe(0);
  });
});

describe("remove-node (on the first server)", () => {
  const cmd = remoteCommand(renderRemoveNode({ nodeName: "worker3", drainTimeoutSeconds: 120 }), { name: "remove-node", root: true });
  const kubectl = (calls: string[]) => calls.filter((c) => c.startsWith("k3s kubectl")).map((c) => c.replace("k3s kubectl ", ""));

  it("drains the node, then deletes it", () => {
    const r = server().run(cmd);
    expect(r.status).toBe(0);
    expect(kubectl(r.calls)).toEqual([
      "get --raw=/readyz",
      "get node worker3 --ignore-not-found -o name",
      "drain worker3 --ignore-daemonsets --delete-emptydir-data --force --timeout=120s",
      "delete node worker3 --wait=true",
    ]);
  });

  it("deletes the node even when the drain cannot finish", () => {
    const r = server().run(cmd, { env: { STUB_DRAIN_FAILS: "1" } });
    expect(r.status).toBe(0);
    expect(kubectl(r.calls)).toContain("delete node worker3 --wait=true");
    expect(r.stderr).toContain("WARNING");
  });

  it("does nothing for a node that is not in the cluster, and fails when the API is down", () => {
    const gone = server().run(cmd, { env: { STUB_NODE_EXISTS: "0" } });
    expect(gone.status).toBe(0);
    expect(kubectl(gone.calls).some((c) => c.startsWith("drain") || c.startsWith("delete"))).toBe(false);
    expect(server().run(cmd, { env: { STUB_API_READY: "0" } }).status).not.toBe(0);
  });
});

// drain-node: tests/cluster-node-lifecycle.test.ts.

// reconcile-node: tests/cluster-node-lifecycle.test.ts (a kubectl stub that keeps the node's state);
// read-kubeconfig: tests/cluster-kubeconfig.test.ts.

describe("wait-for-api-gateway (on the load balancer)", () => {
  const cmd = (timeoutSeconds = 900) =>
    remoteCommand(renderWaitForApiGateway({ address: "10.17.3.12", timeoutSeconds }), { name: "wait-for-api-gateway", root: false });
  const probes = (calls: string[]) => calls.filter((c) => c === "curl https://10.17.3.12:6443/readyz");

  it("succeeds on any HTTP status from the API behind HAProxy (401 anonymous, 200)", () => {
    for (const status of ["401", "200", "503"]) {
      const r = new Node("loadbalancer1").run(cmd(), { env: { STUB_READYZ: status } });
      expect(r.status).toBe(0);
      expect(probes(r.calls)).toHaveLength(1);
      expect(r.stdout).toBe(`https://10.17.3.12:6443/readyz answers through the load balancer (HTTP ${status})\n`);
    }
  });

  it("keeps probing while nothing answers (HAProxy not up, or no server in yet), without root", () => {
    const r = new Node("loadbalancer1").run(cmd(), { env: { STUB_READYZ: "000 000 000 401" } });
    expect(r.status).toBe(0);
    expect(probes(r.calls)).toHaveLength(4);
    expect(r.calls.some((c) => c.startsWith("sudo"))).toBe(false);
  });

  it("fails after its bounded wait, saying what it last saw", () => {
    const r = new Node("loadbalancer1").run(cmd(0), { env: { STUB_READYZ: "000" } });
    expect(r.status).not.toBe(0);
    expect(probes(r.calls)).toHaveLength(1);
    expect(r.stderr).toContain("no API server answered at https://10.17.3.12:6443/readyz within 0s (last status: 000)");
  });
});

describe("install-k3s: the registry mirror's files (cluster/registries.ts)", () => {
  const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const mirror = (endpoint: string): NodeMirror => ({
    endpoint,
    registries: ["docker.io", "ghcr.io"],
    prefixRepositories: true,
    caPem: CA,
    auth: { username: "pull", password: "s3cr3t-pull" },
    airGap: false,
  });
  const REGISTRIES = "etc/rancher/k3s/registries.yaml";
  const CA_FILE = REGISTRY_CA_FILE.slice(1);
  const node = new Node().installed(VERSION, CONFIG);
  const first = node.run(install(), { stdin: nodeStdin(CONFIG, mirror("https://registry.example.lan")) });
  const firstFiles = { registries: node.file(REGISTRIES), ca: node.file(CA_FILE), config: node.file("etc/rancher/k3s/config.yaml") };
  const again = node.run(install(), { stdin: nodeStdin(CONFIG, mirror("https://registry.example.lan")) });
  const moved = node.run(install(), { stdin: nodeStdin(CONFIG, mirror("https://registry.example.lan:30443")) });
  const movedRegistries = node.file(REGISTRIES);
  const off = node.run(install(), { stdin: CONFIG });
  const offExists = [existsSync(join(node.root, REGISTRIES)), existsSync(join(node.root, CA_FILE))];

  it("writes registries.yaml and the CA (0600) beside an unchanged config.yaml and restarts K3s once", () => {
    expect(first.status).toBe(0);
    expect(firstFiles.config).toBe(CONFIG);
    expect(firstFiles.registries).toBe(renderRegistriesYaml(mirror("https://registry.example.lan")));
    expect(firstFiles.ca).toContain(CA.trim());
    expect(serviceChanges(first.calls)).toContain("systemctl restart --no-block k3s");
    expect(first.stdout.trim()).toBe(`k3s ${VERSION} on bootstrap1: reconfigured`);
    expect(first.stdout + first.stderr).not.toContain("s3cr3t-pull");
  });

  it("the same files again: nothing written, no restart", () => {
    expect(again.status).toBe(0);
    expect(serviceChanges(again.calls)).toEqual([]);
    expect(again.stdout.trim()).toBe(`k3s ${VERSION} on bootstrap1: unchanged`);
  });

  it("a changed mirror rewrites registries.yaml only and restarts K3s", () => {
    expect(moved.status).toBe(0);
    expect(movedRegistries).toContain("https://registry.example.lan:30443");
    expect(serviceChanges(moved.calls)).toContain("systemctl restart --no-block k3s");
  });

  it("no mirror any more: both files removed, K3s restarted once", () => {
    expect(off.status).toBe(0);
    expect(offExists).toEqual([false, false]);
    expect(serviceChanges(off.calls)).toContain("systemctl restart --no-block k3s");
  });

  it("a registries.yaml the program did not write stays, and nothing restarts", () => {
    const other = new Node().installed(VERSION, CONFIG);
    writeFileSync(join(other.root, REGISTRIES), "mirrors: {}\n");
    const r = other.run(install(), { stdin: CONFIG });
    expect(r.status).toBe(0);
    expect(other.file(REGISTRIES)).toBe("mirrors: {}\n");
    expect(serviceChanges(r.calls)).toEqual([]);
  });
});
