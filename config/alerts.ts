/**
 * Where Alertmanager sends alerts (issue 18 item 6): e-mail over SMTP and a webhook, from the stack
 * config; the SMTP password and the webhook URL (which often carries a token) are secrets. Without
 * any receiver alerts reach no person: they stay visible in Alertmanager and Grafana only, and the
 * program says so with a warning.
 *
 * `parseAlertSettings` is pure and fails with every problem at once, each naming its key.
 */
import * as pulumi from "@pulumi/pulumi";
import { readRawConfig } from "./load";
import { checkSecretKeys, RawSecrets, readSecretKeys, setSecretCommand } from "./secret-keys";
import { Collector, ConfigError } from "./validate";

export interface RawAlertConfig {
  alertEmailTo?: unknown;
  alertEmailFrom?: unknown;
  alertSmtpSmarthost?: unknown;
  alertSmtpUsername?: unknown;
  alertSmtpRequireTls?: unknown;
}

export const ALERT_CONFIG_KEYS: readonly (keyof RawAlertConfig)[] = ["alertEmailTo", "alertEmailFrom", "alertSmtpSmarthost", "alertSmtpUsername", "alertSmtpRequireTls"];
export const ALERT_SECRET_KEYS = ["alertSmtpPassword", "alertWebhookUrl"] as const;
export type AlertSecretKey = (typeof ALERT_SECRET_KEYS)[number];

export interface EmailReceiver {
  to: string[];
  from: string;
  /** `host:port` of the SMTP server. */
  smarthost: string;
  smtpPort: number;
  /** Set exactly when the server wants a login (the password is a secret). */
  username?: string;
  /** STARTTLS required (Alertmanager's default); false only for a server on a trusted network. */
  requireTls: boolean;
}

export interface AlertSettings {
  email?: EmailReceiver;
  /** The webhook's port (the URL itself is a secret): the NetworkPolicy opens it for Alertmanager. */
  webhook?: { port: number };
  warnings: string[];
}

/** The secret parts, as one secret Output for the rendered Alertmanager config. */
export interface AlertSecrets {
  smtpPassword?: string;
  webhookUrl?: string;
}

export interface AlertConfig {
  settings: AlertSettings;
  secrets: pulumi.Output<AlertSecrets>;
}

const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const SMARTHOST = /^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:]+\]):(\d{1,5})$/;

export type RawAlertSecrets = RawSecrets<AlertSecretKey>;

function webhookPort(c: Collector, url: string): number | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    c.fail("alertWebhookUrl", "is not a URL (http:// or https://)");
    return undefined;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    c.fail("alertWebhookUrl", `must be an http:// or https:// URL (got ${parsed.protocol})`);
    return undefined;
  }
  return parsed.port ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
}

export function parseAlertSettings(raw: RawAlertConfig, secrets: RawAlertSecrets): AlertSettings {
  const c = new Collector();
  const ok = checkSecretKeys(c, ALERT_SECRET_KEYS, secrets);

  let email: EmailReceiver | undefined;
  const to = c.stringList("alertEmailTo", raw.alertEmailTo, []);
  to.forEach((address, i) => {
    if (!EMAIL.test(address)) c.fail(`alertEmailTo[${i}]`, `"${address}" is not an e-mail address`);
  });
  const emailKeys = (["alertEmailFrom", "alertSmtpSmarthost", "alertSmtpUsername"] as const).filter((k) => raw[k] !== undefined);
  if (to.length > 0) {
    const from = c.string("alertEmailFrom", raw.alertEmailFrom);
    if (from && !EMAIL.test(from)) c.fail("alertEmailFrom", `"${from}" is not an e-mail address`);
    const smarthost = c.string("alertSmtpSmarthost", raw.alertSmtpSmarthost);
    const m = SMARTHOST.exec(smarthost);
    const smtpPort = m ? Number(m[m.length - 1]) : 0;
    if (smarthost && (!m || smtpPort < 1 || smtpPort > 65535)) c.fail("alertSmtpSmarthost", `"${smarthost}" is not host:port (e.g. smtp.example.net:587)`);
    const username = raw.alertSmtpUsername === undefined ? undefined : c.string("alertSmtpUsername", raw.alertSmtpUsername);
    const hasPassword = secrets.alertSmtpPassword !== undefined;
    if (username !== undefined && !hasPassword) c.fail("alertSmtpPassword", `is required with alertSmtpUsername; set it with \`${setSecretCommand("alertSmtpPassword")}\``);
    if (username === undefined && hasPassword) c.fail("alertSmtpUsername", "is required with alertSmtpPassword (the SMTP login)");
    const requireTls = c.boolean("alertSmtpRequireTls", raw.alertSmtpRequireTls, true);
    if (hasPassword && !requireTls) c.fail("alertSmtpRequireTls", "must stay true while the SMTP server is given a password: it would cross the network in clear");
    email = { to, from, smarthost, smtpPort, username, requireTls };
  } else if (emailKeys.length > 0 || secrets.alertSmtpPassword !== undefined) {
    c.fail("alertEmailTo", `is required with ${[...emailKeys, ...(secrets.alertSmtpPassword ? ["alertSmtpPassword"] : [])].join(", ")} (who gets the alert e-mails)`);
  }

  const webhookUrl = ok.alertWebhookUrl;
  const port = webhookUrl === undefined ? undefined : webhookPort(c, webhookUrl);
  const webhook = port === undefined ? undefined : { port };

  if (!email && !webhook && c.problems.length === 0) {
    c.warnings.push(
      "no alert receiver (alertEmailTo, alertWebhookUrl): alerts reach no person; they are visible only in Alertmanager and Grafana (docs/platform.md, Alerts)",
    );
  }
  if (c.problems.length > 0) throw new ConfigError(c.problems);
  return { email, webhook, warnings: c.warnings };
}

/** Reads the alert keys; the SMTP password and the webhook URL must be encrypted in the stack config. */
export function loadAlertSettings(): AlertConfig {
  const { raw: secrets, outputs } = readSecretKeys(ALERT_SECRET_KEYS);
  const settings = parseAlertSettings(readRawConfig(ALERT_CONFIG_KEYS), secrets);
  for (const warning of settings.warnings) void pulumi.log.warn(warning);
  const secretValues = pulumi.secret(
    pulumi.all([outputs.alertSmtpPassword, outputs.alertWebhookUrl]).apply(([smtpPassword, webhookUrl]) => ({
      ...(smtpPassword ? { smtpPassword } : {}),
      ...(webhookUrl ? { webhookUrl } : {}),
    })),
  );
  return { settings, secrets: secretValues };
}
