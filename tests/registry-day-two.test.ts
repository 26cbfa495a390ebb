/**
 * docs/day-two.md rows registryOn, registryOff and registrySettings: the Platform component under the
 * mock engine with and without the opt-in `registry`, compared by the day-two model
 * (plan/day-two-model.ts). Turning it on or off creates or deletes only its own objects (its host is
 * reserved on every stack, ports.ts: cert-manager's hostAliases hold registry.<domain> either way);
 * a larger volume or the scanning switch updates its objects in place. The nodes' side (registries.yaml
 * rewritten in place, K3s restarted only where it changed) is tests/cluster-idempotence.test.ts and
 * tests/registry-nodes-day-two.test.ts.
 */
import { k3sClusterFacts } from "../cluster/facts";
import { registryCredentials } from "../cluster/registry-credentials";
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { randomOutputs } from "./helpers/machine-outputs";
import { expectOnlyOwn, platformRun, runChanges } from "./helpers/platform-runs";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { rawStack } from "./helpers/stacks";

const topology = parseTopology(rawStack("prod"), "prod");
const facts = k3sClusterFacts(topology);
let h: Harness;

function platform(name: string, registry?: Record<string, unknown>): void {
  const settings = parsePlatformSettings(registry ? { registry } : {}, topology);
  // The users' passwords are made beside the cluster (cluster/target.ts); here under each run's name.
  platformRun(name, { ...facts, settings, registryAuth: registryCredentials(settings.registry, name) });
}

beforeAll(async () => {
  h = await startHarness({ stack: "prod", outputsFor: randomOutputs });
  platform("off");
  platform("on", { volumeGiB: 20 });
  platform("settings", { volumeGiB: 40, scanning: true });
  await h.settle();
}, 600_000);


const changes = (before: string, after: string) => runChanges(h, before, after);

/** The opt-in's own objects: its namespace's resources, release, claim, Secrets, certificate, monitor, dashboard, users. */
const ours = /^(ns-registry|registry-|zot|certificate-registry\.|push$|pull$)/;

describe("docs/day-two.md row registryOn", () => {
  it("turning the registry on creates only its own objects; nothing else changes (cert-manager's hostAliases hold its host on every stack)", () => {
    const r = changes("off", "on");
    expectOnlyOwn(r, "created", ours);
    expect(r.created).toEqual(
      expect.arrayContaining([
        "ns-registry",
        "registry-default-deny",
        "registry-allow-clients",
        "registry-allow-upstreams",
        "registry-container-defaults",
        "zot",
        "zot-images",
        "zot-htpasswd",
        "registry-push",
        "registry-metrics-auth",
        "zot-monitor",
        "registry-dashboard",
        "certificate-registry.cefaslocalserver.com",
        "push",
        "pull",
      ]),
    );
  });
});

describe("docs/day-two.md row registryOff", () => {
  it("removing `registry` deletes only its own objects (the claim and the images with it); nothing else changes", () => {
    const r = changes("on", "off");
    expectOnlyOwn(r, "deleted", ours);
    expect(r.deleted).toEqual(expect.arrayContaining(["zot", "zot-images", "ns-registry"]));
  });
});

describe("docs/day-two.md row registrySettings", () => {
  it("a larger volume and CVE scanning update the claim (grown in place), zot's release and its upstream policy; nothing replaced, nothing outside it", () => {
    const r = changes("on", "settings");
    expect({ replaced: r.replaced, created: r.created, deleted: r.deleted }).toEqual({ replaced: [], created: [], deleted: [] });
    expect(r.updated.sort()).toEqual(["zot", "zot-images"]);
  });
});
