/**
 * The `apps` stack config: the prod stack's reference app parses to the typed apps the stage renders,
 * and every bad entry is refused before anything is created, each problem naming its key.
 */
import { checkImage, parseApps, RawAppsConfig, resolveImage } from "../config/apps";
import { parseTopology } from "../config/validate";
import { problemsOf } from "./helpers/problems";
import { rawStack, stackConfig } from "./helpers/stacks";

const topology = parseTopology(rawStack("prod"), "prod");
const prodApps = () => structuredClone(stackConfig("prod").apps) as Record<string, unknown>[];
const REGISTRY = "registry.example.com/fmc";

function withApp(edit: (app: Record<string, unknown>) => void, index = 0): RawAppsConfig {
  const apps = prodApps();
  edit(apps[index]);
  return { appsRegistry: REGISTRY, apps };
}
const problems = (raw: RawAppsConfig) => problemsOf(() => parseApps(raw, topology));

describe("the prod stack's reference app", () => {
  const { apps, registry } = parseApps({ appsRegistry: REGISTRY, apps: prodApps() }, topology);

  it("api, worker and frontend with pinned images under the user's registry", () => {
    expect(registry).toBe(REGISTRY);
    expect(apps.map((a) => [a.name, a.image, a.port])).toEqual([
      ["api", `${REGISTRY}/reference-api:0.1.0`, 8000],
      ["worker", `${REGISTRY}/reference-worker:0.1.0`, 8000],
      ["frontend", `${REGISTRY}/reference-frontend:0.1.0`, 8080],
    ]);
    for (const a of apps) expect(checkImage(a.image)).toBeUndefined();
  });

  it("uses the platform's services as the seed's components do", () => {
    const [api, worker, frontend] = apps;
    expect(api.uses).toEqual({ postgres: true, kafkaTopics: ["events"], mqtt: true, redis: true });
    expect(worker.uses).toEqual({ postgres: false, kafkaTopics: ["events"], mqtt: true, redis: true });
    expect(frontend.uses).toEqual({ postgres: false, kafkaTopics: [], mqtt: false, redis: false });
    expect(api.ingress).toEqual({ host: "app.cefaslocalserver.com", paths: ["/api"] });
    expect(frontend.ingress).toEqual({ host: "app.cefaslocalserver.com", paths: ["/"] });
    expect(worker.ingress).toBeUndefined();
    expect(apps.map((a) => a.healthPath)).toEqual(["/healthz", "/healthz", "/healthz"]);
    expect(apps.every((a) => a.serviceAccountToken === false)).toBe(true);
  });

  it("no apps is a valid stack (the stage creates nothing)", () => {
    expect(parseApps({}, topology)).toEqual({ registry: undefined, apps: [] });
  });
});

describe("images", () => {
  it.each([
    ["nginx", "has no tag"],
    ["registry.example.com/fmc/api", "has no tag"],
    ["registry.example.com/fmc/api:latest", "latest"],
    ["Registry.example.com/api:1", "not an image reference"],
    ["registry.example.com/api:1@sha256:abc", "digest must be sha256"],
    ["registry.example.com/api:-bad", "not a valid tag"],
  ])("%s is refused (%s)", (image, message) => {
    expect(checkImage(image)).toContain(message);
  });

  it.each(["registry.example.com:5000/fmc/api:0.1.0", `registry.example.com/api@sha256:${"a".repeat(64)}`, `api:1.2@sha256:${"0".repeat(64)}`])(
    "%s is pinned",
    (image) => expect(checkImage(image)).toBeUndefined(),
  );

  it("names without a / live under appsRegistry; full references stay as written", () => {
    expect(resolveImage("api:1", "r.example.com/x/")).toBe("r.example.com/x/api:1");
    expect(resolveImage("docker.io/library/nginx:1.27", "r.example.com")).toBe("docker.io/library/nginx:1.27");
    expect(resolveImage("api:1", undefined)).toBeUndefined();
  });

  it("a relative image without appsRegistry, latest or no tag name apps[i].image", () => {
    expect(problems({ apps: prodApps() })).toEqual([
      expect.stringMatching(/^apps\[0\]\.image: "reference-api:0.1.0" names no registry: set appsRegistry/),
      expect.stringMatching(/^apps\[1\]\.image: /),
      expect.stringMatching(/^apps\[2\]\.image: /),
    ]);
    expect(problems(withApp((a) => (a.image = "reference-worker:latest"), 1))).toEqual([expect.stringMatching(/^apps\[1\]\.image: .*latest/)]);
    expect(problems(withApp((a) => (a.image = "reference-frontend"), 2))).toEqual([expect.stringMatching(/^apps\[2\]\.image: .*has no tag/)]);
  });
});

describe("every problem names its key", () => {
  it.each<[string, (a: Record<string, unknown>) => void, RegExp]>([
    ["name", (a) => (a.name = "API_1"), /^apps\[0\]\.name: .*RFC 1123/],
    ["port", (a) => (a.port = 80), /^apps\[0\]\.port: 80 is a privileged port/],
    ["port range", (a) => (a.port = 70000), /^apps\[0\]\.port: 70000 is not a TCP port/],
    ["replicas", (a) => (a.replicas = { min: 3, max: 2 }), /^apps\[0\]\.replicas\.max: 2 is below replicas\.min 3/],
    ["replicas shape", (a) => delete a.replicas, /^apps\[0\]\.replicas: is required/],
    ["cpu", (a) => (a.resources = { requests: { cpu: "lots", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } }), /^apps\[0\]\.resources\.requests\.cpu: "lots" is not a CPU quantity/],
    ["memory", (a) => (a.resources = { requests: { cpu: "1", memory: "1G" }, limits: { cpu: "1", memory: "1Gi" } }), /^apps\[0\]\.resources\.requests\.memory: "1G" is not a memory quantity/],
    ["request above limit", (a) => (a.resources = { requests: { cpu: "2", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } }), /^apps\[0\]\.resources\.requests\.cpu: 2 is above the limit 1/],
    ["limits missing", (a) => (a.resources = { requests: { cpu: "1", memory: "1Gi" } }), /^apps\[0\]\.resources\.limits: is required/],
    ["secret-looking env", (a) => (a.env = { DB_PASSWORD: "hunter2" }), /^apps\[0\]\.env\.DB_PASSWORD: looks like a secret/],
    ["secret word inside", (a) => (a.env = { API_TOKEN_FILE: "/x" }), /^apps\[0\]\.env\.API_TOKEN_FILE: looks like a secret/],
    ["reserved env", (a) => (a.env = { POSTGRES_HOST: "elsewhere" }), /^apps\[0\]\.env\.POSTGRES_HOST: is set by the apps stage/],
    ["env name", (a) => (a.env = { "1X": "y" }), /^apps\[0\]\.env\.1X: is not an environment variable name/],
    ["env value", (a) => (a.env = { LEVEL: { nested: true } }), /^apps\[0\]\.env\.LEVEL: must be a string/],
    ["unknown service", (a) => (a.uses = { rabbitmq: true }), /^apps\[0\]\.uses\.rabbitmq: unknown platform service/],
    ["topic", (a) => (a.uses = { kafkaTopics: ["bad topic"] }), /^apps\[0\]\.uses\.kafkaTopics\[0\]: "bad topic" is not a Kafka topic name/],
    ["internal topic", (a) => (a.uses = { kafkaTopics: ["__consumer_offsets"] }), /^apps\[0\]\.uses\.kafkaTopics\[0\]: .*internal/],
    ["flag", (a) => (a.uses = { redis: "yes" }), /^apps\[0\]\.uses\.redis: must be true or false/],
    ["foreign host", (a) => (a.ingress = { host: "app.example.org" }), /^apps\[0\]\.ingress\.host: "app.example.org" is not under the stack's domain/],
    ["platform host", (a) => (a.ingress = { host: "grafana" }), /^apps\[0\]\.ingress\.host: .*platform's own hosts/],
    ["path", (a) => (a.ingress = { host: "app", paths: ["api"] }), /^apps\[0\]\.ingress\.paths\[0\]: "api" is not a path prefix/],
    ["unknown key", (a) => (a.replica = 2), /^apps\[0\]\.replica: unknown key/],
    ["cpu target", (a) => (a.targetCpuPercent = 150), /^apps\[0\]\.targetCpuPercent: 150 is above 100/],
    ["writable path", (a) => (a.writablePaths = ["/"]), /^apps\[0\]\.writablePaths\[0\]: "\/" must be an absolute directory/],
  ])("%s", (_what, edit, expected) => {
    expect(problems(withApp(edit))).toEqual([expect.stringMatching(expected)]);
  });

  it("two apps with one name, or one host+path twice, are refused", () => {
    const apps = prodApps();
    apps[2].name = "api";
    apps[1].ingress = { host: "app", paths: ["/api"] };
    expect(problems({ appsRegistry: REGISTRY, apps })).toEqual([
      'apps[2].name: "api" is also apps[0].name',
      "apps[1].ingress.paths[0]: app.cefaslocalserver.com/api is already routed to apps[0] (api)",
    ]);
  });

  it("postgres without a PostgreSQL VM is refused", () => {
    const raw = structuredClone(rawStack("prod")) as { vms: { role: string }[] };
    raw.vms = raw.vms.filter((vm) => vm.role !== "postgresql");
    const noDatabase = parseTopology(raw, "prod");
    expect(problemsOf(() => parseApps({ appsRegistry: REGISTRY, apps: prodApps() }, noDatabase))).toEqual(["apps[0].uses.postgres: the topology has no postgresql VM"]);
  });

  it("reports every problem of every app at once", () => {
    const apps = prodApps();
    apps[0].image = "reference-api:latest";
    apps[1].port = "eighty";
    apps[2].replicas = { min: 0, max: 1 };
    expect(problems({ appsRegistry: REGISTRY, apps }).map((p) => p.split(":")[0])).toEqual(["apps[0].image", "apps[1].port", "apps[2].replicas.min"]);
  });

  it("appsRegistry and the list's own shape", () => {
    expect(problems({ appsRegistry: "Not A Registry", apps: [] })).toEqual([expect.stringMatching(/^appsRegistry: /)]);
    expect(problems({ apps: { api: {} } })).toEqual(["apps: must be a list of apps"]);
    expect(problems({ apps: ["api"] })).toEqual(["apps[0]: must be an object"]);
  });
});
