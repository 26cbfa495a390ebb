/**
 * The `logs` opt-in (issue 20 item 3; docs/logs.md): the config key, what the ECK operator, the
 * Elasticsearch and Kibana resources, Fluent Bit and Loki receive, the retention that reaches
 * Elasticsearch (ILM policy and template, the job's script run against a stub curl), the namespaces,
 * policies and monitors, the room each stack takes on the seed's host, the Platform component's
 * objects per stack, and docs/day-two.md's rows for the opt-in.
 */
import { spawnSync } from "child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { stackCapacity } from "../apps/capacity";
import { logsFootprints } from "../apps/logs-footprint";
import { logsLines } from "../plan/report";
import { k3sClusterFacts } from "../cluster/facts";
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { capacityReport } from "../platform/capacity";
import { ilmPolicy, indexTemplate, retentionScript, RETENTION_JOB } from "../platform/logs-retention";
import { NAMESPACES, platformNamespaces } from "../platform/namespaces";
import { renderNetworkPolicies } from "../platform/network-policies";
import { planPlatform } from "../platform/plan";
import { renderPlatform } from "../platform/render";
import { ELASTIC_USER_SECRET, heapMiB } from "../platform/values/logs-elk";
import { randomOutputs } from "./helpers/machine-outputs";
import { expectOnlyOwn, platformRun, runChanges, runOf } from "./helpers/platform-runs";
import { problemsOf } from "./helpers/problems";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { rawStack } from "./helpers/stacks";
import { shellcheck } from "./helpers/tools";

const topology = parseTopology(rawStack("prod"), "prod");
const facts = k3sClusterFacts(topology);
const settingsWith = (logs?: unknown) => parsePlatformSettings(logs === undefined ? {} : { logs }, topology);
const render = (logs?: unknown) => renderPlatform(planPlatform({ ...facts, settings: settingsWith(logs) }));

describe("config: logs", () => {
  it("absent: no logging stack; an object: the stack with its defaults", () => {
    expect(settingsWith().logs).toBeUndefined();
    expect(settingsWith({ stack: "elk" }).logs).toEqual({ stack: "elk", retentionDays: 7, volumeGiB: 20, elasticsearch: { nodes: 1, memoryGiB: 2 } });
    expect(settingsWith({ stack: "loki", retentionDays: "14", volumeGiB: 30 }).logs).toMatchObject({ stack: "loki", retentionDays: 14, volumeGiB: 30 });
  });

  it("every bad field is refused before anything is created, naming its key", () => {
    expect(problemsOf(() => settingsWith("elk"))).toEqual([expect.stringMatching(/^logs: must be an object/)]);
    expect(problemsOf(() => settingsWith({ stack: "efk", retentionDays: 0, volumeGiB: -1, retention: 3 })).sort()).toEqual([
      expect.stringMatching(/^logs\.retention: is not a field of logs/),
      expect.stringMatching(/^logs\.retentionDays: must be a positive whole number/),
      expect.stringMatching(/^logs\.stack: unknown value "efk"; expected one of elk, loki/),
      expect.stringMatching(/^logs\.volumeGiB: must be a positive whole number/),
    ]);
    expect(problemsOf(() => settingsWith({ stack: "loki", elasticsearchNodes: 3 }))).toEqual([expect.stringMatching(/^logs\.elasticsearchNodes: applies to stack elk only/)]);
    expect(problemsOf(() => settingsWith({ stack: "elk", elasticsearchNodes: 2 }))).toEqual([expect.stringMatching(/^logs\.elasticsearchNodes: 2 master-eligible nodes tolerate no failure/)]);
  });
});

describe("ELK values", () => {
  const elk = render({ stack: "elk", volumeGiB: 40, elasticsearchMemoryGiB: 3, elasticsearchNodes: 3 });
  const es = elk.values.eckStack!["eck-elasticsearch"];
  const kb = elk.values.eckStack!["eck-kibana"];

  it("Elasticsearch on Ceph: the volume per node on ceph-block, memory request = limit, heap half of it, no privileged sysctl init container", () => {
    const [set] = es.nodeSets;
    expect(set.count).toBe(3);
    expect(set.volumeClaimTemplates).toEqual([
      { metadata: { name: "elasticsearch-data" }, spec: { accessModes: ["ReadWriteOnce"], storageClassName: "ceph-block", resources: { requests: { storage: "40Gi" } } } },
    ]);
    const [container] = set.podTemplate.spec.containers;
    expect(container.resources.requests.memory).toBe("3Gi");
    expect(container.resources.limits.memory).toBe("3Gi");
    expect(container.env).toEqual([{ name: "ES_JAVA_OPTS", value: "-Xms1536m -Xmx1536m" }]);
    expect(heapMiB(2)).toBe(1024);
    expect(set.config).toEqual({ "node.store.allow_mmap": false });
    expect(es.version).toBe("9.5.0");
  });

  it("Kibana: plain HTTP behind Traefik, its route on kibana.<domain> with the host's certificate (same mechanism as Grafana's), no telemetry", () => {
    const host = `kibana.${topology.domain}`;
    expect(kb.http).toEqual({ tls: { selfSignedCertificate: { disabled: true } } });
    expect(kb.ingress).toMatchObject({ enabled: true, className: "traefik", hosts: [{ host, path: "/" }], tls: { enabled: true } });
    expect(elk.certificates.find((c) => c.namespace === "logging")?.spec).toMatchObject({ dnsNames: [host], secretName: kb.ingress.tls.secretName });
    expect(kb.config).toMatchObject({ "server.publicBaseUrl": `https://${host}`, "telemetry.optIn": false });
    expect(kb.elasticsearchRef).toEqual({ name: "elasticsearch" });
    // Routed and certified only with elk; Loki is read through Grafana.
    expect(render({ stack: "loki" }).certificates.filter((c) => c.namespace === "logging")).toEqual([]);
  });

  it("the operator watches the logging namespace only, meets restricted, sends no telemetry", () => {
    expect(elk.values.eckOperator).toMatchObject({
      managedNamespaces: ["logging"],
      podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      telemetry: { disabled: true },
      image: { repository: "docker.elastic.co/eck/eck-operator", tag: "3.5.0" },
    });
  });

  it("the capacity check counts the operator and the pods it makes of the rendered resources", () => {
    const by = capacityReport(elk.workloads, facts.nodes).byRelease;
    expect(by["eck-stack"]).toEqual({ cpuMilli: 3 * 250 + 100, memoryMiB: 3 * 3072 + 1024 });
    expect(by["eck-operator"]).toEqual({ cpuMilli: 100, memoryMiB: 150 });
  });
});

describe("retention in Elasticsearch", () => {
  it("the ILM policy deletes each daily index retentionDays after its creation; the template gives the collector's indices that policy, replicas only with a second node", () => {
    expect(ilmPolicy(14).policy.phases).toEqual({ hot: { min_age: "0ms", actions: {} }, delete: { min_age: "14d", actions: { delete: {} } } });
    expect(indexTemplate(1)).toMatchObject({ index_patterns: ["fmc-logs-*"], template: { settings: { "index.lifecycle.name": "fmc-logs", "index.number_of_replicas": 0 } } });
    expect(indexTemplate(3).template.settings["index.number_of_replicas"]).toBe(1);
  });

  it("the job carries the documents for the stack's retention, reads the elastic password from ECK's Secret and waits for Elasticsearch", () => {
    const job = render({ stack: "elk", retentionDays: 30 }).logsRetentionJob!;
    const [c] = job.template.spec.containers;
    const env = Object.fromEntries(c.env.map((e) => [e.name, "value" in e ? e.value : e.valueFrom]));
    expect(JSON.parse(env.ILM_POLICY as string)).toEqual(ilmPolicy(30));
    expect(env.ELASTIC_PASSWORD).toEqual({ secretKeyRef: { name: ELASTIC_USER_SECRET.name, key: "elastic" } });
    expect(env.ES_URL).toBe("https://elasticsearch-es-http.logging.svc:9200");
    expect(c.image).toBe("docker.elastic.co/elasticsearch/elasticsearch:9.5.0");
    expect(render({ stack: "loki" }).logsRetentionJob).toBeUndefined();
  });

  it("passes shellcheck", () => {
    const r = shellcheck(retentionScript());
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  /** Runs the script with a stub curl that answers `health` failures first; returns what curl got. */
  function runScript(healthFailures: number, maxTries?: number) {
    const dir = mkdtempSync(join(tmpdir(), "fmc-retention-"));
    const stub = `#!/bin/bash
n=$(cat "${dir}/count" 2>/dev/null || echo 0)
{ printf 'ARGS'; printf ' %q' "$@"; printf '\\nSTDIN %s\\n' "$(cat)"; } >>"${dir}/calls"
case "$*" in
  *_cluster/health*) n=$((n + 1)); echo "$n" >"${dir}/count"; if [ "$n" -le ${healthFailures} ]; then echo "connection refused" >&2; exit 7; fi; echo '{"status":"yellow"}';;
  *) echo '{"acknowledged":true}';;
esac
`;
    writeFileSync(join(dir, "curl"), stub);
    chmodSync(join(dir, "curl"), 0o755);
    writeFileSync(join(dir, "sleep"), "#!/bin/sh\nexit 0\n");
    chmodSync(join(dir, "sleep"), 0o755);
    let script = retentionScript();
    if (maxTries !== undefined) script = script.replace(/-ge \d+ \]/, `-ge ${maxTries} ]`);
    const r = spawnSync("bash", ["-c", script], {
      encoding: "utf8",
      env: { PATH: `${dir}:/usr/bin:/bin`, ES_URL: "https://es:9200", ES_CA: "/ca.crt", ELASTIC_PASSWORD: "s3cr3t-pw", ILM_POLICY: JSON.stringify(ilmPolicy(7)), INDEX_TEMPLATE: JSON.stringify(indexTemplate(1)) },
    });
    return { status: r.status, stderr: r.stderr, calls: readFileSync(join(dir, "calls"), "utf8").trim().split("\n") };
  }

  it("waits until Elasticsearch answers, then PUTs the policy and the template; the password only on curl's stdin", () => {
    const r = runScript(2);
    expect(r.status).toBe(0);
    const args = r.calls.filter((l) => l.startsWith("ARGS"));
    expect(args.filter((a) => a.includes("_cluster/health"))).toHaveLength(3);
    const puts = args.filter((a) => a.includes("-X PUT"));
    expect(puts.map((a) => /https:\/\/es:9200\/(\S+)/.exec(a)?.[1])).toEqual(["_ilm/policy/fmc-logs", "_index_template/fmc-logs"]);
    expect(puts[0]).toContain("--cacert /ca.crt");
    expect(r.calls.join("\n")).not.toMatch(/ARGS[^\n]*s3cr3t-pw/);
    expect(r.calls.filter((l) => l.startsWith("STDIN")).every((l) => l === 'STDIN user = "elastic:s3cr3t-pw"')).toBe(true);
  });

  it("gives up, failing the job, when Elasticsearch never answers", () => {
    const r = runScript(100, 3);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/did not answer yellow or green after 3 tries/);
    expect(r.calls.some((l) => l.includes("-X PUT"))).toBe(false);
  });
});

describe("Fluent Bit and Loki values", () => {
  it("the collector runs on every node, the tainted servers too, reading /var/log (pods' logs and the journal) into the stack's store", () => {
    const elk = render({ stack: "elk" }).values.fluentBit!;
    expect(elk.tolerations).toEqual([{ operator: "Exists", effect: "NoSchedule" }]);
    expect(elk.daemonSetVolumes).toContainEqual({ name: "varlog", hostPath: { path: "/var/log" } });
    expect(elk.config.inputs).toMatch(/Path \/var\/log\/containers\/\*\.log/);
    expect(elk.config.inputs).toMatch(/Name systemd\n\s+Tag node\.\*\n\s+Path \/var\/log\/journal/);
    expect(elk.config.outputs).toMatch(/Name es\n\s+Match kube\.\*\n\s+Host elasticsearch-es-http\.logging\.svc/);
    expect(elk.config.outputs).toMatch(/Logstash_Prefix fmc-logs-containers/);
    expect(elk.config.outputs).toMatch(/tls\.verify On/);
    expect(elk.env.map((e) => e.name)).toEqual(["NODE_NAME", "ELASTIC_PASSWORD"]);
    const loki = render({ stack: "loki" }).values.fluentBit!;
    expect(loki.config.outputs).toMatch(/Name loki\n\s+Match kube\.\*\n\s+Host loki\.logging\.svc\n\s+Port 3100/);
    expect(loki.config.outputs).not.toMatch(/Name es/);
    expect(loki.env.map((e) => e.name)).toEqual(["NODE_NAME"]);
    expect(loki.extraVolumes).toEqual([]);
    const ds = render({ stack: "elk" }).workloads.find((w) => w.name === "fluent-bit")!;
    expect(ds).toMatchObject({ kind: "DaemonSet", toleratesTaints: true });
  });

  it("Loki: single binary on a Ceph volume, retention by the compactor after retentionDays, nothing else of the chart", () => {
    const v = render({ stack: "loki", retentionDays: 10, volumeGiB: 25 }).values.loki!;
    expect(v.deploymentMode).toBe("SingleBinary");
    expect(v.loki.limits_config.retention_period).toBe("240h");
    expect(v.loki.compactor).toMatchObject({ retention_enabled: true, delete_request_store: "filesystem" });
    expect(v.singleBinary.persistence).toMatchObject({ size: "25Gi", storageClass: "ceph-block", whenDeleted: "Retain" });
    expect([v.gateway.enabled, v.chunksCache.enabled, v.resultsCache.enabled, v.lokiCanary.enabled, v.test.enabled]).toEqual([false, false, false, false, false]);
    expect(render({ stack: "loki" }).datasources).toEqual([expect.objectContaining({ namespace: "monitoring", yaml: expect.stringContaining("url: http://loki.logging.svc:3100") })]);
  });
});

describe("namespaces, policies, monitors", () => {
  it("logging (privileged: the collector's host paths) with either stack, elastic-system (restricted) with elk only; none without logs", () => {
    expect(NAMESPACES.logging.enforce).toBe("privileged");
    expect(NAMESPACES.elasticSystem.enforce).toBe("restricted");
    expect(platformNamespaces(false)).not.toEqual(expect.arrayContaining(["logging"]));
    expect(platformNamespaces(false).filter((n) => n === "logging" || n === "elasticSystem")).toEqual([]);
    expect(platformNamespaces(false, false, false, "loki").filter((n) => n === "logging" || n === "elasticSystem")).toEqual(["logging"]);
    expect(platformNamespaces(false, false, false, "elk").filter((n) => n === "logging" || n === "elasticSystem")).toEqual(["elasticSystem", "logging"]);
  });

  it("default deny in both namespaces with only what the stack needs; nothing without logs", () => {
    const names = (logs?: unknown) =>
      renderNetworkPolicies(planPlatform({ ...facts, settings: settingsWith(logs) }))
        .filter((p) => p.namespace === "logging" || p.namespace === "elastic-system")
        .map((p) => `${p.namespace}/${p.name}`)
        .sort();
    expect(names()).toEqual([]);
    expect(names({ stack: "elk" })).toEqual([
      "elastic-system/allow-api-server",
      "elastic-system/allow-dns",
      "elastic-system/allow-to-elasticsearch",
      "elastic-system/allow-webhook",
      "elastic-system/default-deny",
      "logging/allow-api-server",
      "logging/allow-dns",
      "logging/allow-from-eck-operator",
      "logging/allow-from-monitoring",
      "logging/allow-from-traefik",
      "logging/allow-same-namespace-egress",
      "logging/allow-same-namespace-ingress",
      "logging/default-deny",
    ]);
    expect(names({ stack: "loki" })).not.toContain("logging/allow-from-traefik");
  });

  it("Fluent Bit's monitor with either stack, Loki's with loki; none without logs", () => {
    const monitors = (logs?: unknown) => render(logs).serviceMonitors.filter((m) => m.namespace === "logging").map((m) => m.name);
    expect(monitors()).toEqual([]);
    expect(monitors({ stack: "elk" })).toEqual(["fluent-bit"]);
    expect(monitors({ stack: "loki" })).toEqual(["fluent-bit", "loki"]);
    expect(render({ stack: "loki" }).serviceMonitors.find((m) => m.name === "fluent-bit")?.spec.endpoints).toEqual([
      { port: "http", path: "/api/v2/metrics/prometheus", interval: "30s" },
    ]);
  });
});

describe("room on the seed's host (Pulumi.prod.yaml, no apps)", () => {
  const room = (logs?: unknown) => stackCapacity(facts, settingsWith(logs), []);
  it("ELK takes ~3.5 GiB of requests, more than the platform leaves; Loki ~0.6 GiB, which fits", () => {
    const off = room();
    const elk = room({ stack: "elk" });
    const loki = room({ stack: "loki" });
    const extra = (r: typeof off) => r.platform.memoryMiB - off.platform.memoryMiB;
    // Operator 150 + Elasticsearch 2048 + Kibana 1024 + Fluent Bit 48 per node.
    expect(extra(elk)).toBe(150 + 2048 + 1024 + 48 * facts.nodes.filter((n) => !n.taints?.length).length);
    expect(extra(loki)).toBe(256 + 48 * facts.nodes.filter((n) => !n.taints?.length).length);
    expect(off.free.memoryMiB).toBeLessThan(extra(elk));
    expect(elk.report.fits).toBe(false);
    expect(loki.report.fits).toBe(true);
  });
});

describe("the plan's logs lines (npm run plan, docs/plan.md)", () => {
  it("both stacks' requests beside the room; the lighter stack offered when ELK does not fit", () => {
    const options = logsFootprints(facts, settingsWith(), []);
    expect(options.map((o) => [o.stack, o.fits, o.configured])).toEqual([
      ["elk", false, false],
      ["loki", true, false],
    ]);
    const text = logsLines(options).join("\n");
    expect(text).toMatch(/elk: ELK .* adds 0\.51 CPU 3\.29 GiB of requests; DOES NOT FIT next to the platform and the apps \(short by 0 CPU 2\.\d+ GiB\)/);
    expect(text).toMatch(/loki: Loki .* adds 0\.16 CPU 0\.39 GiB of requests; fits, leaving/);
    expect(text).toMatch(/ELK does not fit next to the rest: the lighter stack fits \(logs: \{ stack: loki \}\)/);
    // The stack's own settings are the ones measured (here 4 GiB for Elasticsearch), and marked.
    const configured = logsFootprints(facts, settingsWith({ stack: "elk", elasticsearchMemoryGiB: 4 }), []);
    expect(configured[0]).toMatchObject({ stack: "elk", configured: true });
    expect(configured[0].requests.memoryMiB - options[0].requests.memoryMiB).toBe(2048);
    expect(logsLines(undefined)).toEqual([]);
  });
});

// ---- the component under mocks, and docs/day-two.md's rows -----------------------------------

const RELEASE = "kubernetes:helm.sh/v3:Release";
let h: Harness;

function platform(name: string, logs?: unknown): void {
  const settings = settingsWith(logs);
  // The seed's workers cannot hold ELK (above): a fourth worker of the same size stands for the room.
  const nodes = [...facts.nodes, { ...facts.nodes.find((n) => !n.taints?.length)!, name: "worker4", address: "10.17.4.99" }];
  platformRun(name, { ...facts, nodes, settings, appHosts: [] });
}

beforeAll(async () => {
  h = await startHarness({ stack: "prod", outputsFor: randomOutputs });
  platform("off");
  platform("elk", { stack: "elk" });
  platform("elkret", { stack: "elk", retentionDays: 30 });
  platform("loki", { stack: "loki" });
  platform("lokiret", { stack: "loki", retentionDays: 30 });
  await h.settle();
}, 300_000);

const of = (prefix: string) => runOf(h, prefix);
/** The opt-in's objects by name ("eck-" as a word: cert-manager's "http01-self-check" is not one). */
const ours = /logging|(^|-)eck-|elastic|fluent|loki|kibana|retention/;

describe("the Platform component", () => {
  it("elk: operator then the custom resources, then the retention Job (waited for, replaced when its documents change), then the collector", () => {
    const on = of("elk");
    const rel = (n: string) => on.find((r) => r.type === RELEASE && r.inputs.name === n)!;
    expect(rel("eck-operator").inputs).toMatchObject({ namespace: "elastic-system", atomic: true });
    expect(rel("eck-stack").dependencies).toContain(rel("eck-operator").urn);
    const job = on.find((r) => r.type === "kubernetes:batch/v1:Job")!;
    expect(job.name).toBe(`elk-${RETENTION_JOB}`);
    expect(job.replaceOnChanges).toEqual(["spec"]);
    expect(job.dependencies).toContain(rel("eck-stack").urn);
    expect(rel("fluent-bit").dependencies).toContain(job.urn);
    expect(on.find((r) => r.name === "elk-ns-logging")!.inputs).toMatchObject({ metadata: { labels: { "pod-security.kubernetes.io/enforce": "privileged" } } });
    const kibanaCert = render({ stack: "elk" }).certificates.find((c) => c.namespace === "logging")!;
    expect(on.find((r) => r.name === `elk-certificate-${kibanaCert.name}`)?.inputs).toMatchObject({ metadata: { namespace: "logging" } });
    expect(on.some((r) => r.type === RELEASE && r.inputs.name === "loki")).toBe(false);
  });

  it("loki: the release after the storage gate, the collector after it, Grafana's datasource in monitoring", () => {
    const on = of("loki");
    const rel = (n: string) => on.find((r) => r.type === RELEASE && r.inputs.name === n)!;
    expect(rel("loki").inputs).toMatchObject({ namespace: "logging" });
    expect(rel("fluent-bit").dependencies).toContain(rel("loki").urn);
    const ds = on.find((r) => r.name === "loki-fmc-loki-datasource")!;
    expect(ds.inputs).toMatchObject({ metadata: { namespace: "monitoring", labels: { grafana_datasource: "1" } } });
    expect(on.some((r) => /(^|-)eck-|elastic/.test(r.name))).toBe(false);
  });

  it("without logs: nothing of either stack", () => {
    expect(of("off").map((r) => r.name).filter((n) => ours.test(n))).toEqual([]);
  });
});

const changes = (before: string, after: string) => runChanges(h, before, after);


describe("docs/day-two.md row logsOn", () => {
  it("elk: only the opt-in's objects are created; cert-manager's release already knows Kibana's host (reserved on every stack, ports.ts); nothing replaced, updated or deleted", () => {
    const r = changes("off", "elk");
    expectOnlyOwn(r, "created", ours);
    expect(r.created).toEqual(expect.arrayContaining(["ns-logging", "ns-elastic-system", "eck-operator", "eck-stack", "fluent-bit", RETENTION_JOB]));
  });

  it("loki: only the opt-in's objects; nothing else changes", () => {
    const r = changes("off", "loki");
    expectOnlyOwn(r, "created", ours);
  });
});

describe("docs/day-two.md row logsOff", () => {
  it("only the opt-in's objects are deleted; cert-manager keeps Kibana's host", () => {
    const elk = changes("elk", "off");
    expectOnlyOwn(elk, "deleted", ours);
    const loki = changes("loki", "off");
    expectOnlyOwn(loki, "deleted", ours);
  });
});

describe("docs/day-two.md row logsStack", () => {
  it("elk to loki: ELK's objects go, Loki's come, Fluent Bit's release and the logging namespace's policies are updated in place", () => {
    const r = changes("elk", "loki");
    expect(r.replaced).toEqual([]);
    expect(r.deleted).toEqual(expect.arrayContaining(["eck-operator", "eck-stack", RETENTION_JOB, "ns-elastic-system"]));
    expect(r.created).toEqual(expect.arrayContaining(["loki", "fmc-loki-datasource"]));
    expect([...r.created, ...r.deleted].filter((n) => !ours.test(n))).toEqual([]);
    expect(r.updated.filter((n) => !ours.test(n))).toEqual([]);
    expect(r.updated).toEqual(expect.arrayContaining(["fluent-bit"]));
    expect(r.deleted).not.toContain("ns-logging");
  });
});

describe("docs/day-two.md row logsRetention", () => {
  it("elk: a new retention replaces only the retention Job (it PUTs the new policy, updated in place in Elasticsearch); nothing else", () => {
    const r = changes("elk", "elkret");
    expect({ replaced: r.replaced, created: r.created, deleted: r.deleted, updated: r.updated }).toEqual({ replaced: [RETENTION_JOB], created: [], deleted: [], updated: [] });
  });

  it("loki: Loki's release only (its config's retention_period, a Helm upgrade)", () => {
    const r = changes("loki", "lokiret");
    expect({ replaced: r.replaced, created: r.created, deleted: r.deleted, updated: r.updated }).toEqual({ replaced: [], created: [], deleted: [], updated: ["loki"] });
    expect(r.changes.get("loki")?.changedKeys).toEqual(["values"]);
  });
});
