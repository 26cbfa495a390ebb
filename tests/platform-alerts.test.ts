/**
 * Alerts that reach a person (issue 18 item 6): the receivers' config keys, the alertmanager.yaml
 * the Alertmanager pods load (checked by the real `amtool check-config`), the chart's own config
 * Secret off and ours named instead (no password in the Helm values), the NetworkPolicy toward the
 * receivers, and the Secret under the mock engine.
 */
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parse } from "yaml";
import { AlertSecrets, AlertSettings, loadAlertSettings, parseAlertSettings, RawAlertConfig, RawAlertSecrets } from "../config/alerts";
import { parsePlatformSettings } from "../config/platform";
import { ConfigError, parseTopology } from "../config/validate";
import { ALERTMANAGER_CONFIG_SECRET, alertmanagerConfig, renderAlertmanagerConfig } from "../platform/alertmanager";
import { namespaceAllows, renderNetworkPolicies } from "../platform/network-policies";
import { k3sClusterFacts as platformFacts } from "../cluster/facts";
import { planPlatform } from "../platform/plan";
import { monitoringValues } from "../platform/values/monitoring";
import { machineOutputs } from "./helpers/machine-outputs";
import { isSecretAt, resolveOutput, startHarness } from "./helpers/pulumi-harness";
import { problemsOf as problemsOfParse } from "./helpers/problems";
import { rawStack, stackConfig } from "./helpers/stacks";
import { hasCommand } from "./roles.helpers";

const topology = parseTopology(rawStack("prod"), "prod");
const EMAIL: RawAlertConfig = { alertEmailTo: ["ops@example.net", "oncall@example.net"], alertEmailFrom: "alertmanager@example.net", alertSmtpSmarthost: "smtp.example.net:587", alertSmtpUsername: "alertmanager" };
const SECRETS: RawAlertSecrets = {
  alertSmtpPassword: { value: "smtp-pass-0123", secret: true },
  alertWebhookUrl: { value: "https://hooks.example.net:8443/alerts?token=t0ken", secret: true },
};
const secretValues: AlertSecrets = { smtpPassword: "smtp-pass-0123", webhookUrl: "https://hooks.example.net:8443/alerts?token=t0ken" };
const problemsOf = (raw: RawAlertConfig, secrets: RawAlertSecrets = {}) => problemsOfParse(() => parseAlertSettings(raw, secrets));

describe("parseAlertSettings", () => {
  it("no receiver: a warning saying alerts reach no person", () => {
    const s = parseAlertSettings({}, {});
    expect([s.email, s.webhook]).toEqual([undefined, undefined]);
    expect(s.warnings).toEqual([expect.stringMatching(/^no alert receiver .* alerts reach no person/)]);
  });

  it("e-mail with a login and a webhook", () => {
    const s = parseAlertSettings(EMAIL, SECRETS);
    expect(s.email).toEqual({ to: ["ops@example.net", "oncall@example.net"], from: "alertmanager@example.net", smarthost: "smtp.example.net:587", smtpPort: 587, username: "alertmanager", requireTls: true });
    expect(s.webhook).toEqual({ port: 8443 });
    expect(s.warnings).toEqual([]);
  });

  it("refuses incomplete or bad e-mail settings, naming each key", () => {
    expect(problemsOf({ alertEmailTo: ["not-an-address"] })).toEqual([
      expect.stringMatching(/^alertEmailTo\[0\]: "not-an-address" is not an e-mail address/),
      "alertEmailFrom: is required",
      "alertSmtpSmarthost: is required",
    ]);
    expect(problemsOf({ ...EMAIL, alertSmtpSmarthost: "smtp.example.net" }, SECRETS)).toEqual([expect.stringMatching(/^alertSmtpSmarthost: "smtp.example.net" is not host:port/)]);
    expect(problemsOf(EMAIL)).toEqual([expect.stringMatching(/^alertSmtpPassword: is required with alertSmtpUsername; set it with `pulumi config set --secret alertSmtpPassword/)]);
    expect(problemsOf({ ...EMAIL, alertSmtpRequireTls: false }, SECRETS)).toEqual([expect.stringMatching(/^alertSmtpRequireTls: must stay true/)]);
    expect(problemsOf({ alertSmtpSmarthost: "smtp.example.net:25" })).toEqual([expect.stringMatching(/^alertEmailTo: is required with alertSmtpSmarthost/)]);
  });

  it("refuses the SMTP password and the webhook URL in plain text, without printing them", () => {
    const plain: RawAlertSecrets = { alertSmtpPassword: { value: "smtp-pass-0123", secret: false }, alertWebhookUrl: { value: "https://hooks.example.net/x", secret: false } };
    const problems = problemsOf(EMAIL, plain);
    expect(problems.map((p) => p.split(":")[0])).toEqual(["alertSmtpPassword", "alertWebhookUrl"]);
    expect(problems.join("\n")).not.toMatch(/smtp-pass-0123|hooks\.example/);
    expect(problems[0]).toMatch(/is stored in plain text in the stack config/);
  });

  it("refuses a webhook that is not an http(s) URL", () => {
    expect(problemsOf({}, { alertWebhookUrl: { value: "ftp://x.example.net/", secret: true } })).toEqual([expect.stringMatching(/^alertWebhookUrl: must be an http:\/\/ or https:\/\/ URL/)]);
    expect(problemsOf({}, { alertWebhookUrl: { value: "not a url", secret: true } })).toEqual([expect.stringMatching(/^alertWebhookUrl: is not a URL/)]);
  });
});

describe("alertmanager.yaml", () => {
  const cases: [string, AlertSettings, AlertSecrets][] = [
    ["no receiver", parseAlertSettings({}, {}), {}],
    ["e-mail without login", parseAlertSettings({ ...EMAIL, alertSmtpUsername: undefined, alertSmtpRequireTls: "false" }, {}), {}],
    ["e-mail and webhook", parseAlertSettings(EMAIL, SECRETS), secretValues],
    ["webhook only", parseAlertSettings({}, { alertWebhookUrl: SECRETS.alertWebhookUrl }), { webhookUrl: secretValues.webhookUrl }],
  ];

  it("routes every alert but Watchdog and InfoInhibitor to the person's receivers", () => {
    const c = alertmanagerConfig(parseAlertSettings(EMAIL, SECRETS), secretValues);
    expect(c.route.receiver).toBe("person");
    expect(c.route.routes.map((r) => [r.receiver, r.matchers])).toEqual([["null", ['alertname = "Watchdog"']], ["null", ['alertname = "InfoInhibitor"']]]);
    expect(c.receivers).toEqual([
      { name: "null" },
      {
        name: "person",
        email_configs: [{ to: "ops@example.net, oncall@example.net", send_resolved: true }],
        webhook_configs: [{ url: secretValues.webhookUrl, send_resolved: true }],
      },
    ]);
    expect(c.global).toEqual({
      resolve_timeout: "5m",
      smtp_smarthost: "smtp.example.net:587",
      smtp_from: "alertmanager@example.net",
      smtp_require_tls: true,
      smtp_auth_username: "alertmanager",
      smtp_auth_password: "smtp-pass-0123",
    });
    // No receiver: the default route goes to `null` (the documented default).
    expect(alertmanagerConfig(parseAlertSettings({}, {}), {}).route.receiver).toBe("null");
  });

  // Debian's amtool (0.25) knows every field used here; the chart runs Alertmanager v0.34.0, whose
  // parser accepts the same. In CI (root, .ci/run installs it) a missing amtool is a failure.
  const canCheck = hasCommand("amtool") || Boolean(process.env.CI);
  (canCheck ? it.each(cases) : it.skip.each(cases))("amtool check-config accepts it: %s", (_name, settings, secrets) => {
    const dir = mkdtempSync(join(tmpdir(), "fmc-am-"));
    try {
      const file = join(dir, "alertmanager.yaml");
      writeFileSync(file, renderAlertmanagerConfig(settings, secrets));
      const r = spawnSync("amtool", ["check-config", file], { encoding: "utf8" });
      expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining("SUCCESS") });
      const receivers = (parse(renderAlertmanagerConfig(settings, secrets)) as { receivers: { name: string }[] }).receivers.map((x) => x.name);
      expect(r.stdout).toContain(` - ${receivers.length} receivers`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the chart and the cluster", () => {
  const plan = planPlatform({ ...platformFacts(topology), settings: parsePlatformSettings({}, topology), alerts: parseAlertSettings(EMAIL, SECRETS) });

  it("the chart's config Secret is off and Alertmanager reads ours; the values hold no receiver secret", () => {
    const values = monitoringValues(plan);
    expect(values.alertmanager.alertmanagerSpec).toMatchObject({ useExistingSecret: true, configSecret: ALERTMANAGER_CONFIG_SECRET });
    expect(JSON.stringify(values)).not.toMatch(/smtp-pass|t0ken|smtp_auth/);
  });

  it("Alertmanager alone may reach the SMTP and webhook ports", () => {
    expect(namespaceAllows(plan).monitoring.find((a) => a.name === "alert-receivers")).toMatchObject({
      direction: "egress",
      peers: [{ kind: "cidr", cidr: "0.0.0.0/0" }],
      ports: [{ port: 587, protocol: "TCP" }, { port: 8443, protocol: "TCP" }],
    });
    const doc = renderNetworkPolicies(plan).find((p) => p.name === "allow-alert-receivers");
    expect(doc?.spec.podSelector).toEqual({ matchLabels: { "app.kubernetes.io/name": "alertmanager" } });
    const none = planPlatform({ ...platformFacts(topology), settings: parsePlatformSettings({}, topology), alerts: parseAlertSettings({}, {}) });
    expect(namespaceAllows(none).monitoring.some((a) => a.name === "alert-receivers")).toBe(false);
  });
});

describe("under the mock engine", () => {
  it("the config is secret Secret data, the release waits for it, and the program reads the secrets as secrets", async () => {
    const config = stackConfig("prod", { ...EMAIL, alertSmtpPassword: "smtp-pass-0123", alertWebhookUrl: secretValues.webhookUrl });
    // machineOutputs: what the engine reports for generated values (passwords, the MQTT users' salts).
    const h = await startHarness({ stack: "prod", config, secretKeys: ["alertSmtpPassword", "alertWebhookUrl"], outputsFor: machineOutputs });
    const alerts = loadAlertSettings();
    const resolved = await resolveOutput(alerts.secrets);
    expect(resolved).toEqual({ value: secretValues, secret: true });
    const { Platform } = await import("../platform");
    const acme = { ready: new random.RandomPassword("acme-ready", { length: 8 }), caCertificate: "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n", dnsRecordsServed: [] };
    new Platform("platform", { provider: new k8s.Provider("k", { kubeconfig: "x" }), ...platformFacts(topology), settings: parsePlatformSettings({}, topology), alerts, acme });
    await h.settle();
    const secret = h.byType("kubernetes:core/v1:Secret").find((s) => (s.inputs.metadata as { name: string }).name === ALERTMANAGER_CONFIG_SECRET);
    if (!secret) throw new Error("no Alertmanager config Secret");
    expect(isSecretAt(secret.rawInputs, ["stringData"])).toBe(true);
    const yaml = (secret.inputs.stringData as Record<string, string>)["alertmanager.yaml"];
    expect(parse(yaml)).toEqual(alertmanagerConfig(parseAlertSettings(EMAIL, SECRETS), secretValues));
    const release = h.byType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "kube-prometheus-stack");
    if (!release) throw new Error("no monitoring release");
    expect(h.dependsOn(release, secret)).toBe(true);
    expect(JSON.stringify(release.inputs.values)).not.toMatch(/smtp-pass|t0ken/);
    expect(h.configReads.filter((r) => /^alert(SmtpPassword|WebhookUrl)$/.test(r.key)).every((r) => r.secret)).toBe(true);
  });

  it("a plain-text SMTP password stops the program, naming the key", async () => {
    await startHarness({ stack: "prod", config: stackConfig("prod", { ...EMAIL, alertSmtpPassword: "smtp-pass-0123" }) });
    expect(() => loadAlertSettings()).toThrow(ConfigError);
    expect(() => loadAlertSettings()).toThrow(/alertSmtpPassword: is stored in plain text/);
  });
});
