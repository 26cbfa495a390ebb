/**
 * `appsRegistry` on the in-cluster registry's host while the registry opt-in is off stops the real
 * program before a single resource is registered, naming the keys (cluster/target.ts clusterFacts).
 */
import { startHarness } from "./helpers/pulumi-harness";
import { stackConfig } from "./helpers/stacks";

it("refuses appsRegistry: registry.<domain>/<path> without the registry opt-in, and registers nothing", async () => {
  const h = await startHarness({ stack: "prod", config: stackConfig("prod", { appsRegistry: "registry.cefaslocalserver.com/apps" }) });
  await expect(import("../index")).rejects.toThrow(
    'appsRegistry: "registry.cefaslocalserver.com/apps" names the in-cluster registry (registry.cefaslocalserver.com), but the registry opt-in is off: turn it on (registry: true) or point appsRegistry at another registry',
  );
  await h.settle();
  expect(h.all().filter((r) => r.custom)).toEqual([]);
});
