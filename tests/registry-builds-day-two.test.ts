/**
 * docs/day-two.md row appsRegistryInCluster: `appsRegistry` moved from an outside registry to the
 * in-cluster one (registry opt-in on, `builds` on): the Platform component under the mock engine in
 * both runs, with an app, compared by the day-two model (plan/day-two-model.ts). The app's Deployment
 * (its image) and the builds' objects update in place, the builds gain BuildKit's config and the
 * route's egress; nothing is replaced, nothing else changes. The nodes' side (registries.yaml on their
 * install step's stdin, with `registry.mirrors: []`) is row registryMirror's in-place update.
 */
import * as pulumi from "@pulumi/pulumi";
import { k3sClusterFacts } from "../cluster/facts";
import { registryCredentials } from "../cluster/registry-credentials";
import { BUILDS_EXAMPLE } from "../config/opt-ins/builds";
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { Apps } from "../apps";
import { parseApps } from "../config/apps";
import { BUILDS_IN_CLUSTER, withRoomForBuilds } from "./helpers/builds";
import { randomOutputs } from "./helpers/machine-outputs";
import { dayTwo } from "../plan/day-two-model";
import { platformRun, runChanges } from "./helpers/platform-runs";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { rawStack } from "./helpers/stacks";

const topology = parseTopology(rawStack("prod"), "prod");
const facts = withRoomForBuilds(k3sClusterFacts(topology), 2048);
const HOST = "registry.cefaslocalserver.com";
const WEB = { name: "web", image: "web:1.0", port: 8080, replicas: { min: 1, max: 2 }, resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } } };
let h: Harness;

function platform(name: string, inCluster: boolean): void {
  const appsRegistry = inCluster ? `${HOST}/apps` : "registry.example.com/fmc";
  const parsed = parsePlatformSettings({ builds: inCluster ? BUILDS_IN_CLUSTER : BUILDS_EXAMPLE, registry: { mirrors: [] } }, topology, {
    builds: { appsRegistry, inClusterRegistryHost: HOST, ...(inCluster ? {} : { pushPassword: { set: true, secret: true } }) },
  });
  const settings = parsed.builds && !inCluster ? { ...parsed, builds: { ...parsed.builds, pushPassword: pulumi.secret("outside-password") } } : parsed;
  // The registry's users as one stack has them: the same passwords (mock outputs) in both runs.
  const { platform: p, provider } = platformRun(name, { ...facts, settings, registryAuth: registryCredentials(settings.registry, name) });
  const { apps } = parseApps({ appsRegistry, apps: [WEB] }, topology);
  // Under its own prefix: the app's objects share its name across kinds, compared by kind below.
  new Apps(`apps-${name}`, {
    provider,
    settings: { registry: appsRegistry, apps },
    services: p.services,
    credentials: pulumi.output({ redisPassword: "r", redisSentinelPassword: "s", mqttUser: "mqtt", mqttPassword: "m" }),
    after: [p],
  });
}

beforeAll(async () => {
  h = await startHarness({ stack: "prod", outputsFor: randomOutputs });
  platform("outside", false);
  platform("inside", true);
  await h.settle();
}, 600_000);

describe("docs/day-two.md row appsRegistryInCluster", () => {
  it("the apps' Deployments (their image) and the builds' Task, Pipeline and push Secret update in place; BuildKit's config and the route's egress are created; nothing replaced or deleted", () => {
    const r = runChanges(h, "outside", "inside");
    expect({ replaced: r.replaced, deleted: r.deleted }).toEqual({ replaced: [], deleted: [] });
    expect(r.created.sort()).toEqual(["builds-allow-registry-route", "builds-buildkitd"]);
    expect(r.updated.sort()).toEqual(["build-pipeline", "build-task", "builds-push"]);
    // The app (its objects share its name, so one kind at a time): its Deployment's spec (the image)
    // updates in place; every other object of it stays.
    const kinds = [...new Set(h.all().filter((x) => x.name.startsWith("apps-inside-")).map((x) => x.type))];
    const byKind = kinds.map((type) => {
      const of = h.all().filter((x) => x.type === type);
      const d = dayTwo(of, of, "apps-outside", "apps-inside");
      return [type, { replaced: d.replaced, created: d.created, deleted: d.deleted, updated: d.updated.map((n) => [n, d.changes.get(n)?.changedKeys]) }];
    });
    const none = { replaced: [], created: [], deleted: [], updated: [] };
    expect(Object.fromEntries(byKind)).toEqual(Object.fromEntries(kinds.map((type) => [type, type === "kubernetes:apps/v1:Deployment" ? { ...none, updated: [["web", ["spec"]]] } : none])));
    expect(kinds).toContain("kubernetes:apps/v1:Deployment");
  });

  it("and back: the same objects, deleted instead of created", () => {
    const r = runChanges(h, "inside", "outside");
    expect({ replaced: r.replaced, created: r.created }).toEqual({ replaced: [], created: [] });
    expect(r.deleted.sort()).toEqual(["builds-allow-registry-route", "builds-buildkitd"]);
  });
});
