/**
 * The K3sCluster component under the SDK's mock engine, on the prod topology and variants of it
 * (a worker added, one removed, another K3s version, a bastion, the dev stack without a load
 * balancer). Each day-two behaviour is shown on
 * the resource graph: which inputs change (update in place), which do not (nothing re-runs), which
 * resources depend on which (the order Pulumi creates, updates and deletes them in).
 */
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { ClusterSettings, parseClusterSettings, RawClusterConfig } from "../config/cluster";
import { Topology } from "../config/topology";
import { parseTopology } from "../config/validate";
import { describeNode, withSshProxyReady } from "../infra/nodes";
import { Infra } from "../infra";
import { loadBalancerListeners } from "../infra/roles/loadbalancer";
import { InfraNode, K3sCluster, K3sClusterArgs } from "../cluster";
import { clusterDnsFor, COREDNS_ROLL_ANNOTATION, corednsBlockHash, renderCorednsServerBlock } from "../cluster/cluster-dns";
import { renderFlannelIfaceHelper } from "../cluster/scripts";
import { shellQuote } from "../shell";
import { K3S_VERSION } from "../versions";
import { Harness, isSecretAt, Recorded, resolveOutput, startHarness } from "./helpers/pulumi-harness";
import { rawStack } from "./helpers/stacks";
import { parseBackupSettings } from "../config/backup";
import { MACHINE_ID, machineOutputs, TOKEN } from "./helpers/machine-outputs";
import { pemBlock } from "../plan/stack-config";

const SSH_KEY = pemBlock("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAA");
/** The token of a lost cluster, given to its rebuilt stack as k3sToken. */
const OLD_TOKEN = "0ldClusterT0ken0ldClusterT0ken0ldClusterT0ken00";
const BACKUP_CREDENTIALS = { accessKeyId: "AKIAFMCCLUSTER", secretAccessKey: "cluster-test-secret-key" };
const BACKUP_SETTINGS = parseBackupSettings(
  { backupS3Endpoint: "https://s3.example.net", backupS3Bucket: "fmc-backups" },
  { backupS3AccessKeyId: { value: BACKUP_CREDENTIALS.accessKeyId, secret: true }, backupS3SecretAccessKey: { value: BACKUP_CREDENTIALS.secretAccessKey, secret: true }, backupPassphrase: { value: "a long test passphrase 0123", secret: true } },
  "prod",
);

/** Stands in for stage 1's libvirt domain, so the graph shows what follows the VM. */
class FakeDomain extends pulumi.CustomResource {
  constructor(name: string) {
    super("libvirt:index/domain:Domain", name, {}, {});
  }
}

/** Stands in for stage 1's root volume: what follows the machine (its disk). */
class FakeVolume extends pulumi.CustomResource {
  constructor(name: string) {
    super("libvirt:index/volume:Volume", name, {}, {});
  }
}

let h: Harness;
const clusters: Record<string, K3sCluster> = {};
/** Stage 1's nodes each cluster was built from. */
const stage1: Record<string, InfraNode[]> = {};

const prodTopology = parseTopology(rawStack("prod"), "prod");

/** prod with `edit` applied to a copy of its VM list (sizes are not re-checked: stage 2 does not care). */
function prodWith(edit: (vms: Topology["vms"]) => Topology["vms"]): Topology {
  const t = structuredClone(prodTopology);
  return { ...t, vms: edit(t.vms) };
}

function build(prefix: string, topology: Topology, raw: RawClusterConfig = {}): ClusterSettings {
  const nodes: InfraNode[] = topology.vms.map((vm) => ({
    ...describeNode(vm, topology),
    domainId: new FakeDomain(`${prefix}-vm-${vm.name}`).id,
    rootVolumeId: new FakeVolume(`${prefix}-vm-${vm.name}-root`).id,
  }));
  return buildOn(prefix, topology, nodes, raw);
}

/** Stands in for FreeIPA's records command (GuestRoles.reconcile). */
class FakeRecords extends pulumi.CustomResource {
  constructor(name: string) {
    super("command:remote:Command", name, {}, {});
  }
}

function buildOn(prefix: string, topology: Topology, nodes: InfraNode[], raw: RawClusterConfig = {}, dns?: Pick<K3sClusterArgs, "clusterDns" | "dnsRecordsServed" | "backup" | "token">): ClusterSettings {
  const settings = parseClusterSettings(raw, topology);
  stage1[prefix] = nodes;
  clusters[prefix] = new K3sCluster(prefix, { nodes, settings, sshPrivateKey: pulumi.secret(SSH_KEY), ...dns });
  return settings;
}

/** prod's nodes with the cluster DNS of `topology`, after a fake FreeIPA records command. */
function buildWithDns(prefix: string, topology: Topology): void {
  const nodes: InfraNode[] = prodTopology.vms.map((vm) => ({
    ...describeNode(vm, prodTopology),
    domainId: new FakeDomain(`${prefix}-vm-${vm.name}`).id,
    rootVolumeId: new FakeVolume(`${prefix}-vm-${vm.name}-root`).id,
  }));
  buildOn(prefix, prodTopology, nodes, {}, { clusterDns: clusterDnsFor(topology), dnsRecordsServed: [new FakeRecords(`${prefix}-vm-freeipa-records`)] });
}

beforeAll(async () => {
  h = await startHarness({
    stack: "prod",
    outputsFor: machineOutputs,
  });
  build("base", prodTopology);
  build(
    "grown",
    prodWith((vms) => {
      const w = structuredClone(vms.find((v) => v.name === "worker3") as Topology["vms"][number]);
      w.name = "worker4";
      w.nics[0].address = "10.17.4.27";
      return [...vms, w];
    }),
  );
  build("shrunk", prodWith((vms) => vms.filter((v) => v.name !== "worker3")));
  build("upgraded", prodTopology, { k3sVersion: "v1.36.6+k3s1" });
  // With an off-host backup target: K3s's etcd snapshots go there (cluster/etcd-snapshots.ts).
  buildOn(
    "backups",
    prodTopology,
    prodTopology.vms.map((vm) => ({ ...describeNode(vm, prodTopology), domainId: new FakeDomain(`backups-vm-${vm.name}`).id, rootVolumeId: new FakeVolume(`backups-vm-${vm.name}-root`).id })),
    {},
    { backup: { settings: BACKUP_SETTINGS, credentials: pulumi.secret({ ...BACKUP_CREDENTIALS, passphrase: "a long test passphrase 0123" }) } },
  );
  // A rebuilt stack given its lost cluster's token (k3sToken), and a live one given its own token.
  const onFakes = (prefix: string) =>
    prodTopology.vms.map((vm) => ({ ...describeNode(vm, prodTopology), domainId: new FakeDomain(`${prefix}-vm-${vm.name}`).id, rootVolumeId: new FakeVolume(`${prefix}-vm-${vm.name}-root`).id }));
  buildOn("rebuilt", prodTopology, onFakes("rebuilt"), {}, { token: pulumi.secret(OLD_TOKEN) });
  buildOn("pinned", prodTopology, onFakes("pinned"), {}, { token: pulumi.secret(TOKEN) });
  // Through the bastion, on stage 1's real component (its domains are named `jump-vm-<vm>` too).
  buildOn("jump", prodTopology, new Infra("jump-vm", { topology: prodTopology, sshJumpHost: "bastion1" }).nodes);
  build("dev", parseTopology(rawStack("dev"), "dev"));
  build("elsewhere", prodTopology, { k3sApiHost: "api.example.org" });
  buildWithDns("resolv", prodTopology);
  // The same topology again (a re-run), and one whose FreeIPA moved on the cluster network.
  buildWithDns("resolvagain", prodTopology);
  buildWithDns(
    "resolvmoved",
    prodWith((vms) => {
      const ipa = vms.find((v) => v.name === "freeipa1") as Topology["vms"][number];
      ipa.nics = ipa.nics.map((n) => (n.network === "kube_network_03" ? { ...n, address: "10.17.4.31" } : n));
      return vms;
    }),
  );
  await h.settle();
  await Promise.all(Object.values(clusters).map((c) => resolveOutput(c.kubeconfig)));
});

const K3S_NODES = ["bootstrap1", "master1", "worker1", "worker2", "worker3"];
const get = (prefix: string, node: string, step: "boot" | "membership" | "k3s" | "member" | "ceph-state") => h.byName(`${prefix}-${node}-${step}`);
const exists = (name: string) => h.all().some((r) => r.name === name);
const str = (v: unknown) => v as string;

/** The script inside a command line `[sudo -n ]/bin/bash -c '<script>' <name>`. */
function scriptOf(line: unknown): string {
  const m = /^(?:sudo -n )?\/bin\/bash -c '([\s\S]*)' '[a-z0-9-]+'$/.exec(str(line));
  if (!m) throw new Error(`not a rendered command line: ${str(line).slice(0, 60)}`);
  return m[1].replaceAll(`'\\''`, "'");
}

/** A resource as the engine diffs it (inputs, options, dependencies), with its build's prefix removed. */
function shape(r: Recorded, prefix: string): string {
  const deps = h.dependencyNames(r).sort();
  return JSON.stringify({ type: r.type, inputs: r.inputs, deps, dbr: r.deleteBeforeReplace, aso: r.additionalSecretOutputs }).replaceAll(
    `${prefix}-`,
    "",
  );
}

function clusterResources(prefix: string): Recorded[] {
  return h.all().filter((r) => r.name.startsWith(`${prefix}-`) && !r.name.startsWith(`${prefix}-vm-`));
}

describe("resources", () => {
  it("per K3s node a boot wait, a membership step, a K3s install, a member step and a shutdown step; one token, one kubeconfig read, one provider", () => {
    const names = clusterResources("base").map((r) => r.name.replace("base-", ""));
    expect(names.sort()).toEqual(
      [
        "token",
        "kubeconfig",
        "api-gateway",
        "provider",
        ...K3S_NODES.flatMap((n) => [`${n}-boot`, `${n}-membership`, `${n}-k3s`, `${n}-member`, `${n}-shutdown`]),
        // Storage nodes: Ceph's state directory onto its own disk (infra/ceph-state-disk.ts).
        ...["worker1", "worker2", "worker3"].map((n) => `${n}-ceph-state`),
      ].sort(),
    );
    expect(h.byName("base-token").inputs).toMatchObject({ length: 48, special: false });
  });

  it("exports the API endpoint, node names by role and a provider with a stable cluster identifier", () => {
    const c = clusters.base;
    expect(c.apiEndpoint).toBe("https://10.17.3.12:6443");
    expect(c.nodeNames).toEqual({
      servers: ["bootstrap1", "master1"],
      agents: ["worker1", "worker2", "worker3"],
      storage: ["worker1", "worker2", "worker3"],
    });
    const provider = h.byName("base-provider");
    expect(provider.type).toBe("pulumi:providers:kubernetes");
    expect(provider.inputs.clusterIdentifier).toBe("flatcarmicrocloud-prod");
  });
});

describe("reaching the nodes", () => {
  it("SSH as core with the secret key, retries sized for a first boot, the host following the VM", () => {
    for (const node of K3S_NODES) {
      for (const step of ["boot", "k3s"] as const) {
        const r = get("base", node, step);
        const c = r.inputs.connection as Record<string, unknown>;
        expect(c).toMatchObject({ user: "core", privateKey: SSH_KEY, dialErrorLimit: 60, perDialTimeout: 10 });
        expect(c.proxy).toBeUndefined();
        expect(isSecretAt(r.rawInputs, ["connection"])).toBe(true);
        expect(r.propertyDependencies.connection).toContain(h.byName(`base-vm-${node}`).urn);
        // The boot wait follows the VM, the install the machine (its root disk).
        expect(r.inputs.triggers).toEqual([step === "boot" ? `base-vm-${node}-id` : `base-vm-${node}-root-id`]);
      }
    }
    expect((get("base", "bootstrap1", "k3s").inputs.connection as { host: string }).host).toBe("10.17.3.14");
    expect((get("base", "worker1", "k3s").inputs.connection as { host: string }).host).toBe("10.17.4.24");
  });

  it("through the bastion when a jump host is given, at the address the bastion reaches", () => {
    const c = get("jump", "bootstrap1", "k3s").inputs.connection as Record<string, unknown>;
    expect(c.host).toBe("10.17.3.14");
    expect(c.proxy).toMatchObject({ host: "192.168.0.22", user: "ops", privateKey: SSH_KEY, dialErrorLimit: 60, perDialTimeout: 10 });
    expect((get("jump", "worker2", "member").inputs.connection as Record<string, unknown>).proxy).toMatchObject({ host: "192.168.0.22" });
  });

  it("stage 1 hands every node behind the bastion the bastion's domain id, and only those", async () => {
    const nodes = stage1.jump;
    for (const n of nodes) {
      if (n.name === "bastion1") {
        expect(n.ssh.proxy).toBeUndefined();
        expect(n.sshProxyReady).toBeUndefined();
      } else {
        expect(n.ssh.proxy).toMatchObject({ host: "192.168.0.22" });
        expect((await resolveOutput(n.sshProxyReady as pulumi.Output<string>)).value).toBe("jump-vm-bastion1-id");
      }
    }
    expect(stage1.base.some((n) => n.sshProxyReady !== undefined)).toBe(false);
    expect(withSshProxyReady(stage1.base, undefined)).toEqual(stage1.base);
  });

  it("every command through the bastion waits for its VM, so a destroy drains and uninstalls before it goes", () => {
    const bastion = h.byName("jump-vm-bastion1");
    expect(bastion.type).toBe("libvirt:index/domain:Domain");
    const steps = [
      ...K3S_NODES.flatMap((n) => (["boot", "k3s", "member"] as const).map((step) => get("jump", n, step))),
      h.byName("jump-kubeconfig"),
      h.byName("jump-api-gateway"),
    ];
    for (const r of steps) {
      expect(r.propertyDependencies.connection).toContain(bastion.urn);
      expect(r.dependencies).toContain(bastion.urn);
    }
    // The steps whose delete runs a script: the uninstall (on the node) and the drain (on the first server).
    expect(scriptOf(get("jump", "worker1", "k3s").inputs.delete)).toContain("UNINSTALL=");
    expect(scriptOf(get("jump", "worker1", "member").inputs.delete)).toContain("kube drain");
    // Without a jump host nothing depends on the bastion.
    const baseBastion = h.byName("base-vm-bastion1");
    for (const r of clusterResources("base")) expect(h.dependsOn(r, baseBastion)).toBe(false);
  });

  it("the first step on every node waits for first boot; the install waits for it", () => {
    for (const node of K3S_NODES) {
      const boot = get("base", node, "boot");
      expect(str(boot.inputs.create)).toContain("systemctl is-system-running --wait");
      expect(h.dependencyNames(get("base", node, "k3s"))).toContain(`base-${node}-boot`);
    }
  });

  it("on a storage node, Ceph's state disk is mounted after boot and before K3s is installed; per VM, as root", () => {
    for (const node of ["worker1", "worker2", "worker3"]) {
      const state = get("base", node, "ceph-state");
      expect(h.dependencyNames(state)).toContain(`base-${node}-boot`);
      expect(h.dependencyNames(get("base", node, "k3s"))).toContain(`base-${node}-ceph-state`);
      expect(state.inputs.triggers).toEqual([`base-vm-${node}-id`]);
      expect(str(state.inputs.create)).toMatch(/^sudo -n \/bin\/bash -c .*var-lib-rook\.mount/s);
    }
    for (const node of ["bootstrap1", "master1"]) expect(h.all().some((r) => r.name === `base-${node}-ceph-state`)).toBe(false);
  });
});

describe("install", () => {
  const configOf = (prefix: string, node: string) => parse(str(get(prefix, node, "k3s").inputs.stdin)) as Record<string, unknown>;

  it("exactly one cluster-init, on the first server; every other node joins it", () => {
    const inits = K3S_NODES.filter((n) => configOf("base", n)["cluster-init"] === true);
    expect(inits).toEqual(["bootstrap1"]);
    for (const n of K3S_NODES.slice(1)) expect(configOf("base", n).server).toBe("https://10.17.4.14:6443");
  });

  it("the shared token comes from random.RandomPassword and reaches the nodes only as secret stdin", () => {
    for (const n of K3S_NODES) {
      const r = get("base", n, "k3s");
      expect(configOf("base", n).token).toBe(TOKEN);
      expect(isSecretAt(r.rawInputs, ["stdin"])).toBe(true);
      expect(r.additionalSecretOutputs).toContain("stdin");
      expect(r.dependencies).toContain(h.byName("base-token").urn);
      for (const key of ["create", "update", "delete"]) expect(str(r.inputs[key])).not.toContain(TOKEN);
    }
  });

  it("installs the pinned version as root; update runs the same script as create", () => {
    const r = get("base", "worker1", "k3s");
    expect(str(r.inputs.create)).toMatch(/^sudo -n \/bin\/bash -c /);
    expect(scriptOf(r.inputs.create)).toContain(`VERSION='${K3S_VERSION}'`);
    expect(r.inputs.update).toBe(r.inputs.create);
  });

  it("each node's install carries its own flannel interface helper: its cluster address and stage 1's NIC name", () => {
    for (const node of stage1.base.filter((n) => K3S_NODES.includes(n.name))) {
      const helper = renderFlannelIfaceHelper({ nodeName: node.name, nodeIp: node.clusterAddress as string, expectedIface: node.clusterIface as string });
      expect(scriptOf(get("base", node.name, "k3s").inputs.create)).toContain(`FLANNEL_IFACE_HELPER_SCRIPT=${shellQuote(helper.trimEnd())}\n`);
    }
    expect(scriptOf(get("base", "bootstrap1", "k3s").inputs.create)).toContain(shellQuote(renderFlannelIfaceHelper({ nodeName: "bootstrap1", nodeIp: "10.17.4.14", expectedIface: "nic1" }).trimEnd()));
  });

  it("servers join one at a time", () => {
    expect(h.dependsOn(get("base", "master1", "k3s"), get("base", "bootstrap1", "k3s"))).toBe(true);
    expect(h.dependsOn(get("base", "bootstrap1", "k3s"), get("base", "master1", "k3s"))).toBe(false);
  });

  it("agents join once the servers are up, without waiting for each other", () => {
    const agents = ["worker1", "worker2", "worker3"];
    for (const a of agents) {
      expect(h.dependencyNames(get("base", a, "k3s"))).toContain("base-master1-k3s");
      for (const b of agents.filter((x) => x !== a)) {
        for (const step of ["boot", "k3s", "member"] as const) {
          expect(h.dependsOn(get("base", a, "k3s"), get("base", b, step))).toBe(false);
          expect(h.dependsOn(get("base", a, "member"), get("base", b, step))).toBe(false);
        }
      }
    }
  });

  it("labels and taints are set from the first server once each node is Ready", () => {
    const member = get("base", "worker2", "member");
    expect(scriptOf(member.inputs.create)).toContain("flatcarmicrocloud.io/storage=ceph");
    expect(scriptOf(get("base", "master1", "member").inputs.create)).toContain("node-role.kubernetes.io/control-plane=true:NoSchedule");
    expect((member.inputs.connection as { host: string }).host).toBe("10.17.3.14");
    expect(h.dependencyNames(member)).toEqual(expect.arrayContaining(["base-worker2-k3s", "base-bootstrap1-k3s"]));
  });
});

describe("etcd snapshots to the backup target", () => {
  const configOf = (prefix: string, node: string) => parse(str(get(prefix, node, "k3s").inputs.stdin)) as Record<string, unknown>;

  it("the servers' config.yaml carries K3s's etcd-s3 keys and the target's credentials, in the secret stdin only", () => {
    for (const n of ["bootstrap1", "master1"]) {
      const r = get("backups", n, "k3s");
      expect(configOf("backups", n)).toMatchObject({
        "etcd-s3": true,
        "etcd-s3-endpoint": "s3.example.net",
        "etcd-s3-bucket": "fmc-backups",
        "etcd-s3-folder": "flatcarmicrocloud/prod/etcd",
        "etcd-s3-access-key": BACKUP_CREDENTIALS.accessKeyId,
        "etcd-s3-secret-key": BACKUP_CREDENTIALS.secretAccessKey,
        "etcd-snapshot-schedule-cron": "0 */6 * * *",
      });
      expect(isSecretAt(r.rawInputs, ["stdin"])).toBe(true);
      expect(r.additionalSecretOutputs).toContain("stdin");
      for (const key of ["create", "update", "delete"]) expect(str(r.inputs[key])).not.toContain(BACKUP_CREDENTIALS.secretAccessKey);
    }
    for (const n of ["worker1", "worker2", "worker3"]) expect(Object.keys(configOf("backups", n)).filter((k) => k.startsWith("etcd-"))).toEqual([]);
    // Nothing else of the cluster sees them.
    const elsewhere = clusterResources("backups").filter((r) => !r.name.endsWith("-k3s"));
    expect(elsewhere.filter((r) => JSON.stringify(r.inputs).includes(BACKUP_CREDENTIALS.secretAccessKey)).map((r) => r.name)).toEqual([]);
  });

  it("only the servers' config changes with a target: the same steps, the same scripts", () => {
    for (const n of K3S_NODES) {
      const before = get("base", n, "k3s");
      const after = get("backups", n, "k3s");
      expect(after.inputs.create).toBe(before.inputs.create);
      expect(after.inputs.stdin === before.inputs.stdin).toBe(n.startsWith("worker"));
    }
  });

  it("the server token is a secret output of the component (an etcd restore needs it)", async () => {
    expect(await resolveOutput(clusters.base.token)).toEqual({ value: TOKEN, secret: true });
  });

  it("k3sToken: every node gets the configured token instead of the generated one, which stays in the stack", async () => {
    for (const n of K3S_NODES) {
      expect(configOf("rebuilt", n).token).toBe(OLD_TOKEN);
      expect(isSecretAt(get("rebuilt", n, "k3s").rawInputs, ["stdin"])).toBe(true);
    }
    expect(await resolveOutput(clusters.rebuilt.token)).toEqual({ value: OLD_TOKEN, secret: true });
    // The generated token is still the cluster's lifetime: setting the key deletes nothing.
    expect(exists("rebuilt-token")).toBe(true);
    expect(get("rebuilt", "worker1", "k3s").inputs.create).toBe(get("base", "worker1", "k3s").inputs.create);
  });

  it("k3sToken set to the token the cluster runs with changes no input of any step", () => {
    for (const r of clusterResources("base")) {
      const pinned = h.byName(r.name.replace(/^base-/, "pinned-"));
      expect([r.name, shape(pinned, "pinned")]).toEqual([r.name, shape(r, "base")]);
    }
  });
});

describe("kubeconfig and provider", () => {
  it("is read from the first server with logging off and stdout secret", () => {
    const read = h.byName("base-kubeconfig");
    expect(read.inputs.logging).toBe("none");
    expect(read.additionalSecretOutputs).toContain("stdout");
    // pulumi-command would otherwise hand the previous kubeconfig to the next run (SSH setenv).
    expect(read.inputs.addPreviousOutputInEnv).toBe(false);
    expect((read.inputs.connection as { host: string }).host).toBe("10.17.3.14");
    expect(h.dependencyNames(read)).toContain("base-bootstrap1-k3s");
  });

  it("no command whose stdout is secret hands it to its next run", () => {
    const secretStdout = h.all().filter((r) => r.type.startsWith("command:") && r.additionalSecretOutputs.includes("stdout"));
    expect(secretStdout.length).toBeGreaterThan(0);
    for (const r of secretStdout) expect([r.name, r.inputs.addPreviousOutputInEnv]).toEqual([r.name, false]);
  });

  it("the kubeconfig output is secret and points at the load balancer", async () => {
    const { value, secret } = await resolveOutput(clusters.base.kubeconfig);
    expect(secret).toBe(true);
    const doc = parse(value);
    expect(doc.clusters[0].cluster.server).toBe("https://10.17.3.12:6443");
    expect(doc["current-context"]).toBe("flatcarmicrocloud-prod");
  });

  it("the provider gets it as a secret and waits for every node to be Ready and labelled", () => {
    const provider = h.byName("base-provider");
    expect(isSecretAt(provider.rawInputs, ["kubeconfig"])).toBe(true);
    expect(parse(str(provider.inputs.kubeconfig)).clusters[0].cluster.server).toBe("https://10.17.3.12:6443");
    for (const n of K3S_NODES) expect(h.dependencyNames(provider)).toContain(`base-${n}-member`);
  });
});

describe("the API through the load balancer", () => {
  const gateway = () => h.byName("base-api-gateway");

  it("a step on the load balancer waits until HAProxy forwards the API, on an address HAProxy binds it to", () => {
    const r = gateway();
    expect(r.type).toBe("command:remote:Command");
    const c = r.inputs.connection as Record<string, unknown>;
    expect(c).toMatchObject({ host: "10.17.3.12", user: prodTopology.adminUser, privateKey: SSH_KEY, dialErrorLimit: 60 });
    expect(str(r.inputs.create)).toMatch(/^\/bin\/bash -c .* 'wait-for-api-gateway'$/s);
    const script = scriptOf(r.inputs.create);
    expect(script).toContain("API_URL='https://10.17.3.12:6443/readyz'");
    expect(script).toContain("TIMEOUT_SECONDS=900");
    const lb = prodTopology.vms.find((vm) => vm.role === "loadbalancer") as Topology["vms"][number];
    const api = loadBalancerListeners(lb, prodTopology).find((l) => l.name === "k3s-api");
    expect(api?.binds).toContain("10.17.3.12");
    expect(api?.port).toBe(6443);
  });

  it("runs after every server install, not after the agents, and again when the load balancer VM is replaced", () => {
    const r = gateway();
    expect(h.dependencyNames(r)).toEqual(expect.arrayContaining(["base-bootstrap1-k3s", "base-master1-k3s"]));
    for (const a of ["worker1", "worker2", "worker3"]) expect(h.dependsOn(r, get("base", a, "k3s"))).toBe(false);
    expect(r.inputs.triggers).toEqual(["base-vm-loadbalancer1-id"]);
    expect(r.inputs.delete).toBeUndefined();
  });

  it("the provider waits for it", () => {
    expect(h.dependencyNames(h.byName("base-provider"))).toContain("base-api-gateway");
    expect(h.dependencyNames(h.byName("jump-provider"))).toContain("jump-api-gateway");
  });

  it("dev (no load balancer) and an API host outside stage 1 have no such step; the provider waits as before", () => {
    expect(clusters.dev.apiEndpoint).toBe(`https://${parseClusterSettings({}, parseTopology(rawStack("dev"), "dev")).apiHost}:6443`);
    for (const prefix of ["dev", "elsewhere"]) {
      expect(exists(`${prefix}-api-gateway`)).toBe(false);
      const deps = h.dependencyNames(h.byName(`${prefix}-provider`));
      expect(deps.some((d) => d.endsWith("-api-gateway"))).toBe(false);
      expect(deps).toContain(`${prefix}-kubeconfig`);
    }
    expect(h.dependencyNames(h.byName("dev-provider")).sort()).toEqual(["dev-kubeconfig", "dev-server1-member", "dev-agent1-member"].sort());
  });
});

describe("day two", () => {
  it("a new K3s version changes only the install script: an in-place update, servers one at a time, then agents", () => {
    for (const n of K3S_NODES) {
      const before = get("base", n, "k3s");
      const after = get("upgraded", n, "k3s");
      expect(scriptOf(after.inputs.create)).toContain("VERSION='v1.36.6+k3s1'");
      expect(after.inputs.update).toBe(after.inputs.create);
      // Triggers (the only replace-on-change inputs) are untouched: the engine updates in place and
      // the provider runs `update`, never the uninstall in `delete`; the VM is not involved at all.
      expect(after.inputs.triggers).toEqual([`upgraded-vm-${n}-root-id`]);
      expect(after.replaceOnChanges).toEqual(before.replaceOnChanges);
      expect(after.inputs.stdin).toBe(before.inputs.stdin);
      expect(shape(get("upgraded", n, "boot"), "upgraded")).toBe(shape(get("base", n, "boot"), "base"));
      expect(shape(get("upgraded", n, "member"), "upgraded")).toBe(shape(get("base", n, "member"), "base"));
      expect(shape(get("upgraded", n, "membership"), "upgraded")).toBe(shape(get("base", n, "membership"), "base"));
    }
    expect(h.dependsOn(get("upgraded", "master1", "k3s"), get("upgraded", "bootstrap1", "k3s"))).toBe(true);
    for (const a of ["worker1", "worker2", "worker3"]) {
      expect(h.dependsOn(get("upgraded", a, "k3s"), get("upgraded", "master1", "k3s"))).toBe(true);
    }
    expect(clusterResources("upgraded").some((r) => r.type.startsWith("libvirt:"))).toBe(false);
  });

  it("adding a worker joins it and leaves every existing resource exactly as it was", () => {
    for (const r of clusterResources("base").filter((x) => x.name !== "base-provider")) {
      const same = h.byName(r.name.replace(/^base-/, "grown-"));
      expect(shape(same, "grown")).toBe(shape(r, "base"));
    }
    const w4 = get("grown", "worker4", "k3s");
    expect(parse(str(w4.inputs.stdin))).toMatchObject({ server: "https://10.17.4.14:6443", "node-ip": "10.17.4.27" });
    expect(h.dependencyNames(w4)).toContain("grown-master1-k3s");
    expect(["worker1", "worker2", "worker3"].some((a) => h.dependsOn(w4, get("grown", a, "k3s")))).toBe(false);
    expect(h.dependencyNames(h.byName("grown-provider"))).toContain("grown-worker4-member");
  });

  it("removing a worker drains it, uninstalls K3s on it, then deletes its Kubernetes node; the rest stays", () => {
    expect(h.all().some((r) => r.name.startsWith("shrunk-worker3"))).toBe(false);
    for (const r of clusterResources("shrunk").filter((x) => x.name !== "shrunk-provider")) {
      expect(shape(r, "shrunk")).toBe(shape(h.byName(r.name.replace(/^shrunk-/, "base-")), "base"));
    }
    // What the engine runs for the resources that disappear (their stored delete commands):
    const member = get("base", "worker3", "member");
    const install = get("base", "worker3", "k3s");
    const membership = get("base", "worker3", "membership");
    expect(scriptOf(member.inputs.delete)).toContain("NODE_NAME='worker3'");
    expect(scriptOf(member.inputs.delete)).toContain("kube drain");
    expect(scriptOf(member.inputs.delete)).not.toContain("kube delete node");
    expect(scriptOf(membership.inputs.delete)).toContain("NODE_NAME='worker3'");
    expect(scriptOf(membership.inputs.delete)).toContain('kube delete node "$NODE_NAME"');
    expect(membership.inputs.create).toBeUndefined();
    expect((member.inputs.connection as { host: string }).host).toBe("10.17.3.14");
    expect((membership.inputs.connection as { host: string }).host).toBe("10.17.3.14");
    expect(scriptOf(install.inputs.delete)).toContain("UNINSTALL='/opt/bin/k3s-agent-uninstall.sh'");
    expect(scriptOf(install.inputs.delete)).toContain(`EXPECTED_MACHINE_ID='${MACHINE_ID}'`);
    expect((install.inputs.connection as { host: string }).host).toBe("10.17.4.26");
    // Deletes run in reverse dependency order: the member step (drain) before the install
    // (uninstall), the install before the membership step (node deleted from Kubernetes).
    expect(h.dependsOn(member, install)).toBe(true);
    expect(h.dependsOn(install, membership)).toBe(true);
  });

  it("destroying the stack skips the per-node deletes (drain, uninstall, node removal): the VMs go with them", () => {
    const token = h.byName("base-token");
    for (const n of K3S_NODES) {
      for (const step of ["membership", "k3s", "member"] as const) expect(get("base", n, step).deletedWith).toBe(token.urn);
      expect(scriptOf(get("base", n, "k3s").inputs.delete)).toMatch(/UNINSTALL='\/opt\/bin\/k3s(-agent)?-uninstall.sh'/);
      expect(get("base", n, "boot").inputs.delete).toBeUndefined();
    }
    // Still ordered for a node removed from the config: agents before the servers they joined.
    for (const a of ["worker1", "worker2", "worker3"]) expect(h.dependsOn(get("base", a, "k3s"), get("base", "master1", "k3s"))).toBe(true);
    expect(h.dependsOn(get("base", "master1", "k3s"), get("base", "bootstrap1", "k3s"))).toBe(true);
    // The first server is drained and removed through the second one.
    expect((get("base", "bootstrap1", "member").inputs.connection as { host: string }).host).toBe("10.17.4.21");
    expect(scriptOf(get("base", "bootstrap1", "membership").inputs.delete)).toContain("NODE_NAME='bootstrap1'");
    expect(scriptOf(get("base", "master1", "member").inputs.delete)).toContain("NODE_NAME='master1'");
    // dev's single server has nobody to be removed through.
    expect(get("dev", "server1", "membership").inputs.delete).toBeUndefined();
  });

  it("a replaced VM gets K3s from scratch: the old node's steps are deleted first, guarded by its machine id", () => {
    for (const n of K3S_NODES) {
      for (const step of ["boot", "member"] as const) {
        const r = get("base", n, step);
        expect(r.inputs.triggers).toEqual([`base-vm-${n}-id`]);
        expect(r.deleteBeforeReplace).toBe(true);
      }
      for (const step of ["membership", "k3s"] as const) {
        const r = get("base", n, step);
        expect(r.inputs.triggers).toEqual([`base-vm-${n}-root-id`]);
        expect(r.deleteBeforeReplace).toBe(true);
      }
    }
    expect(h.byName("base-kubeconfig").inputs.triggers).toEqual(["base-vm-bootstrap1-root-id"]);
  });
});

describe("cluster DNS (CoreDNS sends FreeIPA's zones to FreeIPA)", () => {
  const block = renderCorednsServerBlock(clusterDnsFor(prodTopology) as NonNullable<ReturnType<typeof clusterDnsFor>>);
  const configMap = (prefix: string) => h.byName(`${prefix}-coredns-custom`);
  const roll = (prefix: string) => h.byName(`${prefix}-coredns-roll`);

  it("K3s's optional coredns-custom ConfigMap holds the server block, created once FreeIPA's records are in", () => {
    const cm = configMap("resolv");
    expect(cm.type).toBe("kubernetes:core/v1:ConfigMap");
    expect(cm.inputs).toMatchObject({ metadata: { namespace: "kube-system", name: "coredns-custom" }, data: { "flatcarmicrocloud.server": block } });
    expect(h.dependencyNames(cm)).toContain("resolv-vm-freeipa-records");
    expect(cm.provider).toContain("resolv-provider");
    // K3s's fixed name: a changed block replaces it delete-first (a second one could not exist).
    expect(cm.deleteBeforeReplace).toBe(true);
  });

  it("the CoreDNS pod template carries the block's hash, patched after the ConfigMap: a change rolls the pods", () => {
    const r = roll("resolv");
    expect(r.type).toBe("kubernetes:apps/v1:DeploymentPatch");
    expect(r.inputs).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { namespace: "kube-system", name: "coredns" },
      spec: { template: { metadata: { annotations: { [COREDNS_ROLL_ANNOTATION]: corednsBlockHash(block) } } } },
    });
    expect(h.dependencyNames(r)).toContain("resolv-coredns-custom");
    expect(clusters.resolv.clusterDnsReady.length).toBe(1);
  });

  it("both go with the cluster on destroy (deletedWith its token), like every other object on it", () => {
    for (const r of [configMap("resolv"), roll("resolv")]) expect(r.deletedWith).toBe(h.byName("resolv-token").urn);
  });

  it("a re-run with the same topology sends the same inputs: no diff, no roll", () => {
    expect(shape(configMap("resolvagain"), "resolvagain")).toBe(shape(configMap("resolv"), "resolv"));
    expect(shape(roll("resolvagain"), "resolvagain")).toBe(shape(roll("resolv"), "resolv"));
  });

  it("FreeIPA at another address changes the block and the hash, and nothing else in the cluster", () => {
    expect((configMap("resolvmoved").inputs.data as Record<string, string>)["flatcarmicrocloud.server"]).toContain("forward . 10.17.4.31\n");
    const hash = (p: string) => (roll(p).inputs as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template.metadata.annotations[COREDNS_ROLL_ANNOTATION];
    expect(hash("resolvmoved")).not.toBe(hash("resolv"));
    const others = (p: string) => clusterResources(p).filter((r) => !/-coredns-(custom|roll)$/.test(r.name));
    expect(others("resolvmoved").map((r) => shape(r, "resolvmoved"))).toEqual(others("resolv").map((r) => shape(r, "resolv")));
  });

  it("without FreeIPA (no cluster DNS given) there is neither, and nothing to wait for", () => {
    expect(exists("base-coredns-custom") || exists("base-coredns-roll") || exists("dev-coredns-custom")).toBe(false);
    expect(clusters.dev.clusterDnsReady).toEqual([]);
  });
});

describe("inconsistent inputs", () => {
  it("fails clearly when the settings name a node stage 1 does not have", () => {
    const settings = parseClusterSettings({}, prodTopology);
    const nodes: InfraNode[] = prodTopology.vms
      .filter((vm) => vm.name !== "master1")
      .map((vm) => ({ ...describeNode(vm, prodTopology), domainId: pulumi.output(`${vm.name}-id`), rootVolumeId: pulumi.output(`${vm.name}-root-id`) }));
    expect(() => new K3sCluster("broken", { nodes, settings, sshPrivateKey: SSH_KEY })).toThrow(
      "K3sCluster: the cluster settings name master1, but stage 1 has no such node",
    );
  });
});
