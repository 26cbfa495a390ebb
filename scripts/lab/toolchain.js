/**
 * Where the lab toolchain lives (shared by lab:build, the lab and .ci/run's check): the cache outside
 * the repository, the Go binary, the dynamic bridge's Terraform plugin cache.
 */
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");

/** What the lab cannot run without; the rest may be refused by the proxy and is worked around. */
const REQUIRED_PIECES = ["pulumi", "pulumi-resource-terraform-provider", "terraform-provider-libvirt"];

function cacheDir() {
  return process.env.FMC_LAB_CACHE || path.join(os.homedir(), ".cache", "flatcarmicrocloud-lab");
}

function goBinary() {
  if (process.env.GO) return process.env.GO;
  for (const dir of (process.env.PATH || "").split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, "go"))) return path.join(dir, "go");
  }
  return "/usr/local/go/bin/go";
}

/** `PULUMI_DYNAMIC_TF_PLUGIN_CACHE_DIR`: the bridge looks here before any registry. */
function tfPluginDir() {
  return path.join(cacheDir(), "tf-plugins");
}

function tfPluginPath(source, version, binary) {
  return path.join(tfPluginDir(), source, version, `${process.platform}_amd64`, binary);
}

/**
 * The toolchain as lab:build left it: undefined when it never ran here, else the pieces by status.
 * A piece counts as usable only when its binary still exists.
 */
function readToolchain() {
  const file = path.join(cacheDir(), "toolchain.json");
  if (!fs.existsSync(file)) return undefined;
  const manifest = JSON.parse(fs.readFileSync(file, "utf8"));
  const usable = (name) => {
    const r = manifest.results[name];
    return r !== undefined && ["built", "cached"].includes(r.status) && fs.existsSync(r.binary);
  };
  return { manifest, usable, missing: REQUIRED_PIECES.filter((n) => !usable(n)) };
}

module.exports = { REQUIRED_PIECES, cacheDir, goBinary, tfPluginDir, tfPluginPath, readToolchain };
