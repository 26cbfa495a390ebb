/**
 * Alertmanager's configuration (alertmanager.yaml), rendered from the stack's alert receivers. It
 * lives in a Secret of its own that the Alertmanager resource names (`configSecret`), with the
 * chart's own config Secret off (`useExistingSecret`): the SMTP password and the webhook URL are in
 * that Secret only, never in the Helm release's values (which Helm stores in its release Secret and
 * Pulumi in the release's inputs).
 *
 * The route keeps the chart's defaults (group by namespace, 30s/5m/12h; Watchdog and InfoInhibitor
 * go nowhere, the chart's inhibit rules) and sends everything else to `person`: e-mail and/or
 * webhook, resolved notifications included. Without a receiver the default route is `null`.
 */
import { stringify } from "yaml";
import { AlertSecrets, AlertSettings } from "../config/alerts";

/** The Secret the Alertmanager resource reads its config from (key `alertmanager.yaml`). */
export const ALERTMANAGER_CONFIG_SECRET = "alertmanager-receivers";
export const ALERTMANAGER_CONFIG_KEY = "alertmanager.yaml";
/** Labels the operator gives the Alertmanager pods (the NetworkPolicy toward the receivers selects them). */
export const ALERTMANAGER_POD_LABELS = { "app.kubernetes.io/name": "alertmanager" } as const;

/** The receiver every alert except Watchdog and InfoInhibitor goes to, when one is configured. */
export const PERSON_RECEIVER = "person";

interface AlertmanagerConfig {
  global: Record<string, string | boolean>;
  route: {
    receiver: string;
    group_by: string[];
    group_wait: string;
    group_interval: string;
    repeat_interval: string;
    routes: { receiver: string; matchers: string[] }[];
  };
  inhibit_rules: { source_matchers?: string[]; target_matchers: string[]; equal?: string[] }[];
  receivers: { name: string; email_configs?: Record<string, unknown>[]; webhook_configs?: Record<string, unknown>[] }[];
}

export function hasAlertReceiver(settings: AlertSettings): boolean {
  return settings.email !== undefined || settings.webhook !== undefined;
}

export function alertmanagerConfig(settings: AlertSettings, secrets: AlertSecrets): AlertmanagerConfig {
  const global: Record<string, string | boolean> = { resolve_timeout: "5m" };
  const person: AlertmanagerConfig["receivers"][number] = { name: PERSON_RECEIVER };
  if (settings.email) {
    const e = settings.email;
    Object.assign(global, { smtp_smarthost: e.smarthost, smtp_from: e.from, smtp_require_tls: e.requireTls });
    if (e.username !== undefined) {
      if (!secrets.smtpPassword) throw new Error("alertmanagerConfig: alertSmtpUsername is set but the SMTP password is missing");
      Object.assign(global, { smtp_auth_username: e.username, smtp_auth_password: secrets.smtpPassword });
    }
    person.email_configs = [{ to: e.to.join(", "), send_resolved: true }];
  }
  if (settings.webhook) {
    if (!secrets.webhookUrl) throw new Error("alertmanagerConfig: a webhook is configured but its URL is missing");
    person.webhook_configs = [{ url: secrets.webhookUrl, send_resolved: true }];
  }
  const on = hasAlertReceiver(settings);
  return {
    global,
    route: {
      receiver: on ? PERSON_RECEIVER : "null",
      group_by: ["namespace"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "12h",
      // Watchdog fires always (it proves the pipeline works) and InfoInhibitor only mutes info alerts.
      routes: [
        { receiver: "null", matchers: ['alertname = "Watchdog"'] },
        { receiver: "null", matchers: ['alertname = "InfoInhibitor"'] },
      ],
    },
    // The chart's defaults: a critical alert mutes the warning/info alerts of the same name and
    // namespace, a warning the info ones.
    inhibit_rules: [
      { source_matchers: ["severity = critical"], target_matchers: ["severity =~ warning|info"], equal: ["namespace", "alertname"] },
      { source_matchers: ["severity = warning"], target_matchers: ["severity = info"], equal: ["namespace", "alertname"] },
      { source_matchers: ["alertname = InfoInhibitor"], target_matchers: ["severity = info"], equal: ["namespace"] },
      { target_matchers: ["alertname = InfoInhibitor"] },
    ],
    receivers: [{ name: "null" }, ...(on ? [person] : [])],
  };
}

/** alertmanager.yaml as the Alertmanager pods load it. */
export function renderAlertmanagerConfig(settings: AlertSettings, secrets: AlertSecrets): string {
  return stringify(alertmanagerConfig(settings, secrets), { lineWidth: 0 });
}
