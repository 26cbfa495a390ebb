#!/usr/bin/env node
/**
 * The lab's image server: serves DIR on 127.0.0.1 (in the lab's network namespace, where the Pulumi
 * process and the libvirt provider run). HEAD answers with Content-Length, as the provider's HTTP
 * client wants before its GET. Prints the port, then serves until killed or for at most an hour.
 *
 *   node scripts/lab/images.js DIR
 */
"use strict";
const fs = require("fs");
const http = require("http");
const path = require("path");

const dir = process.argv[2];
const server = http.createServer((req, res) => {
  const file = path.join(dir, path.basename(decodeURIComponent(new URL(req.url, "http://localhost").pathname)));
  if (!fs.existsSync(file)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "Content-Length": fs.statSync(file).size, "Content-Type": "application/octet-stream" });
  if (req.method === "HEAD") res.end();
  else fs.createReadStream(file).pipe(res);
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
setTimeout(() => process.exit(0), 60 * 60 * 1000).unref();
