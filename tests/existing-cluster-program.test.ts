/**
 * The program on an existing cluster (`kubeconfig`, `existingNodes`) with a chart mirror
 * (`chartMirror`): stages 3-4 only, through one Kubernetes provider built from the secret kubeconfig;
 * no libvirt object, no SSH command; every Helm release from the mirror.
 */
import { chartName } from "../platform/chart-source";
import { flannelNodeAddresses } from "../platform/node-sources";
import { RELEASES } from "../platform/releases";
import { CHARTS } from "../versions";
import { existingClusterConfig } from "./helpers/existing-cluster";
import { machineOutputs } from "./helpers/machine-outputs";
import { Harness, isSecretAt, resolveOutput, startHarness } from "./helpers/pulumi-harness";

const MIRROR = "http://127.0.0.1:8879/charts";
let h: Harness;
let program: typeof import("../index");

beforeAll(async () => {
  h = await startHarness({
    stack: "lab",
    config: existingClusterConfig({ chartMirror: `${MIRROR}/`, existingPodCidr: "10.244.0.0/16" }),
    secretKeys: ["kubeconfig"],
    outputsFor: machineOutputs,
  });
  program = await import("../index");
  await h.settle();
}, 300_000);

it("builds nothing of stages 1-2: no libvirt object, no command, no K3s", () => {
  const types = [...new Set(h.all().map((r) => r.type))];
  expect(types.filter((t) => /^(libvirt|command|pulumi:providers:(libvirt|command))/.test(t))).toEqual([]);
  expect(h.all().filter((r) => r.name.startsWith("infra") || r.name.startsWith("cluster") || r.name.startsWith("guest-roles"))).toEqual([]);
});

it("reaches the cluster through one provider made from the secret kubeconfig, with its own cluster identifier", () => {
  const providers = h.byType("pulumi:providers:kubernetes");
  expect(providers.map((p) => p.name)).toEqual(["existing-cluster-provider"]);
  expect(isSecretAt(providers[0].rawInputs, ["kubeconfig"])).toBe(true);
  expect(providers[0].inputs.clusterIdentifier).toBe("flatcarmicrocloud-lab-existing");
  const k8sObjects = h.all().filter((r) => r.custom && r.type.startsWith("kubernetes:"));
  expect(k8sObjects.length).toBeGreaterThan(50);
  expect(k8sObjects.filter((r) => !r.provider.includes("existing-cluster-provider"))).toEqual([]);
  // No cluster token to go with: destroy uninstalls the platform from the cluster, which stays.
  expect(k8sObjects.filter((r) => r.deletedWith !== "")).toEqual([]);
});

it("installs every release but cert-manager (no FreeIPA), kured (nodes not Flatcar), the volume backups' (no backup target), the Tekton operator (no builds), the registry (no `registry` key), Argo CD (no `gitops` key), the logs' (no `logs` key) and the VPA (no `vpa` key), each from the mirror at its pinned version", () => {
  const releases = h.byType("kubernetes:helm.sh/v3:Release");
  expect(releases.map((r) => r.inputs.name).sort()).toEqual(
    Object.values(RELEASES).map((r) => r.name).filter((n) => !["cert-manager", "kured", "velero", "snapshot-controller", "tekton-operator", "zot", "argocd", "eck-operator", "eck-stack", "fluent-bit", "loki", "vpa"].includes(n)).sort(),
  );
  for (const r of releases) {
    const key = (Object.keys(RELEASES) as (keyof typeof RELEASES)[]).find((k) => RELEASES[k].name === r.inputs.name) as keyof typeof CHARTS;
    expect({ release: r.inputs.name, chart: r.inputs.chart, version: r.inputs.version, repositoryOpts: r.inputs.repositoryOpts }).toEqual({
      release: r.inputs.name,
      chart: chartName(key),
      version: CHARTS[key].version,
      repositoryOpts: { repo: MIRROR },
    });
  }
  // The OCI-only chart too, by its name in the mirror's index.
  expect(releases.find((r) => r.inputs.name === "strimzi")?.inputs.chart).toBe("strimzi-kafka-operator");
});

it("plans Ceph on the listed disks and the policies on the listed addresses and pod range", () => {
  const cluster = h.byType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "rook-ceph-cluster");
  const nodes = (cluster?.inputs.values as { cephClusterSpec: { storage: { nodes: { name: string; devices: { name: string }[] }[] } } }).cephClusterSpec.storage.nodes;
  expect(nodes).toEqual(["agent1", "agent2", "agent3"].map((name) => ({ name, devices: [{ name: "sdb" }] })));
  // Node sources: the flannel.1 address of every node subnet of the configured pod range (node-sources.ts).
  const fromNodes = h.byName("platform-rook-ceph-allow-from-nodes").inputs.spec as { ingress: { from: { ipBlock: { cidr: string } }[] }[] };
  expect(fromNodes.ingress[0].from.map((p) => p.ipBlock.cidr)).toEqual(flannelNodeAddresses("10.244.0.0/16"));
  expect(fromNodes.ingress[0].from.slice(0, 2).map((p) => p.ipBlock.cidr)).toEqual(["10.244.0.0/32", "10.244.1.0/32"]);
  const toNodes = h.byName("platform-rook-ceph-allow-to-nodes").inputs.spec as { egress: { to: { ipBlock: { cidr: string } }[] }[] };
  expect(toNodes.egress[0].to.map((p) => p.ipBlock.cidr)).toEqual(["192.168.50.11/32", "192.168.50.12/32", "192.168.50.21/32", "192.168.50.22/32", "192.168.50.23/32"]);
  const api = h.byName("platform-kafka-allow-api-server").inputs.spec as { egress: { to: { ipBlock: { cidr: string } }[] }[] };
  expect(api.egress[0].to.map((p) => p.ipBlock.cidr)).toEqual(["192.168.50.11/32", "192.168.50.12/32"]);
});

it("exposes Traefik and Mosquitto as NodePorts by default; no ClusterIssuer, no Certificate", () => {
  const values = (name: string) => h.byType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === name)?.inputs.values as { service: Record<string, unknown> };
  expect(values("traefik").service).toEqual({ spec: { type: "NodePort" } });
  expect(values("mosquitto").service).toMatchObject({ type: "NodePort", mqttNodePort: 31883 });
  expect(h.all().filter((r) => ["ClusterIssuer", "Certificate"].includes(String(r.inputs.kind)))).toEqual([]);
});

it("outputs the kubeconfig as a secret, the nodes' names, and the ingress on the first worker's NodePorts", async () => {
  const kubeconfig = await resolveOutput(program.kubeconfig as import("@pulumi/pulumi").Output<string>);
  expect(kubeconfig.secret).toBe(true);
  expect(program.k3sNodes).toEqual(["server1", "server2", "agent1", "agent2", "agent3"]);
  expect(program.nodes).toBeUndefined();
  expect(program.deployment).toBeUndefined();
  expect(program.endpoints?.mqttExternal).toBe("mqtt://192.168.50.21:31883");
  expect(program.urls?.grafana).toBe("https://grafana.home.example:30443/");
  expect(program.capacityBudget?.allocatable).toEqual({ cpuMilli: 3 * 3500, memoryMiB: 5374 + 5374 + 5374 });
});
