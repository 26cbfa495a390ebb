/**
 * Day two of a K3s node, as a real `pulumi up` runs it: stage 1 and stage 2 recorded before and after
 * a change under the mock engine, and the replacements derived from the providers' rules
 * (plan/day-two-model.ts on infra/replace-semantics.json), not from the mocks' view.
 *
 * - a resize (vcpus, memoryMiB: ForceNew on the domain) re-creates only the VM, on the same disks:
 *   the node is drained before the old domain goes and uncordoned once the new one is Ready; K3s is
 *   neither uninstalled nor reinstalled and the node stays a member of the cluster;
 * - a new root disk (a new machine) drains the node, uninstalls K3s and removes the node from the
 *   cluster while the old VM still runs, then installs and joins afresh; the first server joins the
 *   other servers instead of initialising a new cluster.
 */
import * as pulumi from "@pulumi/pulumi";
import { K3sCluster } from "../cluster";
import { parseClusterSettings } from "../config/cluster";
import { Topology } from "../config/topology";
import { parseTopology } from "../config/validate";
import { Infra } from "../infra";
import { dayTwo, DayTwoResult } from "../plan/day-two-model";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { machineOutputs } from "./helpers/machine-outputs";
import { rawStack } from "./helpers/stacks";
import { pemBlock } from "../plan/stack-config";
import { renderShutdownVm } from "../cluster/scripts";
import { remoteCommand } from "../shell";

const SSH_KEY = pemBlock("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAA");
const prod = parseTopology(rawStack("prod"), "prod");

let h: Harness;

function variant(prefix: string, edit: (t: Topology) => void = () => undefined): void {
  const topology = structuredClone(prod);
  edit(topology);
  const infra = new Infra(`${prefix}-infra`, { topology });
  new K3sCluster(`${prefix}-cluster`, {
    nodes: infra.nodes,
    settings: parseClusterSettings({}, topology),
    sshPrivateKey: pulumi.secret(SSH_KEY),
  });
}

const vm = (t: Topology, name: string) => t.vms.find((v) => v.name === name) as Topology["vms"][number];

beforeAll(async () => {
  h = await startHarness({ stack: "prod", outputsFor: machineOutputs });
  variant("base");
  variant("again");
  variant("resized", (t) => {
    vm(t, "worker3").vcpus = 6;
  });
  variant("bigger-server", (t) => {
    vm(t, "bootstrap1").memoryMiB += 512;
  });
  // A pinned MAC is part of the node's first-boot identity: a new root disk, a new machine.
  variant("new-disk", (t) => {
    vm(t, "worker3").nics[0].mac = "52:54:00:00:00:33";
  });
  variant("new-first-server", (t) => {
    vm(t, "bootstrap1").nics[0].mac = "52:54:00:00:00:14";
  });
  await h.settle();
});

const compare = (after: string): DayTwoResult => dayTwo(h.all(), h.all(), "base", after);

it("changes nothing when nothing changed", () => {
  const r = compare("again");
  expect([...r.replaced, ...r.updated, ...r.created, ...r.deleted]).toEqual([]);
});

describe("resizing a K3s agent (vcpus)", () => {
  const r = () => compare("resized");

  it("re-creates its VM only, on the same root and Ceph disks", () => {
    expect(r().replaced.filter((n) => n.startsWith("infra-"))).toEqual(["infra-worker3"]);
    expect(r().changes.get("infra-worker3")?.replaceKeys).toEqual(["vcpu"]);
    expect(r().changes.get("infra-worker3-root")?.change).toBe("same");
    expect(r().changes.get("infra-worker3-ceph-osd")?.change).toBe("same");
  });

  it("never uninstalls or reinstalls K3s, and never removes the node from the cluster", () => {
    expect(r().replaced).not.toContain("cluster-worker3-k3s");
    expect(r().replaced).not.toContain("cluster-worker3-membership");
    // The install may re-run its idempotent script (its connection follows the VM), never its delete.
    expect(["same", "update"]).toContain(r().changes.get("cluster-worker3-k3s")?.change);
  });

  it("drains the node before the old VM goes and uncordons it once the new one is Ready", () => {
    // deleteBeforeReplace on the domain: the engine deletes the dependents it replaces first.
    expect(r().deletedBefore.get("infra-worker3")).toEqual(expect.arrayContaining(["cluster-worker3-member"]));
    const member = h.byName("resized-cluster-worker3-member");
    expect(member.inputs.delete).toMatch(/kube cordon/);
    expect(member.inputs.delete).not.toMatch(/kube delete node/);
    expect(member.inputs.create).toMatch(/kube uncordon/);
    expect(h.dependsOn(member, h.byName("resized-infra-worker3"))).toBe(true);
    expect(h.dependsOn(member, h.byName("resized-cluster-worker3-k3s"))).toBe(true);
  });

  it("powers the guest off cleanly after every step on it, right before its domain is deleted", () => {
    // Reverse dependency order: the drain and the steps on the node, then the shutdown, then the domain.
    const first = r().deletedBefore.get("infra-worker3") ?? [];
    const at = (n: string) => first.indexOf(n);
    for (const step of ["member", "ceph-state", "boot"]) {
      expect(at(`cluster-worker3-${step}`)).toBeGreaterThanOrEqual(0);
      expect(at(`cluster-worker3-${step}`)).toBeLessThan(at("cluster-worker3-shutdown"));
    }
    const shutdown = h.byName("resized-cluster-worker3-shutdown");
    expect(shutdown.type).toBe("command:local:Command");
    expect(shutdown.inputs.create).toBeUndefined();
    expect(shutdown.inputs.delete).toContain("virt shutdown");
    expect(shutdown.inputs.delete).toBe(
      remoteCommand(renderShutdownVm({ libvirtUri: prod.hosts[0].libvirtUri, domain: "worker3" }), { name: "shutdown-vm", root: false }),
    );
    expect(shutdown.inputs.delete).not.toMatch(/virt destroy/);
  });

  it("a storage node's drain waits for a clean Ceph; a drain that cannot finish fails the run", () => {
    const member = h.byName("resized-cluster-worker3-member");
    expect(member.inputs.delete).toMatch(/STORAGE_NODE=\W*yes\W/);
    expect(member.inputs.delete).toMatch(/if ! kube drain .*\n(.*\n){4}.*die "drain did not complete/);
    expect(h.byName("resized-cluster-bootstrap1-member").inputs.delete).toMatch(/STORAGE_NODE=\W*no\W/);
  });

  it("touches no other node", () => {
    const others = [...r().replaced, ...r().updated].filter((n) => !n.includes("worker3"));
    expect(others).toEqual([]);
  });
});

describe("resizing the first server (memoryMiB)", () => {
  const r = () => compare("bigger-server");

  it("re-creates its VM only and keeps K3s, its data and its etcd membership", () => {
    expect(r().replaced.filter((n) => n.startsWith("infra-"))).toEqual(["infra-bootstrap1"]);
    for (const step of ["k3s", "membership", "kubeconfig"]) {
      const name = step === "kubeconfig" ? "cluster-kubeconfig" : `cluster-bootstrap1-${step}`;
      expect(r().replaced).not.toContain(name);
    }
    expect(r().deletedBefore.get("infra-bootstrap1")).toEqual(expect.arrayContaining(["cluster-bootstrap1-member"]));
  });

  it("is drained through the other server, whose API answers while it is down", () => {
    const member = h.byName("bigger-server-cluster-bootstrap1-member");
    expect((member.inputs.connection as { host: string }).host).toBe(vm(prod, "master1").nics[0].address);
  });
});

describe("a new root disk for a K3s agent (a new machine)", () => {
  const r = () => compare("new-disk");

  it("replaces that node's disk, VM and K3s steps, and nothing of any other node", () => {
    expect(r().replaced.filter((n) => n.startsWith("infra-")).sort()).toEqual(["infra-worker3", "infra-worker3-ignition", "infra-worker3-root"]);
    expect(r().replaced).toEqual(expect.arrayContaining(["cluster-worker3-k3s", "cluster-worker3-membership", "cluster-worker3-member"]));
    expect(r().changes.get("infra-worker3-ceph-osd")?.change).toBe("same");
    expect([...r().replaced, ...r().updated].filter((n) => !n.includes("worker3"))).toEqual([]);
  });

  it("drains, uninstalls and removes the old node while the old VM still runs, then the new machine joins", () => {
    // deleteBeforeReplace on the root volume: its dependents go first, in reverse dependency order.
    const first = r().deletedBefore.get("infra-worker3-root") ?? [];
    const at = (n: string) => first.indexOf(n);
    for (const n of ["cluster-worker3-member", "cluster-worker3-k3s", "cluster-worker3-membership", "infra-worker3"]) expect(at(n)).toBeGreaterThanOrEqual(0);
    expect(at("cluster-worker3-member")).toBeLessThan(at("cluster-worker3-k3s"));
    expect(at("cluster-worker3-k3s")).toBeLessThan(at("cluster-worker3-membership"));
    expect(at("cluster-worker3-membership")).toBeLessThan(at("infra-worker3"));
    // K3s is uninstalled while the guest runs; it powers off cleanly just before its domain goes.
    expect(at("cluster-worker3-k3s")).toBeLessThan(at("cluster-worker3-shutdown"));
    expect(at("cluster-worker3-shutdown")).toBeLessThan(at("infra-worker3"));
  });
});

it("every step that runs on a K3s node (or drains it) is deleted before its shutdown step: it waits for it", () => {
  for (const node of ["bootstrap1", "master1", "worker1", "worker3"]) {
    const shutdown = h.byName(`base-cluster-${node}-shutdown`);
    for (const step of ["boot", "k3s", "member", ...(node.startsWith("worker") ? ["ceph-state"] : [])]) {
      expect([step, h.dependsOn(h.byName(`base-cluster-${node}-${step}`), shutdown)]).toEqual([step, true]);
    }
    // Removing the node: the engine deletes in reverse dependency order, so nothing is cut off.
    expect(shutdown.deletedWith).toBe(h.byName("base-cluster-token").urn);
  }
});

describe("a new root disk for the first server", () => {
  it("joins the running servers instead of initialising a new cluster", () => {
    const install = h.byName("new-first-server-cluster-bootstrap1-k3s");
    const script = String(install.inputs.create).replaceAll(`'\\''`, "'");
    expect(script).toContain(`PEER_SERVERS=('https://${vm(prod, "master1").nics[0].address}:6443')`);
    expect(compare("new-first-server").replaced).toContain("cluster-bootstrap1-k3s");
  });
});
