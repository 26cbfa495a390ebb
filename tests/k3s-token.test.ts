/**
 * `k3sToken` (issue 18, restore onto a rebuilt stack): the stack config key's validation and the
 * day-two check that refuses a change of the token a live K3s cluster runs with.
 */
import { K3S_TOKEN_KEY, normalizeK3sToken, parseK3sToken } from "../config/k3s-token";
import { Collector } from "../config/validate";
import { DeploymentRecord, PreviousDeployment } from "../infra/deployment-record";
import * as pulumi from "@pulumi/pulumi";
import { resolveOutput } from "../plan/recorder";
import { admitK3sToken, clusterDeployed, k3sTokenProblems } from "../infra/k3s-token-day-two";

const LIVE = "Liv3TokenLiv3TokenLiv3TokenLiv3TokenLiv3TokenLi";
const OTHER = "0therTokenOtherTokenOtherTokenOtherTokenOther00";
const HASH = "a".repeat(64);

function parsed(value: string, secret = true): { token?: string; problems: string[] } {
  const c = new Collector();
  const token = parseK3sToken(c, { [K3S_TOKEN_KEY]: { value, secret } });
  return { token, problems: c.problems };
}

describe("k3sToken (stack config)", () => {
  it("takes the bare token, or K3s's server token file's line reduced to its token", () => {
    expect(parsed(LIVE)).toEqual({ token: LIVE, problems: [] });
    expect(parsed(`K10${HASH}::server:${LIVE}`)).toEqual({ token: LIVE, problems: [] });
    // K3s's normalized form without a CA hash.
    expect(normalizeK3sToken(`K10::server:${LIVE}`)).toEqual({ token: LIVE });
  });

  it("refuses a plain-text value, an agent or bootstrap token, a malformed full token, a short one, naming the key and never the value", () => {
    const cases: [string, boolean, RegExp][] = [
      [LIVE, false, /stored in plain text/],
      [`K10${HASH}::node:${LIVE}`, true, /"node" token; only the server token/],
      [`K10${HASH}:server:${LIVE}`, true, /starts like K3s's full token/],
      ["abcdef.0123456789abcdef", true, /bootstrap token/],
      ["short-token", true, /at least 16 characters/],
    ];
    for (const [value, secret, message] of cases) {
      const r = parsed(value, secret);
      expect(r.token).toBeUndefined();
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]).toMatch(new RegExp(`^k3sToken: `));
      expect(r.problems[0]).toMatch(message);
      expect(r.problems[0]).not.toContain(LIVE);
    }
    expect(parsed("")).toEqual({ token: undefined, problems: [] });
  });
});

const RECORD = { version: 1, domain: "d", adminUser: "ops", clusterNetwork: "n", pool: "p", networks: {}, machines: {}, k3s: { servers: ["bootstrap1"], agents: ["worker1"] }, deployUpTo: "apps" } as DeploymentRecord;

describe("k3sToken on day two", () => {
  it("a stack whose last run deployed no cluster takes any token (the first up of a rebuilt stack)", () => {
    expect(k3sTokenProblems({}, OTHER)).toEqual([]);
    expect(k3sTokenProblems({ record: { ...RECORD, deployUpTo: "guest-roles" }, k3sToken: LIVE }, OTHER)).toEqual([]);
    expect(clusterDeployed({ ...RECORD, deployUpTo: undefined })).toBe(true);
    expect(clusterDeployed({ ...RECORD, k3s: { servers: [], agents: [] } })).toBe(false);
  });

  it("a live cluster: the token it runs with may be set (pinned), any other is refused naming k3sToken", () => {
    expect(k3sTokenProblems({ record: { ...RECORD, k3sToken: "generated" }, k3sToken: LIVE }, LIVE)).toEqual([]);
    const changed = k3sTokenProblems({ record: { ...RECORD, k3sToken: "generated" }, k3sToken: LIVE }, OTHER);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatch(/^k3sToken: differs from the token the live K3s cluster runs with/);
    expect(changed[0]).toContain("bootstrap data already found and encrypted with different token");
    for (const secret of [LIVE, OTHER]) expect(changed[0]).not.toContain(secret);
  });

  it("a live cluster whose last run recorded no token (an earlier program) cannot be compared: refused", () => {
    expect(k3sTokenProblems({ record: RECORD }, LIVE)[0]).toMatch(/^k3sToken: the last `pulumi up` recorded no K3s token/);
  });

  it("removing k3sToken from a live cluster built with it is refused; a generated token stays as it is", () => {
    expect(k3sTokenProblems({ record: { ...RECORD, k3sToken: "config" }, k3sToken: OTHER }, undefined)[0]).toMatch(/^k3sToken: the live K3s cluster runs with the token set in k3sToken/);
    expect(k3sTokenProblems({ record: { ...RECORD, k3sToken: "generated" }, k3sToken: LIVE }, undefined)).toEqual([]);
    expect(k3sTokenProblems({ record: RECORD, k3sToken: LIVE }, undefined)).toEqual([]);
  });
});

describe("k3sToken's admission (what stage 1's host step waits on, infra/stage.ts)", () => {
  const previous: PreviousDeployment = { record: { ...RECORD, k3sToken: "generated" }, rootHashes: {}, k3sToken: LIVE };

  // Its refusal is k3sTokenProblems' (above); a rejected Output here would surface in later tests.
  it("resolves, not secret (what waits on it keeps its inputs as they were), for the live token or none", async () => {
    expect(await resolveOutput(admitK3sToken(pulumi.secret(previous), pulumi.secret(LIVE)))).toEqual({ value: true, secret: false });
    expect(await resolveOutput(admitK3sToken(pulumi.output(previous), undefined))).toEqual({ value: true, secret: false });
  });
});

describe("k3sToken in the program", () => {
  it("a plain-text k3sToken stops the real program, naming the key, before a single resource is registered", async () => {
    const { startHarness } = await import("./helpers/pulumi-harness");
    const { stackConfig } = await import("./helpers/stacks");
    const h = await startHarness({ stack: "dev", config: { ...stackConfig("dev"), k3sToken: LIVE }, secretKeys: ["sshPrivateKey"] });
    let message = "";
    await import("../index").catch((e: Error) => (message = e.message));
    expect(message).toMatch(/k3sToken: is stored in plain text in the stack config/);
    expect(message).not.toContain(LIVE);
    await h.settle();
    expect(h.all().filter((r) => r.custom)).toEqual([]);
  });
});
