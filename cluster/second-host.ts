/**
 * The room a second KVM host like the first would give pods (issue 19), for the capacity check's
 * refusals (apps/capacity.ts): the first host's threads, memory and reserved memory, reached over
 * `qemu+ssh` (so no Pulumi run on it), holding as many K3s agents like the first host's largest
 * schedulable one as its threads and its memory (with qemu's and libvirt's overhead,
 * config/host-memory.ts) take. Each agent's allocatable is the kubelet's after the K3s reservations
 * (./reservations.ts): the same model that sizes the first host's nodes, so the figure is what the
 * stack would really gain, before the platform's DaemonSets take their share on each new node.
 */
import { ClusterNode, isSchedulable, MoreRoom } from "../cluster-facts";
import { ZONE_LABEL } from "../config/failure-domains";
import { hostMemoryBudget } from "../config/host-memory";
import { isK3sNode, Topology, VmSpec, vmsOn } from "../config/topology";
import { allocatable } from "./reservations";

/** How many copies of `vm` a host of `threads` and `memoryGiB` holds (no Pulumi run on it). */
export function agentsThatFit(host: { threads: number; memoryGiB: number; reservedMemoryGiB: number }, vm: Pick<VmSpec, "vcpus" | "memoryMiB">): number {
  const remote = { ...host, libvirtUri: "qemu+ssh://second-host/system" };
  let n = 0;
  while ((n + 1) * vm.vcpus <= host.threads && hostMemoryBudget(remote, Array.from({ length: n + 1 }, () => vm)).fits) n += 1;
  return n;
}

export function secondHostRoom(topology: Topology): MoreRoom {
  const first = topology.hosts[0];
  const candidates = vmsOn(topology, first).filter((vm) => isK3sNode(vm) && isSchedulable(vm));
  const agents = candidates.filter((vm) => vm.role === "k3s-agent");
  const like = [...(agents.length > 0 ? agents : candidates)].sort((a, b) => b.memoryMiB - a.memoryMiB || b.vcpus - a.vcpus)[0];
  const name = `${first.name}-like`;
  if (!like) return { kind: "secondHost", description: `a second host like ${first.name} (which has no schedulable K3s node to copy)`, nodes: [] };
  const count = agentsThatFit(first, like);
  const agent = { vcpus: like.vcpus, memoryMiB: like.memoryMiB, role: "k3s-agent" as const };
  const nodes: ClusterNode[] = Array.from({ length: count }, (_, i) => ({
    name: `${name}-agent${i + 1}`,
    role: "k3s-agent",
    address: "",
    taints: [],
    allocatable: allocatable(agent),
    host: name,
    topologyLabels: { [ZONE_LABEL]: name },
  }));
  return {
    kind: "secondHost",
    description: `a second host like ${first.name} (${first.threads} threads, ${first.memoryGiB} GiB) holding ${count} K3s agent${count === 1 ? "" : "s"} like ${like.name} (${like.vcpus} vCPU, ${like.memoryMiB} MiB)`,
    nodes,
  };
}
