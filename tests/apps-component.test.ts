/**
 * The whole prod program under the SDK's mock engine (values known, as in `pulumi up`): what the apps
 * stage registers for the reference app, in which order, and that its credentials only travel as
 * secrets.
 */
import { isSecretAt, Recorded, Recorder } from "../plan/recorder";
import { recordDeployedProd } from "./helpers/deployed-program";
import { FREEIPA_CA_PEM, TOKEN } from "./helpers/machine-outputs";

let rec: Recorder;
let outputs: typeof import("../index");

beforeAll(async () => {
  ({ rec, outputs } = await recordDeployedProd({ appsRegistry: "registry.example.com/fmc" }));
});

const inApps = () => rec.all().filter((r) => r.parent.endsWith("flatcarmicrocloud:apps:Apps::apps"));
const kindsOf = (app: string) =>
  inApps()
    .filter((r) => r.name === `apps-${app}` || r.name.startsWith(`apps-${app}-`))
    .map((r) => String(r.inputs.kind))
    .sort();
/** The resource of `kind` named `name` (one Pulumi name serves an app's resources of each kind). */
const one = (kind: string, name: string): Recorded => {
  const found = rec.all().filter((r) => r.name === name && r.inputs.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0];
};

it("registers one Apps component, on the cluster's provider", () => {
  expect(rec.byType("flatcarmicrocloud:apps:Apps").map((r) => r.name)).toEqual(["apps"]);
  for (const r of inApps()) expect(r.provider).toContain("::cluster-provider::");
});

it("each app gets its ServiceAccount, Secret, Deployment, Service, PDB, HPA, NetworkPolicy and (with a host) route", () => {
  expect(kindsOf("api")).toEqual(["Deployment", "HorizontalPodAutoscaler", "IngressRoute", "NetworkPolicy", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount"]);
  expect(kindsOf("worker")).toEqual(["Deployment", "HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount"]);
  expect(kindsOf("frontend")).toEqual(["Deployment", "HorizontalPodAutoscaler", "IngressRoute", "NetworkPolicy", "PodDisruptionBudget", "Service", "ServiceAccount"]);
  expect(one("Deployment", "apps-api").type).toBe("kubernetes:apps/v1:Deployment");
  expect(rec.byType("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")).toHaveLength(3);
  expect(rec.byName("apps-ns").inputs.metadata).toMatchObject({ name: "apps", labels: { "pod-security.kubernetes.io/enforce": "restricted" } });
});

it("the credentials Secrets hold the generated passwords, as secrets only", () => {
  const api = rec.all().find((r) => r.name === "apps-api-credentials") as Recorded;
  expect(isSecretAt(api.rawInputs, ["stringData"])).toBe(true);
  expect(api.inputs.stringData).toEqual({ POSTGRES_PASSWORD: TOKEN, REDIS_PASSWORD: TOKEN, REDIS_SENTINEL_PASSWORD: TOKEN, MQTT_USERNAME: "mqtt", MQTT_PASSWORD: TOKEN });
  const worker = rec.all().find((r) => r.name === "apps-worker-credentials") as Recorded;
  expect(Object.keys(worker.inputs.stringData as object).sort()).toEqual(["MQTT_PASSWORD", "MQTT_USERNAME", "REDIS_PASSWORD", "REDIS_SENTINEL_PASSWORD"]);
  expect(JSON.stringify(one("Deployment", "apps-api").rawInputs)).not.toContain(TOKEN);
});

it("a Strimzi KafkaTopic in Kafka's namespace and a Certificate for the app host", () => {
  const topic = rec.byName("apps-topic-events");
  expect(topic.inputs).toMatchObject({ apiVersion: "kafka.strimzi.io/v1", kind: "KafkaTopic", metadata: { name: "events", namespace: "kafka", labels: { "strimzi.io/cluster": "kafka" } } });
  const cert = rec.byName("apps-certificate-app.cefaslocalserver.com");
  expect(cert.inputs).toMatchObject({
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { namespace: "apps", annotations: { "pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "900" } },
    spec: { issuerRef: { kind: "ClusterIssuer" }, privateKey: { algorithm: "RSA", size: 2048 } },
  });
});

it("the issuer and every Certificate (platform's and apps') come after FreeIPA's DNS records command", () => {
  const records = rec.byName("guest-roles-freeipa1-records");
  expect(rec.dependencyNames(rec.byName("platform-cluster-issuer"))).toContain("guest-roles-freeipa1-records");
  const certs = rec.all().filter((r) => r.inputs.kind === "Certificate");
  expect(certs.map((c) => c.name).sort()).toEqual([
    "apps-certificate-app.cefaslocalserver.com",
    "platform-certificate-ceph.cefaslocalserver.com",
    "platform-certificate-grafana.cefaslocalserver.com",
    "platform-certificate-traefik.cefaslocalserver.com",
  ]);
  for (const c of certs) expect({ cert: c.name, waits: rec.dependsOn(c, records) }).toEqual({ cert: c.name, waits: true });
});

it("waits for the platform, its guard rails, its Secret, topics and certificate", () => {
  const kafka = rec.byName("platform-kafka");
  const traefik = rec.byType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "traefik") as Recorded;
  const api = one("Deployment", "apps-api");
  for (const dep of [kafka, traefik, rec.byName("apps-default-deny"), rec.byName("apps-container-defaults"), one("Secret", "apps-api-credentials"), one("ServiceAccount", "apps-api"), rec.byName("apps-topic-events")]) {
    expect({ dep: dep.name, waits: rec.dependsOn(api, dep) }).toEqual({ dep: dep.name, waits: true });
  }
  expect(rec.dependsOn(rec.byName("apps-topic-events"), kafka)).toBe(true);
  // Kafka is awaited until Ready, so waiting for it means brokers exist.
  expect((kafka.inputs.metadata as { annotations: Record<string, string> }).annotations["pulumi.com/waitFor"]).toBe("condition=Ready");
  const route = rec.byName("apps-api-route");
  expect(rec.dependsOn(route, rec.byName("apps-certificate-app.cefaslocalserver.com"))).toBe(true);
  // The apps never hold the platform back.
  expect(rec.dependsOn(kafka, api)).toBe(false);
});

it("outputs each app's URLs and in-cluster address", () => {
  expect(outputs.appEndpoints).toEqual({
    api: { urls: ["https://app.cefaslocalserver.com/api"], internal: "http://api.apps.svc.cluster.local:8000" },
    worker: { urls: [], internal: "http://worker.apps.svc.cluster.local:8000" },
    frontend: { urls: ["https://app.cefaslocalserver.com/"], internal: "http://frontend.apps.svc.cluster.local:8080" },
  });
});

it("FreeIPA's ACME command runs over SSH after first boot; its CA certificate is the issuer's caBundle and a stack output", async () => {
  const acme = rec.byName("guest-roles-freeipa1-acme");
  expect(acme.inputs.create).toBe(acme.inputs.update);
  expect(String(acme.inputs.create)).toContain("ipa-acme-manage enable");
  expect(acme.inputs.triggers).toEqual([expect.any(String)]);
  expect(rec.dependsOn(rec.byName("platform-cluster-issuer"), acme)).toBe(true);
  expect((rec.byName("platform-cluster-issuer").inputs.spec as { acme: { caBundle: string } }).acme.caBundle).toBe(Buffer.from(FREEIPA_CA_PEM).toString("base64"));
  expect(await new Promise((resolve) => outputs.tlsCaCertificate?.apply(resolve))).toBe(FREEIPA_CA_PEM);
  // FreeIPA resolves the app's host to the load balancer (and so can validate its challenge).
  expect(String(rec.byName("guest-roles-freeipa1-records").inputs.create)).toContain("'app 10.17.3.12'");
});

it("appUrls: each routed app's URL, for npm run smoke", () => {
  expect(outputs.appUrls).toEqual({ api: "https://app.cefaslocalserver.com/api", frontend: "https://app.cefaslocalserver.com/" });
});
