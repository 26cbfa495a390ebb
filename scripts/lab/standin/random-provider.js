#!/usr/bin/env node
/**
 * The lab's STAND-IN for pulumi-resource-random 4.21.2, which the module proxy refuses here
 * (docs/lab.md). Serves RandomPassword, RandomString and RandomBytes with the real provider's inputs, defaults,
 * validation, replace rules and secret `result` (random-rules.js); refuses any other type.
 */
"use strict";
const path = require("path");
const rules = require("./random-rules");

const ROOT = path.resolve(__dirname, "..", "..", "..");
const provider = require(require.resolve("@pulumi/pulumi/provider", { paths: [ROOT] }));

function kind(urn) {
  const k = rules.kindOf(urn);
  if (!k) throw new Error(`the lab's random stand-in serves RandomPassword, RandomString and RandomBytes only, not ${urn}`);
  return k;
}

const impl = {
  version: "4.21.2",
  async check(urn, olds, news) {
    return rules.check(news, kind(urn));
  },
  async diff(id, urn, olds, news) {
    return rules.diff(olds, news, kind(urn));
  },
  async create(urn, inputs) {
    return rules.create(kind(urn), inputs);
  },
  // Every input replaces, so the engine only calls update when nothing the provider compares changed.
  async update(id, urn, olds, news) {
    if (kind(urn) === "bytes") return { outs: { ...olds, ...(news.keepers !== undefined ? { keepers: news.keepers } : {}) } };
    return { outs: { ...olds, ...rules.withDefaults(news), result: olds.result } };
  },
  async delete() {},
};

provider.main(impl, process.argv.slice(2));
