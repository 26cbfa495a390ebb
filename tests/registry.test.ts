/**
 * The registry opt-in (`registry`, docs/registry.md) and the nodes' registry mirror: the config's
 * checks, what zot receives (config.json, the chart's values), the platform objects it adds (and that
 * a stack without it has none of them), and each K3s node's registries.yaml with the air gap flag.
 */
import { parse } from "yaml";
import { k3sClusterFacts } from "../cluster/facts";
import { renderK3sConfig } from "../cluster/k3s-config";
import { nodeStdin, renderRegistriesYaml, REGISTRY_CA_FILE, STDIN_FILE_MARKER } from "../cluster/registries";
import { parseApps } from "../config/apps";
import { parseRegistry, PUBLIC_REGISTRIES } from "../config/opt-ins/registry";
import { parsePlatformSettings } from "../config/platform";
import { nodeMirrorConflicts, parseRegistryMirror } from "../config/registry-mirror";
import { Collector, parseTopology } from "../config/validate";
import { capacityReport } from "../platform/capacity";
import { NAMESPACES, platformNamespaces } from "../platform/namespaces";
import { planPlatform } from "../platform/plan";
import { renderPlatform } from "../platform/render";
import { RELEASES } from "../platform/releases";
import { SIZING } from "../platform/sizing";
import { dockerConfigJson, htpasswdFile, registryClaimSpec, registryPush, registryUpstreamPorts, zotConfig, zotValues } from "../platform/values/zot";
import { CHARTS } from "../versions";
import { OPT_INS } from "../platform/opt-ins";
import { problemsOf } from "./helpers/problems";
import { rawStack } from "./helpers/stacks";

const topology = parseTopology(rawStack("prod"), "prod");
const facts = k3sClusterFacts(topology);
const parsed = (value: unknown) => {
  const c = new Collector();
  return { settings: parseRegistry(c, value), problems: c.problems };
};
const platform = (raw: Record<string, unknown>) => {
  const plan = planPlatform({ ...facts, settings: parsePlatformSettings(raw, topology) });
  return { plan, rendered: renderPlatform(plan) };
};

describe("registry: the config key", () => {
  it("absent or false is off; true or an object is on with the defaults (20 GiB, the four public registries, no scanning)", () => {
    expect(parsed(undefined).settings).toBeUndefined();
    expect(parsed(false).settings).toBeUndefined();
    for (const on of [true, "true", { volumeGiB: 20 }]) {
      expect(parsed(on)).toEqual({ settings: { volumeGiB: 20, mirrors: Object.keys(PUBLIC_REGISTRIES), scanning: undefined }, problems: [] });
    }
  });

  it("scanning: true uses Trivy's public databases; an object names copies (the air gap)", () => {
    expect(parsed({ scanning: true }).settings?.scanning).toEqual({ dbRepository: "ghcr.io/aquasecurity/trivy-db", javaDbRepository: "ghcr.io/aquasecurity/trivy-java-db" });
    expect(parsed({ scanning: { dbRepository: "mirror.lan:5000/aquasecurity/trivy-db" } }).settings?.scanning).toEqual({
      dbRepository: "mirror.lan:5000/aquasecurity/trivy-db",
      javaDbRepository: "ghcr.io/aquasecurity/trivy-java-db",
    });
  });

  it("the lab's example (platform/opt-ins.ts) is valid: no mirror, no scanning, so nothing reaches out", () => {
    const entry = OPT_INS.find((o) => o.key === "registry");
    expect(entry?.releases).toEqual(["zot"]);
    const { settings, problems } = parsed(entry?.example);
    expect(problems).toEqual([]);
    expect(settings && registryUpstreamPorts(settings)).toEqual([]);
  });

  it("every problem names its field", () => {
    expect(parsed("yes").problems).toEqual([`registry: must be true or an object such as { volumeGiB: 20 } (got "yes"); leave the key out for no registry`]);
    expect(parsed({ volumeGiB: 0, mirrors: ["docker.io", "gcr.io", "docker.io"], scanning: { dbRepository: "Trivy:latest", extra: 1 }, size: 3 }).problems).toEqual([
      "registry.size: is not a registry setting (volumeGiB, mirrors, scanning)",
      "registry.volumeGiB: must be a positive whole number (got 0)",
      `registry.mirrors[1]: "gcr.io" is not a public registry zot caches here (docker.io, ghcr.io, quay.io, registry.k8s.io)`,
      `registry.mirrors[2]: "docker.io" is listed twice`,
      "registry.scanning.extra: is not a scanning setting (dbRepository, javaDbRepository)",
      `registry.scanning.dbRepository: "Trivy:latest" is not an OCI repository (host[:port]/path, no tag, lowercase)`,
    ]);
    expect(problemsOf(() => parsePlatformSettings({ registry: { volumeGiB: 5000 } }, topology))).toEqual(["registry.volumeGiB: 5000 GiB is more than 2048 GiB on the cluster's Ceph pool"]);
  });

  it("registry.<domain> is no app's host, whether or not the opt-in is on", () => {
    const app = { name: "web", image: "r.example/web:1", port: 8080, ingress: { host: "registry" } };
    expect(problemsOf(() => parseApps({ apps: [app] }, topology))).toContainEqual(expect.stringMatching(/^apps\[0\]\.ingress\.host: "registry\.[^"]+" is one of the platform's own hosts/));
  });
});

describe("zot: what it receives", () => {
  const settings = { volumeGiB: 30, mirrors: ["docker.io", "quay.io"] as const, scanning: undefined };
  const config = zotConfig({ ...settings, mirrors: [...settings.mirrors] });

  it("nobody is anonymous: push reads and writes, pull reads and scrapes /metrics", () => {
    expect(config.http).toMatchObject({
      auth: { htpasswd: { path: "/secret/htpasswd" } },
      accessControl: {
        repositories: { "**": { policies: [{ users: ["push"], actions: ["read", "create", "update"] }, { users: ["pull"], actions: ["read"] }], defaultPolicy: [] } },
        metrics: { users: ["pull"] },
      },
      compat: ["docker2s2"],
    });
    expect(JSON.stringify(config)).not.toContain("anonymousPolicy");
  });

  it("caches each mirrored registry on demand under its own name, digests preserved", () => {
    const sync = (config.extensions as { sync: { registries: unknown[] } }).sync;
    expect(sync.registries).toEqual([
      expect.objectContaining({ urls: ["https://registry-1.docker.io"], onDemand: true, preserveDigest: true, tlsVerify: true, content: [{ prefix: "**", destination: "/docker.io" }] }),
      expect.objectContaining({ urls: ["https://quay.io"], onDemand: true, content: [{ prefix: "**", destination: "/quay.io" }] }),
    ]);
    expect((zotConfig({ volumeGiB: 1, mirrors: [] }).extensions as Record<string, unknown>).sync).toBeUndefined();
  });

  it("CVE scanning only when asked, with the databases named", () => {
    expect((config.extensions as { search: Record<string, unknown> }).search).toEqual({ enable: true });
    const scanning = zotConfig({ volumeGiB: 1, mirrors: [], scanning: { dbRepository: "m.lan/db", javaDbRepository: "m.lan/java" } });
    expect((scanning.extensions as { search: unknown }).search).toEqual({ enable: true, cve: { updateInterval: "24h", trivy: { dbRepository: "m.lan/db", javaDBRepository: "m.lan/java" } } });
  });

  it("the chart's values: its pinned image, the program's ceph-block claim of registry.volumeGiB, the route with its certificate's Secret, the program's htpasswd Secret, restricted security", () => {
    const { plan } = platform({ registry: { volumeGiB: 30 } });
    const v = zotValues(plan, { volumeGiB: 30, mirrors: [] });
    expect(v.image).toEqual({ repository: CHARTS.zot.image.repository, tag: CHARTS.zot.image.tag, pullPolicy: "IfNotPresent" });
    expect(v.pvc).toEqual({ create: false, name: "zot-images" });
    expect(registryClaimSpec({ volumeGiB: 30, mirrors: [] })).toEqual({ storageClassName: "ceph-block", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "30Gi" } } });
    expect(v.persistence).toBe(true);
    const host = `registry.${plan.domain}`;
    expect(v.ingress).toMatchObject({ enabled: true, className: "traefik", hosts: [{ host, paths: [{ path: "/" }] }], tls: [{ secretName: `${host}-tls`, hosts: [host] }] });
    expect(v.service.type).toBe("ClusterIP");
    expect(v.mountSecret).toBe(false);
    expect(v.externalSecrets).toEqual([{ secretName: "zot-htpasswd", mountPath: "/secret" }]);
    expect(v.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(v.podSecurityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(JSON.parse(v.configFiles["config.json"])).toEqual(zotConfig({ volumeGiB: 30, mirrors: [] }));
    expect(v.resources).toEqual(SIZING.zot);
    expect(zotValues(plan, { volumeGiB: 30, mirrors: [], scanning: { dbRepository: "a.b/c", javaDbRepository: "a.b/d" } }).resources).toEqual(SIZING.zotScanning);
  });

  it("htpasswd holds bcrypt hashes only; the push Secret is what docker login writes", () => {
    expect(htpasswdFile([{ name: "push", bcryptHash: "$2a$10$x" }, { name: "pull", bcryptHash: "$2a$10$y" }])).toBe("push:$2a$10$x\npull:$2a$10$y\n");
    const doc = JSON.parse(dockerConfigJson("registry.example.lan", "push", "pw")) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(doc.auths["registry.example.lan"].auth, "base64").toString()).toBe("push:pw");
    expect(registryPush("example.lan", 30443)).toEqual({
      endpoint: "registry.example.lan:30443",
      internalEndpoint: "zot.registry.svc.cluster.local:5000",
      username: "push",
      secretName: "registry-push",
      namespace: "registry",
    });
  });

  it("reaches out only on HTTPS, or a database copy's own port", () => {
    expect(registryUpstreamPorts({ volumeGiB: 1, mirrors: [] })).toEqual([]);
    expect(registryUpstreamPorts({ volumeGiB: 1, mirrors: ["docker.io"] })).toEqual([443]);
    expect(registryUpstreamPorts({ volumeGiB: 1, mirrors: [], scanning: { dbRepository: "m.lan:5000/db", javaDbRepository: "ghcr.io/x" } })).toEqual([443, 5000]);
  });
});

describe("the platform with and without the registry", () => {
  const off = platform({}).rendered;
  const { plan, rendered: on } = platform({ registry: { volumeGiB: 30, scanning: true } });
  const ns = NAMESPACES.registry.name;

  it("a stack without it has no registry namespace, policy, monitor, dashboard, certificate, values or workload", () => {
    expect(platformNamespaces(false, false, false)).not.toContain("registry");
    expect(off.values.zot).toBeUndefined();
    expect(off.networkPolicies.filter((p) => p.namespace === ns)).toEqual([]);
    expect(off.serviceMonitors.filter((m) => m.namespace === ns)).toEqual([]);
    expect(off.dashboards.map((d) => d.name)).not.toContain("registry-dashboard");
    expect(off.workloads.filter((w) => w.release === "zot")).toEqual([]);
  });

  it("with it: the restricted namespace, default deny, clients and scrapes to zot's port, HTTPS out", () => {
    expect(NAMESPACES.registry.enforce).toBe("restricted");
    expect(platformNamespaces(false, false, true)).toContain("registry");
    const policies = on.networkPolicies.filter((p) => p.namespace === ns);
    // The last: FreeIPA's HTTP-01 solver pod for the registry's certificate (prod has FreeIPA).
    expect(policies.map((p) => p.name)).toEqual(["default-deny", "allow-clients", "allow-from-monitoring", "allow-dns", "allow-upstreams", "allow-acme-http01-solver"]);
    const upstreams = policies.find((p) => p.name === "allow-upstreams");
    expect(upstreams?.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 443, protocol: "TCP" }] }]);
    expect(policies.find((p) => p.name === "allow-clients")?.spec.ingress).toEqual([{ from: [{ namespaceSelector: {} }], ports: [{ port: 5000, protocol: "TCP" }] }]);
  });

  it("its ServiceMonitor logs in as pull; the dashboard is Grafana's; zot's pod is counted with its requests and limits", () => {
    const monitor = on.serviceMonitors.find((m) => m.namespace === ns);
    expect(monitor?.spec).toMatchObject({ endpoints: [{ port: "zot", path: "/metrics", basicAuth: { username: { name: "registry-metrics-auth", key: "username" } } }] });
    expect(on.dashboards.find((d) => d.name === "registry-dashboard")?.namespace).toBe("monitoring");
    expect(on.workloads.filter((w) => w.release === "zot")).toEqual([{ release: "zot", name: "zot", kind: "StatefulSet", replicas: 1, containers: [{ name: "zot", resources: SIZING.zotScanning }] }]);
    const before = capacityReport(off.workloads, plan.nodes).requests;
    const after = capacityReport(on.workloads, plan.nodes).requests;
    expect(after.memoryMiB - before.memoryMiB).toBe(1024);
    expect(after.cpuMilli - before.cpuMilli).toBe(200);
  });

  it("a certificate for registry.<domain> in its namespace, and the host among those the issuer serves", () => {
    expect(on.certificates.find((c) => c.namespace === ns)?.spec.dnsNames).toEqual([`registry.${plan.domain}`]);
    expect(plan.tls?.hosts).toContain(`registry.${plan.domain}`);
    expect(off.certificates.map((c) => c.namespace)).not.toContain(ns);
  });

  it("the release: chart zot in namespace registry", () => {
    expect(RELEASES.zot).toMatchObject({ name: "zot", namespace: "registry" });
  });
});

describe("the nodes' mirror (registries.yaml)", () => {
  const zotMirror = {
    endpoint: "https://registry.example.lan:30443",
    registries: ["docker.io", "registry.k8s.io"],
    prefixRepositories: true,
    caPem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    auth: { username: "pull", password: "pw" },
    airGap: false,
  };

  it("each public registry goes to the mirror, rewritten under its name, with the mirror's CA and credentials", () => {
    expect(parse(renderRegistriesYaml(zotMirror))).toEqual({
      mirrors: {
        "docker.io": { endpoint: ["https://registry.example.lan:30443"], rewrite: { "^(.*)$": "docker.io/$1" } },
        "registry.k8s.io": { endpoint: ["https://registry.example.lan:30443"], rewrite: { "^(.*)$": "registry.k8s.io/$1" } },
        "registry.example.lan:30443": { endpoint: ["https://registry.example.lan:30443"] },
      },
      configs: { "registry.example.lan:30443": { auth: { username: "pull", password: "pw" }, tls: { ca_file: REGISTRY_CA_FILE } } },
    });
    expect(parse(renderRegistriesYaml({ ...zotMirror, prefixRepositories: false, caPem: undefined, auth: undefined }))).toEqual({
      mirrors: {
        "docker.io": { endpoint: ["https://registry.example.lan:30443"] },
        "registry.k8s.io": { endpoint: ["https://registry.example.lan:30443"] },
        "registry.example.lan:30443": { endpoint: ["https://registry.example.lan:30443"] },
      },
    });
  });

  it("the install script's stdin: config.yaml alone without a mirror (unchanged nodes), then each file after its marker", () => {
    expect(nodeStdin("token: t\n", undefined)).toBe("token: t\n");
    const text = nodeStdin("token: t\n", zotMirror);
    expect(text.startsWith("token: t\n" + `${STDIN_FILE_MARKER} registries.yaml\n`)).toBe(true);
    expect(text).toContain(`${STDIN_FILE_MARKER} registry-ca.pem\n`);
  });

  it("the air gap turns off the public endpoint fallback in config.yaml, on servers and agents; otherwise config.yaml has no such key", () => {
    const node = { name: "w1", clusterAddress: "10.0.0.5", clusterIface: "eth1", labels: {}, taints: [] } as unknown as Parameters<typeof renderK3sConfig>[0]["node"];
    const base = { node, token: "t", serverUrl: "https://10.0.0.2:6443", tlsSans: [], storage: false };
    for (const kind of ["agent", "server"] as const) {
      expect(parse(renderK3sConfig({ ...base, kind, disableDefaultRegistryEndpoint: true }))["disable-default-registry-endpoint"]).toBe(true);
      expect(parse(renderK3sConfig({ ...base, kind }))).not.toHaveProperty("disable-default-registry-endpoint");
    }
  });
});

describe("registryMirror: the air-gap mirror outside the cluster", () => {
  const CA = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ1\n-----END CERTIFICATE-----\n";
  const mirror = (value: unknown, passwordSet = false, read = (_p: string): string => CA) => {
    const c = new Collector();
    return { settings: parseRegistryMirror(c, value, passwordSet, read), problems: c.problems };
  };

  it("defaults: the four public registries, no rewrite, the air gap on", () => {
    expect(mirror({ endpoint: "https://mirror.lan:5000/" })).toEqual({
      settings: { endpoint: "https://mirror.lan:5000", registries: Object.keys(PUBLIC_REGISTRIES), prefixRepositories: false, caPem: undefined, username: undefined, airGap: true },
      problems: [],
    });
  });

  it("every problem names its key", () => {
    expect(mirror({ endpoint: "http://mirror.lan", registries: ["Docker.io"], caFile: "ca.pem", user: "x" }).problems).toEqual([
      "registryMirror.user: is not a registry mirror setting (endpoint, registries, prefixRepositories, caFile, username, airGap)",
      `registryMirror.endpoint: must be the https URL of the mirror (https://host[:port][/path]), without query or credentials (got "http://mirror.lan"); containerd's plain-http mirrors are not offered`,
      `registryMirror.registries[0]: "Docker.io" is not a registry name (host[:port], lowercase)`,
      `registryMirror.caFile: "ca.pem" is not an absolute path on the machine running Pulumi`,
    ]);
    expect(mirror({ endpoint: "https://m.lan", username: "u" }).problems).toEqual(["registryMirrorPassword: is required with registryMirror.username: pulumi config set --secret registryMirrorPassword <password>"]);
    expect(mirror(undefined, true).problems).toEqual(["registryMirrorPassword: is the password of registryMirror, which is not set"]);
    expect(mirror({ endpoint: "https://m.lan", caFile: "/ca.pem" }, false, () => "not a certificate").problems).toEqual([
      "registryMirror.caFile: /ca.pem holds no PEM certificate it can parse (expected the CA bundle the mirror's certificate chains to)",
    ]);
  });

  it("the in-cluster registry as the nodes' mirror and registryMirror together are refused, naming both", () => {
    const registry = parsed({}).settings;
    const external = mirror({ endpoint: "https://mirror.lan" }).settings;
    const [problem] = nodeMirrorConflicts(registry, external);
    expect(problem).toMatch(/^registryMirror: and registry\.mirrors both send the nodes' public pulls to a mirror\. With registryMirror\.airGap no node may pull from the internet/);
    expect(problem).toContain("set registry.mirrors: []");
    expect(nodeMirrorConflicts(parsed({ mirrors: [] }).settings, external)).toEqual([]);
    expect(nodeMirrorConflicts(registry, undefined)).toEqual([]);
  });
});
