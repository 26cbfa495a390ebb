/**
 * A live stack gets the new steps around a K3s node's VM (a drain that fails the run, the Ceph
 * gate, the clean shutdown) before any of its nodes is re-created or removed. pulumi-command 1.2.1
 * runs the `delete` stored in the state with a command (provider/pkg/provider/remote
 * commandController.go: Delete reads req.State), and a replaced command is deleted with its old
 * state: only a run that updates the steps in place stores the new delete. So the day-two check
 * refuses node changes while the last record comes from an earlier program, and the Ceph state
 * disk rollout (which re-creates storage VMs by itself) waits one run.
 */
import { parseClusterSettings } from "../config/cluster";
import { parseRoleSettings } from "../config/roles";
import { parseTopology } from "../config/validate";
import { dayTwoProblems, DeploymentRecord, NODE_STEPS_VERSION } from "../infra/deployment-record";
import { deploymentRecord, plannedDeployment } from "../infra/machines";
import { rawStack, stackConfig } from "./helpers/stacks";

const prod = parseTopology(rawStack("prod"), "prod");
const roles = parseRoleSettings(stackConfig("prod"), prod);
const cluster = parseClusterSettings(stackConfig("prod"), prod);
const k3s = { servers: cluster.servers, agents: cluster.agents, k3sNodeChangesPerUp: 1 };

/** What an earlier program recorded: no nodeSteps (optionally no Ceph state disks either). */
function earlier(record: DeploymentRecord, stateDisks = true): DeploymentRecord {
  const rest: DeploymentRecord = { ...record };
  delete rest.nodeSteps;
  return stateDisks ? rest : { ...rest, machines: Object.fromEntries(Object.entries(rest.machines).map(([n, m]) => [n, { ...m, cephStateDiskGiB: undefined }])) };
}

const resized = (() => {
  const raw = structuredClone(rawStack("prod")) as { vms: { name: string; vcpus: number }[] };
  raw.vms.find((v) => v.name === "worker3")!.vcpus += 1;
  return parseTopology(raw, "prod");
})();
const worker3Key = `vms[${prod.vms.findIndex((v) => v.name === "worker3")}] (worker3)`;

it("this program records its node steps", () => {
  expect(deploymentRecord(prod, roles, k3s).nodeSteps).toBe(NODE_STEPS_VERSION);
});

it("a node change on a stack whose steps are an earlier program's is refused, naming the VM and what to do", () => {
  const previous = earlier(deploymentRecord(prod, roles, k3s));
  const problems = dayTwoProblems(previous, deploymentRecord(resized, roles, k3s), resized, k3s);
  expect(problems).toEqual([
    expect.stringMatching(new RegExp(`^${worker3Key.replace(/[[\]()]/g, "\\$&")}: this run would re-create or remove K3s node\\(s\\) worker3 \\(new VM\\).*Run \`pulumi up\` once without this change first`)),
  ]);
});

it("the run without node changes is admitted, records the new steps, and the change is admitted after it", () => {
  const previous = earlier(deploymentRecord(prod, roles, k3s));
  const first = plannedDeployment(previous, prod, roles, k3s).record;
  expect(dayTwoProblems(previous, first, prod, k3s)).toEqual([]);
  expect(first.nodeSteps).toBe(NODE_STEPS_VERSION);
  expect(dayTwoProblems(first, deploymentRecord(resized, roles, k3s), resized, k3s)).toEqual([]);
});

it("the Ceph state disk rollout re-creates no storage VM until the steps are updated, then one per run", () => {
  const older = earlier(deploymentRecord(prod, roles, k3s), false);
  const first = plannedDeployment(older, prod, roles, k3s);
  expect(first.stateDisks).toEqual({ attached: [], pending: ["worker1", "worker2", "worker3"] });
  expect(dayTwoProblems(older, first.record, prod, k3s)).toEqual([]);
  const second = plannedDeployment(first.record, prod, roles, k3s);
  expect(second.stateDisks).toEqual({ attached: ["worker1"], pending: ["worker2", "worker3"] });
  expect(dayTwoProblems(first.record, second.record, prod, k3s)).toEqual([]);
});

it("a stack that never deployed the cluster has no such steps: nothing to wait for", () => {
  const vmsOnly = { ...earlier(deploymentRecord(prod, roles, k3s)), deployUpTo: "vms" as const };
  expect(dayTwoProblems(vmsOnly, deploymentRecord(resized, roles, k3s), resized, k3s)).toEqual([]);
});
