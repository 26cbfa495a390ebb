/**
 * Stack-wide values leave first boot: the operator's SSH key, the NTP servers and the resolvers are
 * delivered after boot (infra/host-settings.ts), so changing them replaces no VM, and a base image
 * bump applies to new root disks only. Stage 1 and the host settings are recorded before and after
 * each change under the mock engine; what a real `pulumi up` replaces comes from the providers'
 * rules (plan/day-two-model.ts on infra/replace-semantics.json).
 */
import * as pulumi from "@pulumi/pulumi";
import { Topology } from "../config/topology";
import { parseTopology } from "../config/validate";
import { Infra } from "../infra";
import { HostSettingsDelivery } from "../infra/host-settings";
import { dayTwo } from "../plan/day-two-model";
import { IMAGES, RETAINED_IMAGES } from "../versions";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { machineOutputs } from "./helpers/machine-outputs";
import { rawStack } from "./helpers/stacks";
import { pemBlock } from "../plan/stack-config";

const SSH_KEY = pemBlock("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAA");
const NEW_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJvdGF0ZWRrZXlyb3RhdGVka2V5cm90YXRlZGtleQ operator@rotated";

let h: Harness;

function variant(prefix: string, topology: Topology): void {
  const infra = new Infra(`${prefix}-infra`, { topology });
  new HostSettingsDelivery(`${prefix}-host-settings`, { topology, nodes: infra.nodes, sshPrivateKey: pulumi.secret(SSH_KEY) });
}

const prod = () => parseTopology(rawStack("prod"), "prod");
const dev = () => parseTopology(rawStack("dev"), "dev");
const vmsReplaced = (after: string) =>
  dayTwo(h.all(), h.all(), after.startsWith("dev") ? "dev" : "base", after)
    .replaced.filter((n) => /^infra-[a-z0-9]+(-root|-ceph-osd)?$/.test(n) && !n.endsWith("-host"));

const retained = RETAINED_IMAGES as Record<string, { release: string; url: string }[]>;
const images = IMAGES as unknown as Record<string, { release: string; url: string }>;
let bumped: { release: string; url: string };

beforeAll(async () => {
  h = await startHarness({ stack: "prod", outputsFor: machineOutputs });
  variant("base", prod());
  variant("rotated", { ...prod(), sshPublicKey: NEW_PUBLIC_KEY });
  variant("dev", dev());
  variant("dev-ntp", { ...dev(), fallbackNtpServers: ["192.0.2.123"] });
  // A Flatcar bump, the way versions.ts says to do it: the old pin moves to RETAINED_IMAGES.
  bumped = { ...images.flatcar };
  retained.flatcar = [{ release: bumped.release, url: bumped.url }];
  images.flatcar = { ...bumped, release: "4600.0.0", url: bumped.url.replace(bumped.release, "4600.0.0") };
  const grown = prod();
  const w4 = structuredClone(grown.vms.find((v) => v.name === "worker3") as Topology["vms"][number]);
  w4.name = "worker4";
  w4.nics[0].address = "10.17.4.27";
  w4.nics[0].mac = "52:54:00:00:00:44";
  variant("bumped", { ...grown, vms: [...grown.vms, w4] });
  await h.settle();
  images.flatcar = bumped;
  retained.flatcar = [];
});

describe("rotating sshPublicKey", () => {
  it("replaces no VM, root disk or first-boot object", () => {
    const r = dayTwo(h.all(), h.all(), "base", "rotated");
    expect(r.replaced).toEqual([]);
  });

  it("updates every VM's host-settings step in place, which installs the new key", () => {
    const r = dayTwo(h.all(), h.all(), "base", "rotated");
    const vms = prod().vms.map((v) => v.name);
    expect(r.updated.sort()).toEqual(vms.map((v) => `host-settings-${v}`).sort());
    const step = h.byName("rotated-host-settings-worker1");
    expect(String(step.inputs.update)).toContain("operator@rotated");
    expect(step.inputs.update).toBe(step.inputs.create);
  });
});

describe("moving NTP (fallbackNtpServers on a stack without FreeIPA)", () => {
  it("replaces no VM and updates the host settings", () => {
    const r = dayTwo(h.all(), h.all(), "dev", "dev-ntp");
    expect(r.replaced).toEqual([]);
    expect(r.updated.sort()).toEqual(["host-settings-agent1", "host-settings-server1"]);
    expect(String(h.byName("dev-ntp-host-settings-server1").inputs.create)).toContain("192.0.2.123");
  });
});

describe("a base image bump", () => {
  it("keeps every existing root disk on the image it was created from, and the old image", () => {
    expect(vmsReplaced("bumped")).toEqual([]);
    const r = dayTwo(h.all(), h.all(), "base", "bumped");
    expect(r.changes.get(`infra-flatcar-base-${bumped.release}`)?.change).toBe("same");
    expect(r.created).toContain("infra-flatcar-base-4600.0.0");
    for (const vm of ["bootstrap1", "master1", "worker1"]) {
      expect(h.byName(`bumped-infra-${vm}-root`).ignoreChanges).toContain("baseVolumeId");
      expect(r.changes.get(`infra-${vm}-root`)?.change).toBe("same");
    }
  });

  it("puts new VMs on the new image", () => {
    expect(h.byName("bumped-infra-worker4-root").inputs.baseVolumeId).toBe("bumped-infra-flatcar-base-4600.0.0-id");
  });

});
