/**
 * The multi-host lab's stack (scripts/lab/Pulumi.hosts.yaml, `npm run lab:hosts`) runs the whole
 * program under the mock engine: lab-a's and lab-b's objects through their own providers, the NAT
 * network on lab-a only, the LAN (bridge) network on both, as the real lab then checks with virsh on
 * each host.
 */
import { join } from "path";
import { machineOutputs } from "./helpers/machine-outputs";
import { Harness, Recorded, startHarness } from "./helpers/pulumi-harness";
import { readStackFile } from "../plan/stack-config";
import { TEST_SSH_PRIVATE_KEY } from "./helpers/stacks";

let h: Harness;

beforeAll(async () => {
  const { config } = readStackFile(join(__dirname, "..", "scripts", "lab"), "hosts");
  h = await startHarness({ stack: "hosts", config: { ...config, sshPrivateKey: TEST_SSH_PRIVATE_KEY }, outputsFor: machineOutputs });
  await import("../index");
  await h.settle();
});

const providerOf = (r: Recorded) => /::([^:]+)::[^:]*$/.exec(r.provider)?.[1];

it("puts each host's domains, networks and pool through its own provider", () => {
  const on = (type: string) =>
    h
      .byType(type)
      .map((r) => `${providerOf(r)} ${String(r.inputs.name)}`)
      .sort();
  expect(h.byType("pulumi:providers:libvirt").map((p) => [p.name, p.inputs.uri])).toEqual([
    ["infra-host", "qemu:///system"],
    ["infra-host-lab-b", "qemu+tcp://10.231.8.2/system"],
  ]);
  expect(on("libvirt:index/domain:Domain")).toEqual(["infra-host lb1", "infra-host server1", "infra-host-lab-b agent1", "infra-host-lab-b server2"]);
  expect(on("libvirt:index/network:Network")).toEqual(["infra-host fmchosts_lan", "infra-host fmchosts_nat", "infra-host-lab-b fmchosts_lan"]);
  expect(on("libvirt:index/pool:Pool").map((p) => p.split(" ")[0])).toEqual(["infra-host", "infra-host-lab-b"]);
  expect(h.all().filter((r) => r.type.startsWith("kubernetes:"))).toEqual([]);
});
