/**
 * Mosquitto's two users under the real broker (Debian's mosquitto 2.0, .ci/packages): the
 * password file the platform hashes itself and the ACL it gives the chart, loaded by `mosquitto` on
 * 127.0.0.1 the way the chart's mosquitto.conf loads them. Each client speaks MQTT 3.1.1 over a raw
 * socket: CONNACK says whether the credentials were taken, SUBACK whether the ACL grants a topic.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import { mkdtempSync, writeFileSync } from "fs";
import { connect, createServer, Socket } from "net";
import { tmpdir } from "os";
import { join } from "path";
import { mosquittoAcl, mosquittoPasswordFile, mosquittoPasswordLine, MQTT_APPS_USER, MQTT_EXTERNAL_TOPICS, MQTT_EXTERNAL_USER } from "../platform/mqtt-users";
import { mosquittoValues, MOSQUITTO_USERS_KEY, MOSQUITTO_USERS_SECRET } from "../platform/values/mosquitto";
import { packageOf } from "./helpers/ci-packages";

const MOSQUITTO = "/usr/sbin/mosquitto";
const salt = () => randomBytes(12).toString("base64");
const users = [
  { name: MQTT_APPS_USER, password: "apps-Pa55word-apps-Pa55word-1234", saltBase64: salt() },
  { name: MQTT_EXTERNAL_USER, password: "ext-Pa55word-ext-Pa55word-123456", saltBase64: salt() },
];

const str = (s: string) => {
  const b = Buffer.from(s, "utf8");
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);
};
const packet = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, body.length]), body]);

/** An MQTT 3.1.1 client over a raw socket: enough to read CONNACK, SUBACK and PUBLISH. */
class Client {
  private buffer = Buffer.alloc(0);
  private waiters: ((p: { type: number; body: Buffer }) => void)[] = [];
  private packets: { type: number; body: Buffer }[] = [];
  constructor(private socket: Socket) {
    socket.on("data", (d) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      while (this.buffer.length >= 2 && this.buffer.length >= 2 + this.buffer[1]) {
        const p = { type: this.buffer[0] >> 4, body: this.buffer.subarray(2, 2 + this.buffer[1]) };
        this.buffer = this.buffer.subarray(2 + this.buffer[1]);
        const waiter = this.waiters.shift();
        if (waiter) waiter(p);
        else this.packets.push(p);
      }
    });
  }
  static async open(port: number): Promise<Client> {
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    return new Client(socket);
  }
  next(ms = 3000): Promise<{ type: number; body: Buffer } | undefined> {
    const queued = this.packets.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), ms);
      this.waiters.push((p) => (clearTimeout(timer), resolve(p)));
    });
  }
  /** CONNECT; returns CONNACK's return code (0 accepted, 4 bad user name or password, 5 not authorised). */
  async connect(user: string, password: string): Promise<number> {
    const variable = Buffer.concat([str("MQTT"), Buffer.from([4, 0xc2, 0, 60])]);
    this.socket.write(packet(0x10, Buffer.concat([variable, str(`t-${user}-${Date.now()}`), str(user), str(password)])));
    const ack = await this.next();
    return ack && ack.type === 2 ? ack.body[1] : -1;
  }
  /** SUBSCRIBE at QoS 0; returns SUBACK's code (0 granted, 0x80 refused). */
  async subscribe(filter: string): Promise<number> {
    this.socket.write(packet(0x82, Buffer.concat([Buffer.from([0, 1]), str(filter), Buffer.from([0])])));
    const ack = await this.next();
    return ack && ack.type === 9 ? ack.body[2] : -1;
  }
  publish(topic: string, payload: string): void {
    this.socket.write(packet(0x30, Buffer.concat([str(topic), Buffer.from(payload)])));
  }
  close(): void {
    this.socket.destroy();
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let broker: ChildProcess;
let port: number;
let log = "";

beforeAll(async () => {
  if (spawnSync(MOSQUITTO, ["-h"]).error) throw new Error(`${MOSQUITTO} is not installed: Debian package ${packageOf("mosquitto")} (bash .ci/run installs it)`);
  const dir = mkdtempSync(join(tmpdir(), "fmc-mosquitto-"));
  writeFileSync(join(dir, "passwordfile"), mosquittoPasswordFile(users), { mode: 0o644 });
  writeFileSync(join(dir, "aclfile"), mosquittoAcl(), { mode: 0o644 });
  port = await freePort();
  // The security lines in the chart's order (templates/configmap.yaml), files where it puts them.
  const conf = [
    "persistence false",
    "log_dest stderr",
    "allow_anonymous false",
    "per_listener_settings false",
    `listener ${port} 127.0.0.1`,
    "protocol mqtt",
    `password_file ${join(dir, "passwordfile")}`,
    `acl_file ${join(dir, "aclfile")}`,
    // Run as whoever runs the tests (as root, mosquitto would switch to its own user).
    "user root",
  ].join("\n");
  writeFileSync(join(dir, "mosquitto.conf"), `${conf}\n`);
  broker = spawn(MOSQUITTO, ["-c", join(dir, "mosquitto.conf")]);
  broker.stderr?.on("data", (d) => (log += d.toString()));
  const end = Date.now() + 10000;
  for (;;) {
    const ok = await Client.open(port).then((c) => (c.close(), true)).catch(() => false);
    if (ok) break;
    if (Date.now() > end) throw new Error(`mosquitto did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 20000);

afterAll(() => {
  broker?.kill();
});

describe("the password file", () => {
  it("is mosquitto_passwd's format: user:$7$101$<12-byte salt>$<64-byte PBKDF2-SHA512 hash>", () => {
    const line = mosquittoPasswordLine({ name: "u", password: "p", saltBase64: Buffer.alloc(12, 1).toString("base64") });
    const [name, hash] = line.split(":");
    const [, type, iterations, saltB64, digest] = hash.split("$");
    expect([name, type, iterations, Buffer.from(saltB64, "base64").length, Buffer.from(digest, "base64").length]).toEqual(["u", "7", "101", 12, 64]);
    expect(() => mosquittoPasswordLine({ name: "a:b", password: "p", saltBase64: saltB64 })).toThrow(/letters, digits/);
    expect(() => mosquittoPasswordLine({ name: "u", password: "p", saltBase64: "AAAA" })).toThrow(/12 bytes/);
  });

  it("lets both users in with their own passwords and nobody else", async () => {
    const results: Record<string, number> = {};
    for (const [label, user, password] of [
      ["apps", MQTT_APPS_USER, users[0].password],
      ["external", MQTT_EXTERNAL_USER, users[1].password],
      ["external with the apps' password", MQTT_EXTERNAL_USER, users[0].password],
      ["anonymous-looking stranger", "intruder", "x"],
    ]) {
      const c = await Client.open(port);
      results[label] = await c.connect(user, password);
      c.close();
    }
    expect(results).toEqual({ apps: 0, external: 0, "external with the apps' password": 5, "anonymous-looking stranger": 5 });
  });
});

describe("the ACL", () => {
  it(`keeps the external user to ${MQTT_EXTERNAL_TOPICS}; the apps keep every topic and reach the external clients there`, async () => {
    const external = await Client.open(port);
    const apps = await Client.open(port);
    expect(await external.connect(MQTT_EXTERNAL_USER, users[1].password)).toBe(0);
    expect(await apps.connect(MQTT_APPS_USER, users[0].password)).toBe(0);
    // Mosquitto 2.0 grants any subscription and applies the ACL to every message it would deliver.
    expect(await external.subscribe("#")).not.toBe(-1);
    expect(await apps.subscribe("reference-app/orders/+")).toBe(0);
    expect(await apps.subscribe("external/#")).toBe(0);
    const topicOf = (p?: { body: Buffer }) => (p ? p.body.subarray(2, 2 + p.body.readUInt16BE(0)).toString() : undefined);

    // The apps' traffic never reaches the external user; what the apps send under external/ does.
    apps.publish("reference-app/orders/1", "an order");
    apps.publish("external/hello", "from the apps");
    expect(topicOf(await external.next())).toBe("external/hello");
    expect(await external.next(500)).toBeUndefined();

    // The external user cannot publish into the apps' topics, only into its own.
    external.publish("reference-app/orders/forged", "forged");
    external.publish("external/reply", "from outside");
    expect(topicOf(await apps.next())).toBe("reference-app/orders/1");
    expect(topicOf(await apps.next())).toBe("external/hello");
    expect(topicOf(await apps.next())).toBe("external/reply");
    expect(await apps.next(500)).toBeUndefined();
    external.close();
    apps.close();
  });
});

describe("the chart values", () => {
  it("turn the ACL on and mount the platform's password file over the chart's one", () => {
    const v = mosquittoValues();
    expect(v.auth).toMatchObject({ enabled: true, username: MQTT_APPS_USER });
    expect(v.acl).toEqual({ enabled: true, rules: mosquittoAcl() });
    expect(v.extraVolumes).toEqual([
      { name: "users", secret: { secretName: MOSQUITTO_USERS_SECRET, defaultMode: 0o440, items: [{ key: MOSQUITTO_USERS_KEY, path: MOSQUITTO_USERS_KEY }] } },
    ]);
    // The path the chart's mosquitto.conf names (templates/configmap.yaml: password_file ...), as one file.
    expect(v.extraVolumeMounts).toEqual([{ name: "users", mountPath: "/mosquitto/config/generated/passwordfile", subPath: MOSQUITTO_USERS_KEY, readOnly: true }]);
  });
});
