/**
 * The rules of the lab's STAND-IN for pulumi-resource-random 4.21.2 (refused by the module proxy
 * here), kept pure so tests/lab-standins.test.ts holds them to the real provider's. They are
 * terraform-provider-random's `random_password` / `random_string` schema (version 3) as bridged
 * by pulumi-random 4.21.2:
 *
 * - inputs: `length` (required, >= 1 and >= the sum of the four minimums), `special`, `upper`,
 *   `lower`, `numeric` (and its deprecated twin `number`, kept equal to it) default true, `minLower`,
 *   `minUpper`, `minNumeric`, `minSpecial` default 0, `overrideSpecial`, `keepers` (a map of strings);
 * - every input is RequiresReplace: any change replaces (a new value), except `overrideSpecial`
 *   going from "" to unset;
 * - outputs `result` (and `bcryptHash`) are sensitive, i.e. secret; RandomPassword's id is "none",
 *   RandomString's is the result.
 *
 * - RandomPassword's `bcryptHash` (secret): bcrypt of `result` at cost 10, computed once at create and
 *   kept in the state (4.21.2 never recomputes it on refresh or diff). The program reads it: the
 *   Traefik dashboard's htpasswd Secret is built from it (platform/index.ts), so a stand-in without it
 *   would make that Secret differ on every run. Go's bcrypt writes the `$2a$` prefix; bcryptjs writes
 *   `$2b$` for the same hash (the two differ only for passwords over 255 bytes), so it is rewritten.
 *
 * - RandomBytes (`random_bytes`, schema version 0): `length` (required, >= 1) and `keepers`, both
 *   RequiresReplace; outputs `base64` and `hex` of `length` crypto-random bytes, both sensitive; id
 *   "none" (the program's Mosquitto password salts).
 *
 * Not stood in: any other random resource type (the program registers RandomPassword and RandomBytes).
 */
"use strict";
const crypto = require("crypto");
const bcrypt = require("bcryptjs");

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

const TYPES = {
  "random:index/randomPassword:RandomPassword": "password",
  "random:index/randomString:RandomString": "string",
  "random:index/randomBytes:RandomBytes": "bytes",
};
/** RandomBytes' inputs, each RequiresReplace. */
const BYTES_INPUTS = ["keepers", "length"];

const BOOLS = ["special", "upper", "lower", "numeric"];
const MINIMUMS = ["minLower", "minUpper", "minNumeric", "minSpecial"];
/** What replaces: every input of the v3 schema (RequiresReplace on each). */
const INPUTS = ["keepers", "length", ...BOOLS, "number", ...MINIMUMS, "overrideSpecial"];
const DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

const isSecret = (v) => v !== null && typeof v === "object" && v[SIG_KEY] === SECRET_SIG;
/** A value with secret markers removed (the engine sends secrets wrapped; they compare by value). */
function plain(v) {
  if (isSecret(v)) return plain(v.value);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
const secret = (value) => ({ [SIG_KEY]: SECRET_SIG, value });

/** The resource kind behind a URN or type token, or undefined for a type the stand-in lacks. */
function kindOf(urnOrType) {
  // A URN's type segment names its parents' types first (`A$B$type`).
  const type = (urnOrType.includes("::") ? urnOrType.split("::")[2] : urnOrType).split("$").pop();
  return TYPES[type];
}

/** Inputs with the schema's defaults; `number` and `numeric` agree (the provider keeps them equal). */
function withDefaults(inputs) {
  const i = plain(inputs);
  const numeric = i.numeric ?? i.number ?? true;
  const out = { ...i, numeric, number: numeric };
  for (const b of ["special", "upper", "lower"]) out[b] = i[b] ?? true;
  for (const m of MINIMUMS) out[m] = i[m] ?? 0;
  return out;
}

/** The provider's validation: failures name the property, as the bridge reports them. */
function check(news, kind = "password") {
  if (kind === "bytes") return checkBytes(news);
  const failures = [];
  const i = withDefaults(news);
  if (i.length === undefined) failures.push({ property: "length", reason: "Missing required argument: length" });
  else if (!Number.isInteger(i.length) || i.length < 1) failures.push({ property: "length", reason: `length must be at least 1, got ${i.length}` });
  else {
    const sum = MINIMUMS.reduce((s, m) => s + i[m], 0);
    if (i.length < sum) failures.push({ property: "length", reason: `length (${i.length}) must be >= minUpper + minLower + minNumeric + minSpecial (${sum})` });
  }
  for (const m of MINIMUMS) if (!Number.isInteger(i[m]) || i[m] < 0) failures.push({ property: m, reason: `${m} must be a non-negative integer` });
  if (i.keepers !== undefined && (typeof i.keepers !== "object" || Object.values(i.keepers).some((v) => typeof v !== "string"))) {
    failures.push({ property: "keepers", reason: "keepers must be a map of strings" });
  }
  // Defaults filled in where unset; what the program gave (a secret keeper too) stays as it came.
  const defaults = Object.fromEntries(Object.entries(i).filter(([k]) => news[k] === undefined));
  return { inputs: { ...news, ...defaults }, failures };
}

const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** RandomBytes: `length` required and >= 1 (int64validator.AtLeast(1)), `keepers` a map of strings. */
function checkBytes(news) {
  const failures = [];
  const i = plain(news);
  if (i.length === undefined) failures.push({ property: "length", reason: "Missing required argument: length" });
  else if (!Number.isInteger(i.length) || i.length < 1) failures.push({ property: "length", reason: `length must be at least 1, got ${i.length}` });
  if (i.keepers !== undefined && (typeof i.keepers !== "object" || Object.values(i.keepers).some((v) => typeof v !== "string"))) {
    failures.push({ property: "keepers", reason: "keepers must be a map of strings" });
  }
  return { inputs: news, failures };
}

/** Replaces on any changed input (all RequiresReplace); `overrideSpecial` "" -> unset changes nothing. */
function diff(olds, news, kind = "password") {
  if (kind === "bytes") {
    const o = plain(olds);
    const n = plain(news);
    const replaces = BYTES_INPUTS.filter((k) => !same(o[k], n[k]));
    return { changes: replaces.length > 0, replaces };
  }
  const o = withDefaults(olds);
  const n = withDefaults(news);
  const replaces = INPUTS.filter((k) => {
    if (k === "overrideSpecial" && o[k] === "" && n[k] === undefined) return false;
    return !same(o[k], n[k]);
  });
  return { changes: replaces.length > 0, replaces };
}

/** A crypto-random string honouring the character classes and minimums (terraform's algorithm's rules). */
function generate(inputs) {
  const i = withDefaults(inputs);
  const classes = {
    lower: "abcdefghijklmnopqrstuvwxyz",
    upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    numeric: "0123456789",
    special: i.overrideSpecial ?? DEFAULT_SPECIAL,
  };
  const pick = (chars) => chars[crypto.randomInt(chars.length)];
  const chars = [];
  const mins = { lower: i.minLower, upper: i.minUpper, numeric: i.minNumeric, special: i.minSpecial };
  for (const [cls, n] of Object.entries(mins)) for (let k = 0; k < n; k++) chars.push(pick(classes[cls]));
  const pool = Object.keys(classes).filter((c) => i[c]).map((c) => classes[c]).join("");
  if (pool.length === 0) throw new Error("the character set is empty (special, upper, lower and numeric are all false)");
  while (chars.length < i.length) chars.push(pick(pool));
  for (let k = chars.length - 1; k > 0; k--) {
    const j = crypto.randomInt(k + 1);
    [chars[k], chars[j]] = [chars[j], chars[k]];
  }
  return chars.join("");
}

/** terraform-provider-random's bcrypt of a password: cost 10 (bcrypt.DefaultCost), `$2a$` as Go writes it. */
function bcryptHash(password) {
  return bcrypt.hashSync(password, 10).replace(/^\$2b\$/, "$2a$");
}

/** The state the provider returns on create: the inputs with defaults, the secret result (and a password's bcryptHash), the id. */
function create(kind, inputs) {
  if (kind === "bytes") {
    const bytes = crypto.randomBytes(plain(inputs).length);
    const outs = { length: plain(inputs).length, base64: secret(bytes.toString("base64")), hex: secret(bytes.toString("hex")) };
    if (inputs.keepers !== undefined) outs.keepers = inputs.keepers;
    return { id: "none", outs };
  }
  const result = generate(inputs);
  const outs = { ...withDefaults(inputs), result: secret(result) };
  if (kind === "password") outs.bcryptHash = secret(bcryptHash(result));
  if (inputs.keepers !== undefined) outs.keepers = inputs.keepers;
  return { id: kind === "password" ? "none" : result, outs };
}

module.exports = { kindOf, check, diff, generate, create, bcryptHash, withDefaults, plain, isSecret, DEFAULT_SPECIAL };
