/**
 * The rules of the lab's STAND-IN for pulumi-resource-command 1.2.1 (refused by the module proxy
 * here), kept pure so tests/lab-standins.test.ts holds them to the real provider's. The real one is
 * a pulumi-go-provider `infer` provider (provider/pkg/provider at commit 7f3eb6f3b77c):
 *
 * - check: remote commands require `connection` (the stand-in does not check `connection.host`: see
 *   connectionWithDefaults); `user` defaults to root,
 *   `port` to 22, `dialErrorLimit` to 10, `perDialTimeout` to 15 (also on a `proxy`);
 * - diff: `triggers` is the only replaceOnChanges input; a change to any other input (`create`,
 *   `update`, `delete`, `stdin`, `environment`, `connection`, ...) is an in-place update, which runs
 *   `update`, or `create` when `update` is unset.
 */
"use strict";

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

const COMMON = ["triggers", "create", "update", "delete", "stdin", "logging", "environment", "addPreviousOutputInEnv"];
const INPUTS = {
  "command:local:Command": [...COMMON, "interpreter", "dir", "assetPaths", "archivePaths"],
  "command:remote:Command": [...COMMON, "connection"],
};
const CONNECTION_DEFAULTS = { user: "root", port: 22, dialErrorLimit: 10, perDialTimeout: 15 };

/** The resource's own type: a URN's type segment names its parents' types first (`A$B$type`). */
function typeOf(urn) {
  const type = (urn.includes("::") ? urn.split("::")[2] : urn).split("$").pop();
  if (!INPUTS[type]) throw new Error(`the lab's command stand-in serves ${Object.keys(INPUTS).join(" and ")} only, not ${type}`);
  return type;
}

const isSecret = (v) => v !== null && typeof v === "object" && v[SIG_KEY] === SECRET_SIG;
function plain(v) {
  if (isSecret(v)) return plain(v.value);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
const secret = (value) => ({ [SIG_KEY]: SECRET_SIG, value });

function connectionWithDefaults(conn, where, failures) {
  if (conn === undefined || conn === null) {
    failures.push({ property: where, reason: `Missing required property '${where}'` });
    return conn;
  }
  const c = plain(conn);
  // Not stood in: the real check requires connection.host, but a preview sends a host that is not
  // known yet (a VM's address) without a value, which the stand-in cannot tell from a missing one.
  const out = { ...CONNECTION_DEFAULTS, ...c };
  if (c.proxy !== undefined) out.proxy = connectionWithDefaults(c.proxy, `${where}.proxy`, failures);
  return out;
}

/** The provider's check: defaults and required properties; `connection` comes back secret. */
function check(urn, news) {
  const type = typeOf(urn);
  const failures = [];
  const inputs = { ...news };
  if (type === "command:remote:Command") {
    const conn = connectionWithDefaults(news.connection, "connection", failures);
    if (conn !== undefined && conn !== null) inputs.connection = secret(conn);
  }
  return { inputs, failures };
}

const same = (a, b) => JSON.stringify(plain(a) ?? null) === JSON.stringify(plain(b) ?? null);

/** Replace on `triggers` only; any other changed input updates in place. */
function diff(urn, olds, news) {
  const changed = INPUTS[typeOf(urn)].filter((k) => !same(olds[k], news[k]));
  return { changes: changed.length > 0, replaces: changed.filter((k) => k === "triggers"), changed };
}

/** The script an update runs: `update`, else `create` (pulumi-command's documented fallback). */
function updateScript(news) {
  return news.update ?? news.create;
}

module.exports = { check, diff, updateScript, typeOf, plain, isSecret };
