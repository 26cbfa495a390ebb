/**
 * Mosquitto's users and what each may do: the apps' shared user, and a second one for clients outside
 * the cluster, so a credential handed to a device never opens the apps' traffic. Pure: the password
 * file and the ACL are rendered here; the Platform component supplies generated passwords and salts.
 *
 * The password file is Mosquitto's own format, as `mosquitto_passwd` writes it (mosquitto 2.0,
 * apps/mosquitto_passwd/mosquitto_passwd.c `output_new_password`, src/password_mosq.c `pw__hash`):
 * `user:$7$<iterations>$<base64 salt>$<base64 hash>`, the hash PBKDF2-HMAC-SHA512 of the password
 * over a 12-byte salt, 64 bytes long, base64 with padding and no newlines.
 */
import { pbkdf2Sync } from "crypto";

/** `mosquitto_passwd`'s default (PW_DEFAULT_ITERATIONS): the passwords are 32 random characters. */
export const MOSQUITTO_PBKDF2_ITERATIONS = 101;
/** Mosquitto's salt length (SALT_LEN). */
export const MOSQUITTO_SALT_BYTES = 12;

/** The apps' user (the chart's `auth.username`; the apps stage passes it to every app using MQTT). */
export const MQTT_APPS_USER = "mqtt";
/** Clients outside the cluster (through the load balancer): their own user, password and topics. */
export const MQTT_EXTERNAL_USER = "external";
/** The only topics the external user may use; the apps reach them too, to talk with outside clients. */
export const MQTT_EXTERNAL_TOPICS = "external/#";

export interface MqttUser {
  name: string;
  password: string;
  /** `MOSQUITTO_SALT_BYTES` random bytes, base64 (random.RandomBytes `base64`). */
  saltBase64: string;
}

/** One line of Mosquitto's password file. */
export function mosquittoPasswordLine(user: MqttUser, iterations = MOSQUITTO_PBKDF2_ITERATIONS): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(user.name)) throw new Error(`MQTT user name "${user.name}": letters, digits, _ . - only`);
  const salt = Buffer.from(user.saltBase64, "base64");
  if (salt.length !== MOSQUITTO_SALT_BYTES) throw new Error(`MQTT user ${user.name}: the salt must be ${MOSQUITTO_SALT_BYTES} bytes, not ${salt.length}`);
  const hash = pbkdf2Sync(user.password, salt, iterations, 64, "sha512");
  return `${user.name}:$7$${iterations}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export function mosquittoPasswordFile(users: MqttUser[]): string {
  return users.map((u) => `${mosquittoPasswordLine(u)}\n`).join("");
}

/**
 * The ACL (the chart's `acl.rules`): with an ACL file, Mosquitto denies whatever it does not grant.
 * The apps' user keeps every topic; the external user only `MQTT_EXTERNAL_TOPICS`.
 */
export function mosquittoAcl(): string {
  return [
    "# The apps' shared user: every topic.",
    `user ${MQTT_APPS_USER}`,
    "topic readwrite #",
    "",
    "# Clients outside the cluster: their own subtree only.",
    `user ${MQTT_EXTERNAL_USER}`,
    `topic readwrite ${MQTT_EXTERNAL_TOPICS}`,
    "",
  ].join("\n");
}
