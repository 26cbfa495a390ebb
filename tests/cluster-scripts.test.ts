/**
 * What stage 2 sends to the nodes, rendered from the prod and dev stacks without Pulumi: every
 * script passes shellcheck, and each node's config.yaml carries what K3s needs.
 */
import { parse } from "yaml";
import { parseClusterSettings } from "../config/cluster";
import { Topology, VmSpec } from "../config/topology";
import { parseTopology } from "../config/validate";
import { describeNode } from "../infra/nodes";
import { NodeInfo } from "../nodes";
import { DISABLED_ADDONS, K3sNodeKind, kubeletMaySetLabel, renderK3sConfig, STORAGE_NODE_LABEL } from "../cluster/k3s-config";
import { rewriteKubeconfig } from "../cluster/kubeconfig";
import { allocatable, guestMemTotalMiB, kubeletReservationArgs } from "../cluster/reservations";
import {
  renderFlannelIfaceHelper,
  renderInstallK3s,
  renderDrainNode,
  renderReadKubeconfig,
  renderReconcileNode,
  renderRemoveNode,
  renderShutdownVm,
  renderTemplate,
  renderUninstallK3s,
  renderWaitForApiGateway,
  renderWaitForBoot,
} from "../cluster/scripts";
import { K3S_VERSION } from "../versions";
import { rawStack } from "./helpers/stacks";
import { run, shellcheck, writeTemp } from "./helpers/tools";
import { shellQuote } from "../shell";
import { remoteCommand } from "../shell";

const TOKEN = "T".repeat(48);

interface Rendered {
  node: NodeInfo;
  kind: K3sNodeKind;
  config: Record<string, unknown>;
  configText: string;
}

function renderStack(stack: string): { topology: Topology; nodes: Rendered[] } {
  const topology = parseTopology(rawStack(stack), stack);
  const settings = parseClusterSettings({}, topology);
  const infos = new Map(topology.vms.map((vm) => [vm.name, describeNode(vm, topology)]));
  const first = infos.get(settings.servers[0]) as NodeInfo;
  const kinds: [string, K3sNodeKind][] = [
    ...settings.servers.map((n, i): [string, K3sNodeKind] => [n, i === 0 ? "init-server" : "server"]),
    ...settings.agents.map((n): [string, K3sNodeKind] => [n, "agent"]),
  ];
  const nodes = kinds.map(([name, kind]) => {
    const node = infos.get(name) as NodeInfo;
    const configText = renderK3sConfig({
      node,
      kind,
      token: TOKEN,
      serverUrl: `https://${first.clusterAddress}:6443`,
      tlsSans: settings.tlsSans,
      storage: settings.storageNodes.includes(name),
    });
    return { node, kind, configText, config: parse(configText) as Record<string, unknown> };
  });
  return { topology, nodes };
}

const prod = renderStack("prod");
const dev = renderStack("dev");
const byName = (name: string) => prod.nodes.find((n) => n.node.name === name) as Rendered;

describe("config.yaml (prod)", () => {
  it("exactly one node runs cluster-init: the first server", () => {
    expect(prod.nodes.filter((n) => n.config["cluster-init"] === true).map((n) => n.node.name)).toEqual(["bootstrap1"]);
    expect(byName("bootstrap1").config.server).toBeUndefined();
  });

  it("every other node joins the first server on the cluster network", () => {
    for (const n of prod.nodes.filter((x) => x.node.name !== "bootstrap1")) {
      expect(n.config.server).toBe("https://10.17.4.14:6443");
      expect(n.config["cluster-init"]).toBeUndefined();
    }
  });

  it("node-ip is stage 1's cluster address; flannel-iface is left to the start-time helper", () => {
    expect(byName("bootstrap1").config).toMatchObject({ "node-name": "bootstrap1", "node-ip": "10.17.4.14" });
    expect(byName("worker2").config).toMatchObject({ "node-name": "worker2", "node-ip": "10.17.4.25" });
    for (const n of [...prod.nodes, ...dev.nodes]) {
      expect(n.config["node-ip"]).toBe(n.node.clusterAddress);
      // A name here would be wrong on a boot where the NIC kept its kernel name (install-k3s.sh's
      // ExecStartPre writes the interface that carries node-ip into config.yaml.d instead).
      expect(n.config["flannel-iface"]).toBeUndefined();
      expect(n.config.token).toBe(TOKEN);
      expect(n.config["kubelet-arg"]).toEqual(kubeletReservationArgs(n.kind === "agent" ? "agent" : "server"));
    }
  });

  /** `kubelet-arg` entries as the kubelet reads them: `name=value`, and `a=b,c=d` / `a<b,c<d` maps. */
  const kubeletArgs = (n: Rendered) => new Map((n.config["kubelet-arg"] as string[]).map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]));
  const mapArg = (value: string, sep: "=" | "<") => new Map(value.split(",").map((kv) => kv.split(sep) as [string, string]));
  const mebibytes = (q: string) => Number(/^(\d+)Mi$/.exec(q)?.[1] ?? NaN);
  const percent = (q: string) => Number(/^(\d+(?:\.\d+)?)%$/.exec(q)?.[1] ?? NaN);

  it("eviction-hard names every threshold the kubelet defaults on Linux, none weaker than the default", () => {
    // Kubernetes drops every default threshold eviction-hard does not name (it becomes 0: off), so
    // a disk filling up would evict nothing. The kubelet's Linux defaults:
    const defaults = { "memory.available": 100, "nodefs.available": 10, "nodefs.inodesFree": 5, "imagefs.available": 15, "imagefs.inodesFree": 5 };
    for (const n of [...prod.nodes, ...dev.nodes]) {
      const eviction = mapArg(kubeletArgs(n).get("eviction-hard") as string, "<");
      expect([...eviction.keys()].sort()).toEqual(Object.keys(defaults).sort());
      expect(mebibytes(eviction.get("memory.available") as string)).toBeGreaterThanOrEqual(defaults["memory.available"]);
      for (const signal of ["nodefs.available", "nodefs.inodesFree", "imagefs.available", "imagefs.inodesFree"] as const) {
        const value = percent(eviction.get(signal) as string);
        expect(value).toBeGreaterThanOrEqual(defaults[signal]);
        expect(value).toBeLessThan(50);
      }
    }
  });

  it("the reservations the kubelet gets are the ones the capacity check subtracts; servers keep more for the API server and etcd", () => {
    for (const n of [...prod.nodes, ...dev.nodes]) {
      const args = kubeletArgs(n);
      const system = mapArg(args.get("system-reserved") as string, "=");
      const kube = mapArg(args.get("kube-reserved") as string, "=");
      const evictMiB = mebibytes(mapArg(args.get("eviction-hard") as string, "<").get("memory.available") as string);
      const vm = [...prod.topology.vms, ...dev.topology.vms].find((v) => v.name === n.node.name);
      // The kubelet starts from the guest's MemTotal (estimated below the VM's memory), not the VM's memory.
      const memTotal = guestMemTotalMiB(vm?.memoryMiB ?? NaN);
      expect(memTotal).toBeLessThan(vm?.memoryMiB ?? NaN);
      const expected = memTotal - mebibytes(system.get("memory") as string) - mebibytes(kube.get("memory") as string) - evictMiB;
      expect(allocatable(vm as VmSpec).memoryMiB).toBe(expected);
    }
    const kubeMiB = (name: string) => mebibytes(mapArg(kubeletArgs(byName(name)).get("kube-reserved") as string, "=").get("memory") as string);
    expect(kubeMiB("bootstrap1")).toBeGreaterThanOrEqual(1024);
    expect(kubeMiB("master1")).toBe(kubeMiB("bootstrap1"));
    expect(kubeMiB("worker1")).toBeLessThan(kubeMiB("bootstrap1"));
  });

  it("servers agree on add-ons, encryption, kubeconfig mode and the load balancer on the certificate", () => {
    for (const name of ["bootstrap1", "master1"]) {
      const c = byName(name).config;
      expect(c["tls-san"]).toEqual(["10.17.3.12", "192.168.0.21", "10.17.4.12", "loadbalancer1.cefaslocalserver.com"]);
      expect(c.disable).toEqual(["traefik", "servicelb", "local-storage"]);
      expect(c["secrets-encryption"]).toBe(true);
      expect(c["etcd-expose-metrics"]).toBe(true);
      // The pod and service ranges the platform's NetworkPolicies name (ports.ts).
      expect([c["cluster-cidr"], c["service-cidr"]]).toEqual(["10.42.0.0/16", "10.43.0.0/16"]);
      expect(byName(name).configText).toContain(`write-kubeconfig-mode: "0600"`);
      expect(c["node-taint"]).toEqual(["node-role.kubernetes.io/control-plane=true:NoSchedule"]);
    }
    expect(DISABLED_ADDONS).toEqual(["traefik", "servicelb", "local-storage"]);
  });

  it("agents carry only agent flags, and storage nodes the Ceph label", () => {
    for (const name of ["worker1", "worker2", "worker3"]) {
      const c = byName(name).config;
      expect(Object.keys(c).sort()).toEqual(["kubelet-arg", "node-ip", "node-label", "node-name", "server", "token"]);
      expect(c["node-label"]).toEqual([`${STORAGE_NODE_LABEL.key}=${STORAGE_NODE_LABEL.value}`]);
    }
  });

  it("labels the kubelet may not set itself are left to kubectl", () => {
    const node: NodeInfo = { ...byName("worker1").node, labels: { "node-role.kubernetes.io/worker": "true", tier: "edge" } };
    const c = parse(renderK3sConfig({ node, kind: "agent", token: TOKEN, serverUrl: "https://10.17.4.14:6443", tlsSans: [], storage: false }));
    expect(c["node-label"]).toEqual(["tier=edge"]);
    expect(kubeletMaySetLabel("node-role.kubernetes.io/worker")).toBe(false);
    expect(kubeletMaySetLabel("kubernetes.io/hostname")).toBe(true);
    expect(kubeletMaySetLabel("node.kubernetes.io/pool")).toBe(true);
    expect(kubeletMaySetLabel(STORAGE_NODE_LABEL.key)).toBe(true);
  });

  it("dev: the single server initialises, the agent joins it", () => {
    expect(dev.nodes.map((n) => [n.node.name, n.config["cluster-init"] ?? n.config.server])).toEqual([
      ["server1", true],
      ["agent1", "https://10.17.10.11:6443"],
    ]);
  });

  it("refuses a node without a cluster address and a join without a server URL", () => {
    const node = { ...byName("worker1").node, clusterAddress: undefined };
    expect(() => renderK3sConfig({ node, kind: "agent", token: TOKEN, serverUrl: "https://x:6443", tlsSans: [], storage: false })).toThrow(
      /no address on the cluster network/,
    );
    expect(() =>
      renderK3sConfig({ node: byName("worker1").node, kind: "agent", token: TOKEN, serverUrl: "", tlsSans: [], storage: false }),
    ).toThrow(/https:\/\//);
  });
});

describe("every rendered script passes shellcheck", () => {
  const scripts: [string, string][] = [];
  for (const { node, kind } of [...prod.nodes, ...dev.nodes]) {
    const n = node.name;
    const nic = { nodeIp: node.clusterAddress as string, expectedIface: node.clusterIface as string };
    scripts.push(
      [`wait-for-boot ${n}`, renderWaitForBoot(node)],
      [`install-k3s ${n}`, renderInstallK3s({ nodeName: n, kind, version: K3S_VERSION, ...nic })],
      [`flannel-iface ${n}`, renderFlannelIfaceHelper({ nodeName: n, ...nic })],
      [`uninstall-k3s ${n}`, renderUninstallK3s({ nodeName: n, kind, machineId: "0123456789abcdef0123456789abcdef" })],
      [`reconcile-node ${n}`, renderReconcileNode({ nodeName: n, labels: { "a.example/b": "c d'e" }, taints: node.taints })],
      [`remove-node ${n}`, renderRemoveNode({ nodeName: n })],
      [`drain-node ${n}`, renderDrainNode({ nodeName: n, storage: false })],
      [`drain-node ${n} (storage)`, renderDrainNode({ nodeName: n, storage: true })],
      [`shutdown-vm ${n}`, renderShutdownVm({ libvirtUri: "qemu:///system", domain: n })],
      [`install-k3s ${n} with peers`, renderInstallK3s({ nodeName: n, kind, version: K3S_VERSION, ...nic, peerServers: ["https://10.0.0.2:6443"] })],
    );
  }
  scripts.push([`wait-for-boot rocky`, renderWaitForBoot({ name: "bastion1", os: "rocky" })]);
  scripts.push(["read-kubeconfig", renderReadKubeconfig(K3S_VERSION)]);
  scripts.push(["wait-for-api-gateway", renderWaitForApiGateway({ address: parseClusterSettings({}, prod.topology).apiHost })]);
  scripts.push(["reconcile-node without labels", renderReconcileNode({ nodeName: "x", labels: {}, taints: [] })]);
  scripts.push(["uninstall-k3s without a machine id", renderUninstallK3s({ nodeName: "x", kind: "agent", machineId: "" })]);

  it.each(scripts)("%s", (_, script) => {
    expect(script).not.toMatch(/@[A-Z_]+@/);
    const r = shellcheck(script);
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  // The nested quoting of a whole script in one word draws SC1003 (info) wherever the script itself
  // holds a quote; the line's exact execution is covered by tests/cluster-idempotence.test.ts.
  it.each(scripts.slice(0, 5))("the command line of %s", (_, script) => {
    const line = remoteCommand(script, { name: "step", root: true });
    expect(line.startsWith("sudo -n /bin/bash -c '")).toBe(true);
    const r = run("shellcheck", ["-s", "bash", "--severity=warning", writeTemp("line.sh", line)]);
    expect(r.output).toBe("");
  });
});

describe("templates", () => {
  it("quote every value, including quotes inside it", () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
    expect(renderReconcileNode({ nodeName: "x", labels: { k: "it's" }, taints: [] })).toContain(`LABELS=('k=it'\\''s')`);
  });

  it("refuse a missing or an unused value", () => {
    expect(() => renderTemplate("remove-node.sh", { NODE_NAME: "x" })).toThrow(/no value for @DRAIN_TIMEOUT_SECONDS@/);
    expect(() => renderTemplate("wait-for-boot.sh", { NODE_NAME: "x", OS_FAMILY: "flatcar", BOOT_TIMEOUT_SECONDS: 1, EXTRA: "x" })).toThrow(/no placeholder for EXTRA/);
  });

  it("probe the API through the load balancer's address, with a bounded wait", () => {
    const script = renderWaitForApiGateway({ address: "10.17.3.12" });
    expect(script).toContain("API_URL='https://10.17.3.12:6443/readyz'");
    expect(script).toContain("TIMEOUT_SECONDS=900");
    expect(script).toContain("INTERVAL_SECONDS=5");
    expect(script).toContain(`curl -ks --connect-timeout 5 --max-time 10 -o /dev/null -w '%{http_code}' "$API_URL"`);
    expect(renderWaitForApiGateway({ address: "10.0.0.1", timeoutSeconds: 60, intervalSeconds: 2 })).toMatch(/TIMEOUT_SECONDS=60\nINTERVAL_SECONDS=2\n/);
    expect(() => renderWaitForApiGateway({ address: "10.0.0.1", timeoutSeconds: -1 })).toThrow(/whole number/);
  });

  it("pin the release: binary, checksums and installer of one tag", () => {
    const script = renderInstallK3s({ nodeName: "n", kind: "server", version: K3S_VERSION, nodeIp: "10.0.0.2", expectedIface: "nic0" });
    expect(script).toContain(`VERSION='v1.36.5+k3s1'`);
    expect(script).toContain(`RELEASE_URL='https://github.com/k3s-io/k3s/releases/download/v1.36.5%2Bk3s1'`);
    expect(script).toContain(`INSTALLER_URL='https://raw.githubusercontent.com/k3s-io/k3s/v1.36.5%2Bk3s1/install.sh'`);
  });
});

describe("kubeconfig", () => {
  const k3sYaml = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0E=
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
`;

  it("points at the API endpoint and carries the cluster's name", () => {
    const out = parse(rewriteKubeconfig(k3sYaml, "https://10.17.3.12:6443", "flatcarmicrocloud-prod"));
    expect(out.clusters).toEqual([
      { name: "flatcarmicrocloud-prod", cluster: { "certificate-authority-data": "Q0E=", server: "https://10.17.3.12:6443" } },
    ]);
    expect(out.users).toEqual([{ name: "flatcarmicrocloud-prod", user: { "client-certificate-data": "Q0VSVA==", "client-key-data": "S0VZ" } }]);
    expect(out["current-context"]).toBe("flatcarmicrocloud-prod");
    expect(out.contexts[0].context).toEqual({ cluster: "flatcarmicrocloud-prod", user: "flatcarmicrocloud-prod" });
  });

  it("fails without echoing the input (it holds the admin key)", () => {
    const bad = "clusters: []\nusers: [{name: a, user: {client-key-data: SECRETKEY}}]\n";
    expect(() => rewriteKubeconfig(bad, "https://x:6443", "c")).toThrow(/exactly one cluster/);
    try {
      rewriteKubeconfig(bad, "https://x:6443", "c");
    } catch (e) {
      expect(String(e)).not.toContain("SECRETKEY");
    }
    expect(() => rewriteKubeconfig(": : SECRETKEY", "https://x:6443", "c")).toThrow(/not valid YAML/);
  });
});
