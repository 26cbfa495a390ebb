/**
 * One list of the platform's route hosts (ports.ts INGRESS_HOSTS and OPT_IN_HOSTS, issue 20 item 6):
 * the routes and Certificates the platform renders, with every opt-in on, are exactly that list; the
 * apps may take none of it; FreeIPA's records and cert-manager's HTTP-01 `hostAliases` hold all of it
 * on every stack, so turning an opt-in on or off touches neither; docs/day-two.md row optInHosts.
 */
import { k3sClusterFacts } from "../cluster/facts";
import { parseApps } from "../config/apps";
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { dnsRecords } from "../infra/roles/freeipa";
import { providerReplaceKeys } from "../plan/day-two-model";
import { OPT_INS, optInContext } from "../platform/opt-ins";
import { planPlatform } from "../platform/plan";
import { platformCertificates, renderPlatform } from "../platform/render";
import { INGRESS_HOSTS, OPT_IN_HOSTS, PLATFORM_HOST_NAMES, platformHosts } from "../ports";
import { problemsOf } from "./helpers/problems";
import { rawStack } from "./helpers/stacks";

const topology = parseTopology(rawStack("prod"), "prod");
const facts = k3sClusterFacts(topology);
const domain = topology.domain;
const allOn = Object.fromEntries(OPT_INS.map((o) => [o.key, o.example]));
const plan = (raw: Record<string, unknown>) => planPlatform({ ...facts, settings: parsePlatformSettings(raw, topology, optInContext()) });
const certificateHosts = (raw: Record<string, unknown>) => platformCertificates(plan(raw), "issuer").flatMap((c) => c.spec.dnsNames).sort();
const lbAddresses = topology.vms.find((vm) => vm.role === "loadbalancer")!.nics.map((n) => n.address);

describe("ports.ts: the one list", () => {
  it("each opt-in's hosts under its OPT_INS key; every name an RFC 1123 label, none twice", () => {
    expect(Object.keys(OPT_IN_HOSTS).filter((k) => !OPT_INS.some((o) => o.key === k))).toEqual([]);
    expect(new Set(PLATFORM_HOST_NAMES).size).toBe(PLATFORM_HOST_NAMES.length);
    for (const name of PLATFORM_HOST_NAMES) expect(name).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    expect(platformHosts("example.net")).toEqual(PLATFORM_HOST_NAMES.map((n) => `${n}.example.net`));
  });

  it("with every opt-in on, the platform's Certificates (one per route) are exactly the list; with none, only INGRESS_HOSTS'", () => {
    expect(certificateHosts(allOn)).toEqual(platformHosts(domain).sort());
    expect(certificateHosts({})).toEqual(Object.values(INGRESS_HOSTS).map((h) => `${h}.${domain}`).sort());
    // Each opt-in routes its own hosts only while it is on (Kibana's only with the ELK stack).
    for (const o of OPT_INS) {
      const own = Object.values((OPT_IN_HOSTS as Record<string, Record<string, string>>)[o.key] ?? {}).map((h) => `${h}.${domain}`);
      expect([o.key, certificateHosts({ [o.key]: o.example }).filter((h) => !certificateHosts({}).includes(h))]).toEqual([o.key, own.sort()]);
    }
    expect(certificateHosts({ logs: { stack: "loki", retentionDays: 7 } })).toEqual(certificateHosts({}));
  });
});

describe("reserved on every stack", () => {
  it.each([...PLATFORM_HOST_NAMES])("no app may take %s.<domain>, whether or not its opt-in is on", (name) => {
    const app = { name: "web", image: "r.example/web:1", port: 8080, replicas: { min: 1, max: 1 }, resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } }, ingress: { host: name } };
    expect(problemsOf(() => parseApps({ apps: [{ ...app, ingress: { host: "shop" } }] }, topology))).toEqual([]);
    expect(problemsOf(() => parseApps({ apps: [app] }, topology))).toEqual([expect.stringMatching(new RegExp(`^apps\\[0\\]\\.ingress\\.host: "${name}\\.${domain.replace(/\./g, "\\.")}" is one of the platform's own hosts`))]);
  });

  it("FreeIPA resolves every one to the load balancer with no opt-in on (infra reads no opt-in)", () => {
    const records = dnsRecords(topology);
    for (const name of PLATFORM_HOST_NAMES) expect([name, records.a.filter((r) => r.name === name).map((r) => r.address)]).toEqual([name, lbAddresses]);
  });

  it("cert-manager's HTTP-01 self-check knows every one (hostAliases), and turning any opt-in on or off leaves its values as they are", () => {
    expect(facts.tls?.issuer).toBe("freeipa");
    const certManager = (raw: Record<string, unknown>) => renderPlatform(plan(raw)).values.certManager;
    const aliases = (certManager({}) as { hostAliases: { hostnames: string[] }[] }).hostAliases.flatMap((a) => a.hostnames);
    expect(platformHosts(domain).filter((h) => !aliases.includes(h))).toEqual([]);
    for (const o of OPT_INS) expect([o.key, certManager({ [o.key]: o.example })]).toEqual([o.key, certManager({})]);
  });
});

describe("docs/day-two.md row optInHosts", () => {
  it("the first up of this program: FreeIPA's records command and cert-manager's release update in place (their replace rules name neither a script nor values); no Certificate changes", () => {
    // The records command's list is in its `create`/`update` script; only `triggers` (the VM's domain id) replaces it.
    expect(providerReplaceKeys("command:remote:Command")).toEqual(["triggers"]);
    expect(providerReplaceKeys("kubernetes:helm.sh/v3:Release")).not.toContain("values");
    // The earlier program recorded, with no opt-in on, the platform's hosts and argocd: the records added now.
    const added = dnsRecords(topology).a.filter((r) => ["registry", "kibana"].includes(r.name));
    expect(added.map((r) => `${r.name} ${r.address}`).sort()).toEqual(["kibana", "registry"].flatMap((n) => lbAddresses.map((a) => `${n} ${a}`)).sort());
    // The Certificates stay per opt-in, as before.
    expect(certificateHosts({})).not.toContain(`registry.${domain}`);
  });
});
