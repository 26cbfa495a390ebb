/**
 * The logs entry of platform/opt-ins.ts OPT_INS: its example is a valid `logs` value, and a stack
 * with it installs exactly the releases the entry lists (what the lab checks), in the namespaces the
 * opt-in owns.
 */
import { k3sClusterFacts } from "../cluster/facts";
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { OPT_INS } from "../platform/opt-ins";
import { planNamespaces } from "../platform/namespaces";
import { planPlatform } from "../platform/plan";
import { RELEASES } from "../platform/releases";
import { renderPlatform } from "../platform/render";
import { rawStack } from "./helpers/stacks";

const topology = parseTopology(rawStack("prod"), "prod");
const logs = OPT_INS.find((o) => o.key === "logs")!;

it("the example parses, and its stack renders values for exactly the listed releases, in logging and elastic-system", () => {
  const settings = parsePlatformSettings({ logs: logs.example }, topology);
  expect(settings.logs).toMatchObject({ stack: "elk", retentionDays: 7, volumeGiB: 10 });
  const plan = planPlatform({ ...k3sClusterFacts(topology), settings });
  const { values } = renderPlatform(plan);
  const logsCharts = ["eckOperator", "eckStack", "fluentBit", "loki"] as const;
  expect(logsCharts.filter((k) => values[k] !== undefined)).toEqual([...logs.releases]);
  expect([...new Set(logs.releases.map((r) => RELEASES[r].namespace))].sort()).toEqual(["elasticSystem", "logging"]);
  expect(planNamespaces(plan)).toEqual(expect.arrayContaining(["elasticSystem", "logging"]));
});
