#!/usr/bin/env node
/**
 * `npm run smoke [-- --stack <name>]`: after `pulumi up`, checks the deployed reference app end to
 * end through the load balancer and Traefik, over HTTPS that trusts only the stack's FreeIPA CA:
 *   1. the frontend's page loads;
 *   2. the api's notification stream (server-sent events) opens;
 *   3. POST /api/orders creates an order;
 *   4. GET /api/orders/{id} reports it crossed PostgreSQL, Kafka, Redis and MQTT (`complete`);
 *   5. the stream delivered the order's notification.
 * Reads `pulumi stack output --json --show-secrets`: `tlsCaCertificate` (PEM) and `appUrls`
 * (app name -> URL). Exits 1 with the reason on the first failure.
 *
 * Environment: SMOKE_API_APP (default api), SMOKE_FRONTEND_APP (default
 * frontend: the names prod's stack config gives them), SMOKE_TIMEOUT_SECONDS (default 120), PULUMI_STACK / --stack.
 */
"use strict";
const { execFileSync } = require("child_process");
const https = require("https");

const API_APP = process.env.SMOKE_API_APP || "api";
const FRONTEND_APP = process.env.SMOKE_FRONTEND_APP || "frontend";
const TIMEOUT_MS = Number(process.env.SMOKE_TIMEOUT_SECONDS || 120) * 1000;
const REQUEST_TIMEOUT_MS = 15000;
const HOPS = ["postgresql", "kafka", "redis", "mqtt"];

class SmokeError extends Error {}

function stackArgs(argv) {
  const at = argv.indexOf("--stack");
  if (at >= 0 && argv[at + 1]) return ["--stack", argv[at + 1]];
  return process.env.PULUMI_STACK ? ["--stack", process.env.PULUMI_STACK] : [];
}

function readOutputs(argv) {
  let raw;
  try {
    raw = execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets", ...stackArgs(argv)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120000,
    });
  } catch (err) {
    const detail = err.code === "ENOENT" ? "the pulumi CLI is not on PATH" : String(err.stderr || err.message).trim();
    throw new SmokeError(`could not read the stack outputs (pulumi stack output --json --show-secrets): ${detail}`);
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw new SmokeError("pulumi stack output --json did not print JSON");
  }
}

/** The CA and the two URLs, or an error naming the output that is missing or malformed. */
function targets(outputs) {
  const ca = outputs.tlsCaCertificate;
  if (typeof ca !== "string" || !ca.includes("-----BEGIN CERTIFICATE-----")) {
    throw new SmokeError("stack output tlsCaCertificate is missing or not a PEM certificate (the FreeIPA CA)");
  }
  const urls = outputs.appUrls;
  if (!urls || typeof urls !== "object") throw new SmokeError("stack output appUrls (app name -> URL) is missing");
  const pick = (name) => {
    const value = urls[name];
    if (typeof value !== "string") {
      throw new SmokeError(`stack output appUrls.${name} is missing (appUrls has: ${Object.keys(urls).join(", ") || "nothing"})`);
    }
    let url;
    try {
      url = new URL(value);
    } catch {
      throw new SmokeError(`stack output appUrls.${name} is not a URL: ${value}`);
    }
    if (url.protocol !== "https:") throw new SmokeError(`appUrls.${name} must be https (got ${value})`);
    return url;
  };
  const frontend = pick(FRONTEND_APP);
  // The api serves /api/...; its URL may carry that prefix or not: only its origin counts.
  const api = new URL(pick(API_APP).origin);
  return { ca, frontend, api };
}

function explain(err, url) {
  const tls = {
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate is not signed by the stack's tlsCaCertificate",
    SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate chain ends in a CA other than the stack's tlsCaCertificate",
    DEPTH_ZERO_SELF_SIGNED_CERT: "the server presents a self-signed certificate, not one the FreeIPA CA signed",
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the server's certificate is not signed by the stack's tlsCaCertificate",
    CERT_HAS_EXPIRED: "the server's certificate has expired",
    ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate does not name this host",
  }[err.code];
  if (tls) return new SmokeError(`TLS check failed for ${url}: ${tls} (${err.code})`);
  return new SmokeError(`request to ${url} failed: ${err.code || err.message}`);
}

function request(agent, method, url, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = https.request(
      url,
      {
        method,
        agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: data ? { "Content-Type": "application/json", "Content-Length": data.length } : {},
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    req.on("error", (err) => reject(explain(err, url)));
    if (data) req.write(data);
    req.end();
  });
}

/** Opens the SSE stream; resolves once connected, with a way to wait for one order's notification. */
function openStream(agent, url) {
  return new Promise((resolve, reject) => {
    const seen = new Map();
    const waiters = new Map();
    let buffer = "";
    const req = https.get(url, { agent, headers: { Accept: "text/event-stream" } }, (res) => {
      if (res.statusCode !== 200 || !String(res.headers["content-type"]).startsWith("text/event-stream")) {
        reject(new SmokeError(`GET ${url} answered ${res.statusCode} ${res.headers["content-type"]}, not an event stream`));
        res.resume();
        return;
      }
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.includes(": connected")) resolve(stream);
          const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
          if (!data) continue;
          try {
            const note = JSON.parse(data);
            seen.set(note.order_id, note);
            waiters.get(note.order_id)?.(note);
          } catch {
            // a keepalive or a foreign event: ignore
          }
        }
      });
    });
    req.on("error", (err) => reject(explain(err, url)));
    const stream = {
      close: () => req.destroy(),
      notification: (orderId, ms) =>
        seen.has(orderId)
          ? Promise.resolve(seen.get(orderId))
          : new Promise((ok, fail) => {
              const timer = setTimeout(() => fail(new SmokeError(`no notification for order ${orderId} on ${url} within ${ms / 1000}s`)), ms);
              waiters.set(orderId, (note) => {
                clearTimeout(timer);
                ok(note);
              });
            }),
    };
    setTimeout(() => reject(new SmokeError(`the notification stream ${url} did not open within ${REQUEST_TIMEOUT_MS / 1000}s`)), REQUEST_TIMEOUT_MS).unref();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main(argv) {
  const { ca, frontend, api } = targets(readOutputs(argv));
  // `ca` replaces Node's default roots: only the FreeIPA CA is trusted.
  const agent = new https.Agent({ ca, keepAlive: true });
  const log = (line) => console.log(`smoke: ${line}`);

  const page = await request(agent, "GET", frontend.href);
  if (page.status !== 200 || !page.text.includes('id="app"')) throw new SmokeError(`GET ${frontend.href} answered ${page.status}, not the frontend's page`);
  log(`frontend ${frontend.href}: 200 over TLS trusted by the FreeIPA CA`);

  const stream = await openStream(agent, new URL("/api/notifications/stream", api).href);
  log("notification stream open");
  try {
    const item = `smoke ${new Date().toISOString()}`;
    const created = await request(agent, "POST", new URL("/api/orders", api).href, { item, quantity: 1 });
    if (created.status !== 201) throw new SmokeError(`POST /api/orders answered ${created.status}: ${created.text.slice(0, 300)}`);
    const order = JSON.parse(created.text);
    log(`order ${order.id} stored in PostgreSQL, published to Kafka ${order.published.topic}/${order.published.partition}@${order.published.offset}`);

    const deadline = Date.now() + TIMEOUT_MS;
    let last = order;
    const reported = new Set(["postgresql"]);
    while (!last.complete) {
      if (Date.now() > deadline) {
        const missing = HOPS.filter((h) => !last.path || last.path[h] == null);
        throw new SmokeError(`order ${order.id} did not cross ${missing.join(", ")} within ${TIMEOUT_MS / 1000}s (status ${last.status})`);
      }
      await sleep(1000);
      const read = await request(agent, "GET", new URL(`/api/orders/${order.id}`, api).href);
      if (read.status !== 200) throw new SmokeError(`GET /api/orders/${order.id} answered ${read.status}`);
      last = JSON.parse(read.text);
      for (const hop of HOPS) {
        if (last.path[hop] != null && !reported.has(hop)) {
          reported.add(hop);
          log(`${hop}: ${JSON.stringify(last.path[hop])}`);
        }
      }
    }
    const note = await stream.notification(order.id, Math.max(5000, deadline - Date.now()));
    log(`notification relayed to the browser stream: ${note.status} by ${note.worker}`);
    log(`OK: order ${order.id} crossed PostgreSQL, Kafka, Redis and MQTT`);
  } finally {
    stream.close();
    agent.destroy();
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`smoke: FAILED: ${err instanceof SmokeError ? err.message : err.stack || err}`);
  process.exit(1);
});
