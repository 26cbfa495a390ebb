/**
 * An existing cluster's keys: `existingNodes` (what the capacity check and the platform's plan need
 * before anything is created), `existingPodCidr`, `ingressServiceType`, `ingressAddress`; the secret
 * `kubeconfig`; and the refusal of every stage 1-2 key on such a stack (and of these keys without it).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { loadStackConfig } from "../config";
import { runPlan } from "../plan/main";
import { cpuQuantityMilli, kubeconfigProblem, memoryQuantityMiB, parseExistingCluster, projectDefaults, vmKeysRefused } from "../config/existing-cluster";
import { existingClusterFacts, existingNodesConfig } from "../existing-cluster/facts";
import { k3sClusterFacts } from "../cluster/facts";
import { parseTopology } from "../config/validate";
import { switchProblem } from "../existing-cluster";
import { EXISTING_KUBECONFIG, EXISTING_NODES, existingClusterConfig } from "./helpers/existing-cluster";
import { problemsOf } from "./helpers/problems";
import { startHarness } from "./helpers/pulumi-harness";
import { rawStack, stackConfig } from "./helpers/stacks";

const nodes = (edit: (n: Record<string, unknown>[]) => void = () => undefined) => {
  const copy = structuredClone(EXISTING_NODES) as Record<string, unknown>[];
  edit(copy);
  return copy;
};

describe("parseExistingCluster", () => {
  it("reads the nodes: role, address, allocatable in Kubernetes quantities, taints, Ceph disk, os (default other)", () => {
    const s = parseExistingCluster({ existingNodes: EXISTING_NODES });
    expect(s.nodes.map((n) => [n.name, n.role, n.address, n.allocatable.cpuMilli, n.allocatable.memoryMiB, n.cephDevice ?? "-", n.os])).toEqual([
      ["server1", "server", "192.168.50.11", 1500, 1664, "-", "other"],
      ["server2", "server", "192.168.50.12", 1500, 1664, "-", "other"],
      ["agent1", "agent", "192.168.50.21", 3500, 5374, "sdb", "other"],
      ["agent2", "agent", "192.168.50.22", 3500, 5374, "sdb", "other"],
      ["agent3", "agent", "192.168.50.23", 3500, 5374, "/dev/sdb", "other"],
    ]);
    expect(s.podCidr).toBe("10.42.0.0/16");
    expect(s.ingress).toEqual({ serviceType: "NodePort", address: "192.168.50.21" });
  });

  it("parses CPU and memory quantities as the kubelet reports them", () => {
    expect(["4", "3.5", "3500m", 2, "x", "-1"].map(cpuQuantityMilli)).toEqual([4000, 3500, 3500, 2000, undefined, undefined]);
    expect(["7901212Ki", "6Gi", "5248Mi", "1073741824", "1G", "5Mb"].map(memoryQuantityMiB)).toEqual([7716, 6144, 5248, 1024, 953, undefined]);
  });

  it("requires existingNodes, naming how to read each node's allocatable", () => {
    expect(problemsOf(() => parseExistingCluster({}))).toEqual([expect.stringMatching(/^existingNodes: is required with kubeconfig/)]);
    expect(problemsOf(() => parseExistingCluster({ existingNodes: nodes((n) => delete n[2].allocatable) }))).toEqual([
      expect.stringMatching(/^existingNodes\[2\]\.allocatable: is required: .*kubectl get node agent1 -o jsonpath/),
    ]);
  });

  it("names each bad field", () => {
    const bad = nodes((n) => {
      n[0].role = "master";
      n[1].address = "10.0.0";
      (n[2].allocatable as Record<string, unknown>).memory = "lots";
      n[3].taints = ["NoSchedule"];
      n[4].cephDevice = "sd b";
    });
    expect(problemsOf(() => parseExistingCluster({ existingNodes: bad }))).toEqual([
      expect.stringMatching(/^existingNodes\[0\]\.role: unknown value "master"/),
      expect.stringMatching(/^existingNodes\[1\]\.address: "10\.0\.0" is not an IPv4 address/),
      expect.stringMatching(/^existingNodes\[2\]\.allocatable\.memory: "lots" is not a memory quantity/),
      expect.stringMatching(/^existingNodes\[3\]\.taints\[0\]: "NoSchedule" is not a taint/),
      expect.stringMatching(/^existingNodes\[4\]\.cephDevice: "sd b" is not a device name/),
    ]);
  });

  it("refuses duplicates, a cluster without a server or a Ceph disk, and mixed operating systems", () => {
    expect(problemsOf(() => parseExistingCluster({ existingNodes: nodes((n) => (n[1].name = "server1")) }))).toEqual([expect.stringMatching(/^existingNodes: duplicate name server1/)]);
    expect(problemsOf(() => parseExistingCluster({ existingNodes: nodes((n) => n.forEach((x) => (x.role = "agent"))) }))).toEqual([expect.stringMatching(/^existingNodes: no node has role server/)]);
    expect(problemsOf(() => parseExistingCluster({ existingNodes: nodes((n) => n.forEach((x) => delete x.cephDevice)) }))).toEqual([expect.stringMatching(/^existingNodes: no node has a cephDevice/)]);
    expect(problemsOf(() => parseExistingCluster({ existingNodes: nodes((n) => (n[0].os = "flatcar")) }))).toEqual([expect.stringMatching(/^existingNodes: mixes os flatcar and other/)]);
  });

  it("a LoadBalancer ingress needs its address; the pod range must be a CIDR", () => {
    expect(problemsOf(() => parseExistingCluster({ existingNodes: EXISTING_NODES, ingressServiceType: "LoadBalancer" }))).toEqual([expect.stringMatching(/^ingressAddress: is required with ingressServiceType LoadBalancer/)]);
    expect(problemsOf(() => parseExistingCluster({ existingNodes: EXISTING_NODES, ingressServiceType: "ClusterIP" }))).toEqual([expect.stringMatching(/^ingressServiceType: unknown value "ClusterIP"/)]);
    expect(problemsOf(() => parseExistingCluster({ existingNodes: EXISTING_NODES, existingPodCidr: "10.244.0.0" }))).toEqual([expect.stringMatching(/^existingPodCidr: "10\.244\.0\.0" is not an IPv4 network/)]);
  });
});

describe("tlsIssuer: the certificates' issuer on an existing cluster", () => {
  const CA = readFileSync(join(__dirname, "fixtures", "chart-mirror-ca.pem"), "utf8");
  const parse = (raw: Record<string, unknown>, hmac = false) => parseExistingCluster({ existingNodes: EXISTING_NODES, ...raw }, hmac);
  const problems = (raw: Record<string, unknown>, hmac = false) => problemsOf(() => parse(raw, hmac));

  it("none by default (Traefik's default certificate); selfSigned: the CA the program makes; their facts", () => {
    expect(parse({}).tls).toBeUndefined();
    expect(parse({ tlsIssuer: "none" }).tls).toBeUndefined();
    expect(parse({ tlsIssuer: "selfSigned" }).tls).toEqual({ issuer: "selfSigned" });
    expect(existingClusterFacts(parse({ tlsIssuer: "selfSigned" }), "home.example").tls).toEqual({ issuer: "selfSigned", ingressAddress: "192.168.50.21" });
    expect(existingClusterFacts(parse({}), "home.example").tls).toBeUndefined();
  });

  it("acme: the user's server (https), e-mail, EAB key id with its secret HMAC key, CA bundle", () => {
    const acme = { tlsIssuer: "acme", tlsAcmeServer: "https://acme.example.net/directory", tlsAcmeEmail: "ops@example.net" };
    expect(parse(acme).tls).toEqual({ issuer: "acme", acme: { server: "https://acme.example.net/directory", email: "ops@example.net" } });
    expect(parse({ ...acme, tlsAcmeEabKeyId: "kid-1", tlsAcmeCaBundle: CA }, true).tls).toEqual({
      issuer: "acme",
      acme: { server: "https://acme.example.net/directory", email: "ops@example.net", eabKeyId: "kid-1", caBundle: CA.trim() },
    });
  });

  it("refuses what does not fit, naming each key, before anything is created", () => {
    expect(problems({ tlsIssuer: "freeipa" })).toEqual([expect.stringMatching(/^tlsIssuer: /)]);
    expect(problems({ tlsIssuer: "acme" })).toEqual([expect.stringMatching(/^tlsAcmeServer: is required with tlsIssuer acme/), expect.stringMatching(/^tlsAcmeEmail: is required/)]);
    expect(problems({ tlsIssuer: "acme", tlsAcmeServer: "http://acme.example.net/directory", tlsAcmeEmail: "ops" })).toEqual([
      expect.stringMatching(/^tlsAcmeServer: "http:\/\/acme.example.net\/directory" is not an https ACME directory URL/),
      expect.stringMatching(/^tlsAcmeEmail: "ops" is not an e-mail address/),
    ]);
    const acme = { tlsIssuer: "acme", tlsAcmeServer: "https://acme.example.net/directory", tlsAcmeEmail: "ops@example.net" };
    expect(problems({ ...acme, tlsAcmeEabKeyId: "kid-1" })).toEqual([expect.stringMatching(/^tlsAcmeEabHmacKey: is required with tlsAcmeEabKeyId: .* as a secret/)]);
    expect(problems(acme, true)).toEqual([expect.stringMatching(/^tlsAcmeEabKeyId: is required with tlsAcmeEabHmacKey/)]);
    expect(problems({ ...acme, tlsAcmeCaBundle: "/etc/ssl/ca.pem" })).toEqual([expect.stringMatching(/^tlsAcmeCaBundle: holds no PEM certificate/)]);
    // The ACME keys without tlsIssuer acme: a forgotten switch, not silently ignored.
    expect(problems({ tlsIssuer: "selfSigned", tlsAcmeServer: "https://acme.example.net/directory" }, true)).toEqual([
      expect.stringMatching(/^tlsAcmeServer: configures the user's ACME server and needs tlsIssuer: acme \(tlsIssuer is selfSigned\)/),
      expect.stringMatching(/^tlsAcmeEabHmacKey: configures the user's ACME server/),
    ]);
  });
});

describe("existingClusterFacts", () => {
  it("gives stage 3 the same facts the K3s stage would: roles, taints, Ceph disks, allocatable; kured only on Flatcar nodes", () => {
    const facts = existingClusterFacts(parseExistingCluster({ existingNodes: EXISTING_NODES }), "home.example");
    expect(facts.nodes.map((n) => [n.name, n.role, n.cephDevice ?? "-"])).toEqual([
      ["server1", "k3s-server", "-"], ["server2", "k3s-server", "-"], ["agent1", "k3s-agent", "sdb"], ["agent2", "k3s-agent", "sdb"], ["agent3", "k3s-agent", "/dev/sdb"],
    ]);
    expect(facts.tls).toBeUndefined();
    expect(facts.flatcarReboots).toBe(false);
    const flatcar = existingClusterFacts(parseExistingCluster({ existingNodes: nodes((n) => n.forEach((x) => (x.os = "flatcar"))) }), "home.example");
    expect(flatcar.flatcarReboots).toBe(true);
    const lb = existingClusterFacts(parseExistingCluster({ existingNodes: EXISTING_NODES, ingressServiceType: "LoadBalancer", ingressAddress: "192.168.50.200" }), "home.example");
    // MQTT at the user's own entry too (whether it reaches the LAN there is the user's network's business).
    expect(lb.ingress).toEqual({ address: "192.168.50.200", serviceType: "LoadBalancer", httpsPort: 443, mqttAddress: "192.168.50.200", mqttPort: 1883 });
  });
});

describe("existingNodesConfig", () => {
  it.each(["prod", "dev"])("describes %s's K3s nodes so that reading them back gives the K3s stage's own facts", (stack) => {
    const k3s = k3sClusterFacts(parseTopology(rawStack(stack), stack));
    const back = existingClusterFacts(parseExistingCluster({ existingNodes: existingNodesConfig(k3s) }), k3s.domain);
    // Where a node runs (its KVM host, Ceph disk and failure-domain labels) is the VM topology's own
    // knowledge; existingNodes does not describe it, so an existing cluster's nodes count as their
    // own machines (platform/ceph-layout.ts).
    const unplaced = k3s.nodes.map(({ host: _host, cephDisk: _disk, topologyLabels: _labels, ...node }) => node);
    expect(back.nodes).toEqual(unplaced);
    expect(back.flatcarReboots).toBe(true);
  });
});

describe("stage 1-2 keys on an existing-cluster stack", () => {
  it("Pulumi.yaml's defaults (the values the CLI passes for unset keys) are not refused; any other value is, naming the key", () => {
    const defaults = projectDefaults();
    const asCliPasses = Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    expect(vmKeysRefused(asCliPasses, defaults)).toEqual([]);
    expect(vmKeysRefused({ ...asCliPasses, vms: [{ name: "x" }], hostVcpus: "24", libvirtUri: "qemu+ssh://h/system" }, defaults)).toEqual([
      expect.stringMatching(/^libvirtUri: is a key of stages 1-2/),
      expect.stringMatching(/^hostVcpus: is a key of stages 1-2/),
      expect.stringMatching(/^vms: is a key of stages 1-2 .* Remove it from this stack/),
    ]);
  });
});

describe("a stack that deployed VMs does not take a kubeconfig", () => {
  it("names the VMs the next run would delete", () => {
    expect(switchProblem(undefined)).toBeUndefined();
    const record = { machines: { worker1: {}, worker2: {} } } as unknown as Parameters<typeof switchProblem>[0];
    expect(switchProblem(record)).toMatch(/^kubeconfig: this stack last deployed VMs \(worker1, worker2\);.*new stack/);
  });
});

describe("loadStackConfig", () => {
  it("with kubeconfig as a secret: an existing-cluster stack", async () => {
    await startHarness({ stack: "lab", config: existingClusterConfig({ chartMirror: "https://charts.example.net/mirror" }), secretKeys: ["kubeconfig"] });
    const config = loadStackConfig();
    expect(config.target).toBe("existing");
    expect(config.platform.chartMirror).toEqual({ repo: "https://charts.example.net/mirror" });
  });

  it("refuses the kubeconfig in plain text, naming the key and how to set it as a secret", async () => {
    await startHarness({ stack: "lab", config: existingClusterConfig(), secretKeys: [] });
    expect(problemsOf(() => loadStackConfig())).toEqual([expect.stringMatching(/^kubeconfig: is stored in plain text .*pulumi config set --secret kubeconfig/)]);
  });

  it("refuses every stage 1-2 key set on it, and the SSH key, with the other problems", async () => {
    const prod = stackConfig("prod");
    await startHarness({
      stack: "lab",
      config: existingClusterConfig({ vms: prod.vms, networks: prod.networks, sshPrivateKey: prod.sshPrivateKey, k3sToken: "Tok3nTok3nTok3nTok3nTok3n", existingNodes: undefined }),
      secretKeys: ["kubeconfig", "sshPrivateKey", "k3sToken"],
    });
    expect(problemsOf(() => loadStackConfig())).toEqual([
      expect.stringMatching(/^networks: is a key of stages 1-2/),
      expect.stringMatching(/^vms: is a key of stages 1-2/),
      expect.stringMatching(/^sshPrivateKey: stage 2 \(K3s over SSH\) is not built on an existing cluster/),
      expect.stringMatching(/^k3sToken: is the token of the K3s cluster the program builds on its VMs; a stack with kubeconfig builds none/),
      expect.stringMatching(/^existingNodes: is required with kubeconfig/),
    ]);
  });

  it("refuses the existing-cluster keys on a VM stack (and a LoadBalancer ingress: the load balancer VM forwards to NodePorts)", async () => {
    await startHarness({ stack: "prod", config: stackConfig("prod", { existingNodes: EXISTING_NODES, ingressServiceType: "LoadBalancer" }) });
    expect(problemsOf(() => loadStackConfig())).toEqual([
      expect.stringMatching(/^existingNodes: describes an existing cluster and needs kubeconfig/),
      expect.stringMatching(/^ingressServiceType: the VM topology's load balancer forwards to NodePorts/),
    ]);
  });

  it("a kubeconfig is checked for its clusters, users and contexts when its secret is read, without quoting it", () => {
    expect(kubeconfigProblem(EXISTING_KUBECONFIG)).toBeUndefined();
    expect(kubeconfigProblem("/home/me/.kube/config")).toBe("is not a kubeconfig (expected the file's contents, not its path)");
    expect(kubeconfigProblem("apiVersion: v1\nkind: Config\nclusters: []\n")).toBe("has no clusters: not a kubeconfig");
    expect(kubeconfigProblem("a: [b")).toMatch(/^is not YAML/);
  });
});

describe("npm run plan on an existing-cluster stack", () => {
  it("says it plans VM topologies only and points at pulumi preview, before running anything", async () => {
    const root = mkdtempSync(join(tmpdir(), "plan-existing-"));
    writeFileSync(join(root, "Pulumi.home.yaml"), "config:\n  flatcarmicrocloud:domain: home.example\n  flatcarmicrocloud:kubeconfig:\n    secure: v1:abc\n");
    const run = await runPlan({ root, stack: "home" });
    expect(run).toEqual({ text: expect.stringContaining("run `pulumi preview --stack home`"), exitCode: 2 });
  });
});
