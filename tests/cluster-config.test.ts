/**
 * Stage 2 config: defaults derived from the topology, and every bad value failing with a message
 * that names its key.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { CLUSTER_CONFIG_KEYS, ClusterSettings, loadClusterSettings, parseClusterSettings, RawClusterConfig } from "../config/cluster";
import { Topology } from "../config/topology";
import { ConfigError, parseTopology } from "../config/validate";
import { K3S_VERSION } from "../versions";
import { resolveOutput, startHarness } from "./helpers/pulumi-harness";
import { rawStack, stackConfig } from "./helpers/stacks";
import { problemsOf as problemsOfParse } from "./helpers/problems";
import { pemBlock } from "../plan/stack-config";

const prod = parseTopology(rawStack("prod"), "prod");
const dev = parseTopology(rawStack("dev"), "dev");

const problemsOf = (raw: RawClusterConfig, topology: Topology = prod): string[] => problemsOfParse(() => parseClusterSettings(raw, topology));

/** The prod topology with one VM edited (a deep copy). */
function prodWithVm(name: string, edit: (vm: Topology["vms"][number]) => void): Topology {
  const t = structuredClone(prod);
  const vm = t.vms.find((v) => v.name === name);
  if (!vm) throw new Error(`no ${name}`);
  edit(vm);
  return t;
}

describe("defaults from the topology", () => {
  it("prod: bootstrap1 starts the cluster, master1 joins, three Ceph workers, the API behind the load balancer", () => {
    const s: ClusterSettings = parseClusterSettings({}, prod);
    expect(s).toEqual({
      clusterName: "flatcarmicrocloud-prod",
      k3sVersion: K3S_VERSION,
      servers: ["bootstrap1", "master1"],
      agents: ["worker1", "worker2", "worker3"],
      storageNodes: ["worker1", "worker2", "worker3"],
      apiHost: "10.17.3.12",
      tlsSans: ["10.17.3.12", "192.168.0.21", "10.17.4.12", "loadbalancer1.cefaslocalserver.com"],
      // One K3s node re-created or removed per `pulumi up` unless the user says otherwise.
      k3sNodeChangesPerUp: 1,
      // The shutdown steps power guests off through their host's libvirt provider's URI.
      libvirtUris: { bootstrap1: "qemu:///system", master1: "qemu:///system", worker1: "qemu:///system", worker2: "qemu:///system", worker3: "qemu:///system" },
    });
  });

  it("k3sNodeChangesPerUp: a positive whole number, named when it is not", () => {
    expect(parseClusterSettings({ k3sNodeChangesPerUp: "3" }, prod).k3sNodeChangesPerUp).toBe(3);
    expect(() => parseClusterSettings({ k3sNodeChangesPerUp: "0" }, prod)).toThrow(/k3sNodeChangesPerUp: must be a positive whole number/);
  });

  it("dev: no load balancer, so the API endpoint is the first server, which also goes on the certificate", () => {
    const s = parseClusterSettings({}, dev);
    expect(s.apiHost).toBe("10.17.10.11");
    expect(s.tlsSans).toEqual(["10.17.10.11"]);
    expect(s.servers).toEqual(["server1"]);
    expect(s.agents).toEqual(["agent1"]);
    expect(s.storageNodes).toEqual(["agent1"]);
  });

  it("the pinned version lives in versions.ts only", () => {
    expect(K3S_VERSION).toBe("v1.36.5+k3s1");
  });
});

describe("overrides", () => {
  it("k3sServers sets the join order (the first one runs cluster-init)", () => {
    expect(parseClusterSettings({ k3sServers: ["master1", "bootstrap1"] }, prod).servers).toEqual(["master1", "bootstrap1"]);
  });

  it("k3sVersion accepts another release tag", () => {
    expect(parseClusterSettings({ k3sVersion: "v1.36.6+k3s2" }, prod).k3sVersion).toBe("v1.36.6+k3s2");
  });

  it("by default the API host is the load balancer's first VM-network address, even when its first NIC is on the LAN", () => {
    const lanFirst = structuredClone(prod);
    const lb = lanFirst.vms.find((v) => v.name === "loadbalancer1") as (typeof prod.vms)[number];
    lb.nics = [lb.nics[1], lb.nics[0], lb.nics[2]];
    expect(parseClusterSettings({}, lanFirst).apiHost).toBe("10.17.3.12");
  });

  it("k3sApiHost replaces the endpoint host and is added to the certificate", () => {
    const s = parseClusterSettings({ k3sApiHost: "api.cefaslocalserver.com" }, prod);
    expect(s.apiHost).toBe("api.cefaslocalserver.com");
    expect(s.tlsSans).toContain("api.cefaslocalserver.com");
    expect(s.tlsSans).toContain("10.17.3.12");
  });
});

describe("bad cluster config fails clearly, naming the key", () => {
  it.each(["1.36.5+k3s1", "v1.36.5", "v1.36.5-k3s1", "v1.36+k3s1", "latest", "stable"])("k3sVersion %s", (version) => {
    expect(problemsOf({ k3sVersion: version })).toEqual([
      `k3sVersion: "${version}" is not a K3s release tag of the form vX.Y.Z+k3sN (e.g. ${K3S_VERSION})`,
    ]);
  });

  it("an unknown node in a role", () => {
    expect(problemsOf({ k3sServers: ["bootstrap1", "master1", "master2"] })).toEqual([
      'k3sServers[2]: unknown node "master2"; the K3s servers in vms are: bootstrap1, master1',
    ]);
  });

  it("a node of another role listed as a server", () => {
    expect(problemsOf({ k3sServers: ["bootstrap1", "master1", "worker1"] })).toEqual([
      "k3sServers[2]: worker1 has role k3s-agent, not k3s-server; change its role in vms or remove it here",
    ]);
  });

  it("a server left out, a server listed twice, a list that is not a list", () => {
    expect(problemsOf({ k3sServers: ["bootstrap1"] })).toEqual([
      "k3sServers: must list every k3s-server VM (the first one runs cluster-init); missing master1",
    ]);
    expect(problemsOf({ k3sServers: ["bootstrap1", "master1", "bootstrap1"] })).toEqual(["k3sServers[2]: bootstrap1 is listed twice"]);
    expect(problemsOf({ k3sServers: "bootstrap1" })).toEqual(["k3sServers: must be a list of strings"]);
    expect(problemsOf({ k3sServers: [] })).toEqual(["k3sServers: must name at least one K3s server"]);
  });

  it("a bad API host", () => {
    expect(problemsOf({ k3sApiHost: "https://api:6443" })).toEqual(['k3sApiHost: "https://api:6443" is neither an IPv4 address nor a DNS name']);
    // HAProxy does not serve the API on the load balancer's LAN entry.
    expect(problemsOf({ k3sApiHost: "192.168.0.21" })).toEqual([
      "k3sApiHost: 192.168.0.21 is loadbalancer1's LAN address; the API is served on its VM-network addresses only",
    ]);
  });

  it("a remote libvirtUri (Pulumi on another machine) needs k3sApiHost: the VM networks are the host's", () => {
    const remote = { ...prod, hosts: [{ ...prod.hosts[0], libvirtUri: "qemu+ssh://root@192.168.0.10/system" }] };
    const problems: string[] = [];
    try {
      parseClusterSettings({}, remote);
    } catch (e) {
      problems.push(...(e as ConfigError).problems);
    }
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^k3sApiHost: is required with the remote libvirtUri qemu\+ssh:\/\/root@192\.168\.0\.10\/system: /);
    expect(problems[0]).toContain("cannot reach the Kubernetes API at 10.17.3.12");
    expect(problems[0]).toContain("ssh -N -L 6443:10.17.3.12:6443 <kvm host>");
    // Stated: a tunnel (127.0.0.1 is on K3s's certificate by default) or the address over the VPN.
    expect(parseClusterSettings({ k3sApiHost: "127.0.0.1" }, remote).apiHost).toBe("127.0.0.1");
    expect(parseClusterSettings({ k3sApiHost: "10.17.3.12" }, remote).apiHost).toBe("10.17.3.12");
    // On the host (the default URI) nothing is required.
    expect(parseClusterSettings({}, prod).apiHost).toBe("10.17.3.12");
  });

  it("node labels and taints Kubernetes would reject", () => {
    const t = prodWithVm("worker1", (vm) => {
      vm.labels = { "bad key!": "x", team: "a b" };
      vm.taints = ["dedicated=ceph:Sometimes", "node-role.kubernetes.io/control-plane=true:NoSchedule"];
    });
    expect(problemsOf({}, t)).toEqual([
      'vms[6].labels: "bad key!" is not a valid Kubernetes label key',
      'vms[6].labels: value "a b" of team is not a valid Kubernetes label value',
      'vms[6].taints[0]: "dedicated=ceph:Sometimes" is not a taint of the form key[=value]:NoSchedule|PreferNoSchedule|NoExecute',
    ]);
  });

  it("reports every problem at once", () => {
    expect(problemsOf({ k3sVersion: "latest", k3sServers: ["nope", "bootstrap1", "master1"] })).toHaveLength(2);
  });
});

describe("Pulumi.yaml", () => {
  const declared = (parse(readFileSync(join(__dirname, "..", "Pulumi.yaml"), "utf8")) as { config: Record<string, Record<string, unknown>> })
    .config;

  it("declares every optional stage 2 key with a default (the CLI requires declared keys without one)", () => {
    // registryMirror is an object, documented in Pulumi.yaml's header like chartVersions.
    for (const key of CLUSTER_CONFIG_KEYS.filter((k) => k !== "registryMirror")) {
      expect(declared[key]).toBeDefined();
      expect(declared[key]).toHaveProperty("default");
    }
  });

  it("declares the SSH private key with an empty default (a declared secret would be required of every stack, existing-cluster ones too); the program refuses it in plain text", () => {
    expect(declared.sshPrivateKey).toMatchObject({ type: "string", default: "" });
    expect(declared.sshPrivateKey).not.toHaveProperty("secret");
  });
});

describe("loadClusterSettings (stack config through pulumi.Config)", () => {
  const KEY = pemBlock("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAA").trimEnd();

  it("reads the keys, the SSH key as a secret", async () => {
    await startHarness({
      stack: "prod",
      config: stackConfig("prod", { sshPrivateKey: KEY, k3sServers: ["master1", "bootstrap1"], k3sVersion: "v1.36.5+k3s1" }),
      secretKeys: ["sshPrivateKey"],
    });
    const { settings, sshPrivateKey } = loadClusterSettings(prod);
    expect(settings.servers).toEqual(["master1", "bootstrap1"]);
    const key = await resolveOutput(sshPrivateKey);
    expect(key.secret).toBe(true);
    expect(key.value).toBe(`${KEY}\n`);
  });

  it("refuses the SSH key stored in plain text, naming sshPrivateKey and how to set it as a secret", async () => {
    await startHarness({ stack: "prod", config: stackConfig("prod", { sshPrivateKey: KEY }), secretKeys: [] });
    expect(problemsOfParse(() => loadClusterSettings(prod))).toEqual([expect.stringMatching(/^sshPrivateKey: is stored in plain text .*pulumi config set --secret sshPrivateKey/)]);
  });

  it("treats Pulumi.yaml's empty default of sshPrivateKey as missing", async () => {
    await startHarness({ stack: "prod", config: stackConfig("prod", { sshPrivateKey: "" }), secretKeys: [] });
    expect(problemsOfParse(() => loadClusterSettings(prod))).toEqual([expect.stringMatching(/^sshPrivateKey: is required/)]);
  });

  it("treats the empty defaults Pulumi.yaml declares as unset", async () => {
    await startHarness({
      stack: "prod",
      config: stackConfig("prod", { sshPrivateKey: KEY, k3sServers: [], k3sVersion: "", k3sApiHost: "" }),
      secretKeys: ["sshPrivateKey"],
    });
    expect(loadClusterSettings(prod).settings).toEqual(parseClusterSettings({}, prod));
  });

  it("fails naming sshPrivateKey when it is missing, together with any other problem", async () => {
    const config = stackConfig("prod", { k3sVersion: "latest" });
    delete config.sshPrivateKey;
    await startHarness({ stack: "prod", config });
    let problems: string[] = [];
    try {
      loadClusterSettings(prod);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems = e.problems;
    }
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^k3sVersion: /);
    expect(problems[1]).toMatch(/^sshPrivateKey: is required .*pulumi config set --secret sshPrivateKey/);
  });
});
