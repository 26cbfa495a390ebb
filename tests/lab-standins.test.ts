/**
 * The lab's stand-ins for the providers the module proxy refuses (docs/lab.md) follow the real
 * providers' rules, so the lab's previews show what a real `pulumi up` would do:
 * - pulumi-command 1.2.1 (an infer provider): only `triggers` replaces; a changed script, stdin,
 *   environment or connection updates in place (and an update runs `update`, else `create`);
 *   remote commands need `connection.host` and get the connection defaults;
 * - pulumi-random 4.21.2 (terraform-provider-random's password schema v3): every input replaces,
 *   `result` is secret, the minimums and character classes hold;
 * - the lab's language-host client forgets the program's modules before each run (an `up` runs the
 *   program twice: preview, then update).
 */
import * as path from "path";

const ROOT = path.join(__dirname, "..");
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";

type Props = Record<string, unknown>;
interface Diff {
  changes: boolean;
  replaces: string[];
}
interface CheckResult {
  inputs: Props;
  failures: { property: string; reason: string }[];
}
/* eslint-disable @typescript-eslint/no-require-imports */
const command = require(path.join(ROOT, "scripts/lab/standin/command-rules.js")) as {
  check(urn: string, news: Props): CheckResult;
  diff(urn: string, olds: Props, news: Props): Diff;
  updateScript(news: Props): string | undefined;
};
const random = require(path.join(ROOT, "scripts/lab/standin/random-rules.js")) as {
  kindOf(urn: string): string | undefined;
  check(news: Props, kind?: string): CheckResult;
  diff(olds: Props, news: Props, kind?: string): Diff;
  generate(inputs: Props): string;
  create(kind: string, inputs: Props): { id: string; outs: Props };
};
const bcrypt = require("bcryptjs") as { compareSync(s: string, hash: string): boolean };
const client = require(path.join(ROOT, "scripts/lab/client.js")) as { forgetProgram(cache: Record<string, unknown>): void };
/* eslint-enable @typescript-eslint/no-require-imports */

// As the engine writes them: a child's type segment names its parents' types first.
const LOCAL = "urn:pulumi:prod::flatcarmicrocloud::flatcarmicrocloud:infra:Infra$command:local:Command::infra-host-preflight";
const REMOTE = "urn:pulumi:prod::flatcarmicrocloud::flatcarmicrocloud:cluster:K3sCluster$command:remote:Command::cluster-bootstrap1-install";
const PASSWORD = "urn:pulumi:prod::flatcarmicrocloud::flatcarmicrocloud:platform:Platform$random:index/randomPassword:RandomPassword::platform-redis";

describe("command stand-in (pulumi-command 1.2.1 rules)", () => {
  const conn = { host: "10.0.0.5", privateKey: "key" };

  it("updates in place when a command's script changes; only triggers replace", () => {
    expect(command.diff(LOCAL, { create: "a" }, { create: "b" })).toMatchObject({ changes: true, replaces: [] });
    expect(command.diff(REMOTE, { create: "a", connection: conn }, { create: "a", stdin: "x", connection: conn })).toMatchObject({ changes: true, replaces: [] });
    expect(command.diff(REMOTE, { create: "a", connection: conn, triggers: ["1"] }, { create: "a", connection: conn, triggers: ["2"] })).toMatchObject({
      changes: true,
      replaces: ["triggers"],
    });
    expect(command.diff(REMOTE, { create: "a", connection: conn, stdout: "out" }, { create: "a", connection: conn })).toMatchObject({ changes: false });
  });

  it("compares secret inputs by value", () => {
    const wrapped = { [SIG]: SECRET, value: "b" };
    expect(command.diff(LOCAL, { create: "b" }, { create: wrapped }).changes).toBe(false);
  });

  it("runs update, else create, on an in-place update", () => {
    expect(command.updateScript({ create: "c", update: "u" })).toBe("u");
    expect(command.updateScript({ create: "c" })).toBe("c");
  });

  it("requires a remote command's connection and fills the connection defaults, as a secret", () => {
    expect(command.check(REMOTE, { create: "x" }).failures.map((f) => f.property)).toEqual(["connection"]);
    const { inputs, failures } = command.check(REMOTE, { create: "x", connection: { host: "h", user: "core" } });
    expect(failures).toEqual([]);
    expect(inputs.connection).toEqual({ [SIG]: SECRET, value: { host: "h", user: "core", port: 22, dialErrorLimit: 10, perDialTimeout: 15 } });
  });

  it("refuses a type the program does not register", () => {
    expect(() => command.check("urn:pulumi:s::p::command:remote:CopyToRemote::x", {})).toThrow(/serves command:local:Command and command:remote:Command only/);
  });
});

describe("random stand-in (pulumi-random 4.21.2 rules)", () => {
  const program = { length: 32, special: false, minLower: 2, minUpper: 2, minNumeric: 2 };

  it("serves RandomPassword, RandomString and RandomBytes only", () => {
    expect(random.kindOf(PASSWORD)).toBe("password");
    expect(random.kindOf("random:index/randomString:RandomString")).toBe("string");
    expect(random.kindOf("urn:pulumi:kube::flatcarmicrocloud::flatcarmicrocloud:platform:Platform$random:index/randomBytes:RandomBytes::platform-mqtt-salt-mqtt")).toBe("bytes");
    expect(random.kindOf("random:index/randomPet:RandomPet")).toBeUndefined();
  });

  it("creates a secret result honouring length, classes and minimums, with id none", () => {
    const { id, outs } = random.create("password", program);
    expect(id).toBe("none");
    const result = outs.result as Props;
    expect(result[SIG]).toBe(SECRET);
    const value = result.value as string;
    expect(value).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(value.replace(/[^a-z]/g, "").length).toBeGreaterThanOrEqual(2);
    expect(value.replace(/[^A-Z]/g, "").length).toBeGreaterThanOrEqual(2);
    expect(value.replace(/[^0-9]/g, "").length).toBeGreaterThanOrEqual(2);
    expect(outs).toMatchObject({ upper: true, lower: true, numeric: true, number: true, special: false, minSpecial: 0 });
    expect(random.generate({ length: 200, upper: false, lower: false, numeric: false, overrideSpecial: "!#" })).toMatch(/^[!#]{200}$/);
  });

  it("a password's bcryptHash: a secret bcrypt (cost 10, Go's $2a$) of its result, made once at create and never part of the diff", () => {
    const { outs } = random.create("password", program);
    const hash = outs.bcryptHash as Props;
    expect(hash[SIG]).toBe(SECRET);
    expect(hash.value).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/);
    const result = (outs.result as Props).value as string;
    expect(bcrypt.compareSync(result, hash.value as string)).toBe(true);
    expect(bcrypt.compareSync(`${result}x`, hash.value as string)).toBe(false);
    // Kept in the state: the next diff compares inputs only, so the hash (and the htpasswd built from it) stays.
    expect(random.diff(outs, program)).toEqual({ changes: false, replaces: [] });
    expect(random.create("string", program).outs.bcryptHash).toBeUndefined();
  });

  it("replaces on any changed input, keepers included; defaults written out change nothing", () => {
    const { outs } = random.create("password", program);
    expect(random.diff(outs, program)).toEqual({ changes: false, replaces: [] });
    expect(random.diff(outs, { ...program, length: 40 })).toEqual({ changes: true, replaces: ["length"] });
    expect(random.diff(outs, { ...program, keepers: { node: "a" } })).toEqual({ changes: true, replaces: ["keepers"] });
    expect(random.diff({ ...outs, numeric: true }, { ...program, numeric: false }).replaces.sort()).toEqual(["number", "numeric"]);
    expect(random.diff({ ...outs, overrideSpecial: "" }, program)).toEqual({ changes: false, replaces: [] });
  });

  it("RandomBytes (random_bytes v0): length secret bytes as base64 and hex, id none; length and keepers replace; length >= 1 required", () => {
    const { id, outs } = random.create("bytes", { length: 12 });
    expect(id).toBe("none");
    const b64 = (outs.base64 as Props).value as string;
    expect((outs.base64 as Props)[SIG]).toBe(SECRET);
    expect((outs.hex as Props)[SIG]).toBe(SECRET);
    expect(Buffer.from(b64, "base64")).toHaveLength(12);
    expect((outs.hex as Props).value).toBe(Buffer.from(b64, "base64").toString("hex"));
    expect(random.diff(outs, { length: 12 }, "bytes")).toEqual({ changes: false, replaces: [] });
    expect(random.diff(outs, { length: 16 }, "bytes")).toEqual({ changes: true, replaces: ["length"] });
    expect(random.diff(outs, { length: 12, keepers: { a: "b" } }, "bytes")).toEqual({ changes: true, replaces: ["keepers"] });
    expect(random.check({ length: 0 }, "bytes").failures.map((f) => f.property)).toEqual(["length"]);
    expect(random.check({}, "bytes").failures.map((f) => f.property)).toEqual(["length"]);
    expect(random.check({ length: 12 }, "bytes")).toEqual({ inputs: { length: 12 }, failures: [] });
  });

  it("validates length against the minimums, as the provider does", () => {
    expect(random.check({ length: 5, minUpper: 3, minLower: 3 }).failures.map((f) => f.property)).toEqual(["length"]);
    expect(random.check({ length: 0 }).failures.map((f) => f.property)).toEqual(["length"]);
    expect(random.check({}).failures.map((f) => f.property)).toEqual(["length"]);
    expect(random.check(program).failures).toEqual([]);
  });
});

describe("the lab's language-host client", () => {
  it("forgets the program's own modules before a run, not the libraries or the lab's scripts", () => {
    const cache: Record<string, unknown> = {
      [path.join(ROOT, "index.ts")]: 1,
      [path.join(ROOT, "platform", "index.ts")]: 1,
      [path.join(ROOT, "node_modules", "@pulumi", "pulumi", "index.js")]: 1,
      [path.join(ROOT, "scripts", "lab", "client.js")]: 1,
      ["/usr/lib/node/other.js"]: 1,
    };
    client.forgetProgram(cache);
    expect(Object.keys(cache).sort()).toEqual(
      [path.join(ROOT, "node_modules", "@pulumi", "pulumi", "index.js"), path.join(ROOT, "scripts", "lab", "client.js"), "/usr/lib/node/other.js"].sort(),
    );
  });
});
