/**
 * The load balancer's K3s API check under the real HAProxy: the rendered `k3s-api` backend, pointed
 * at a TLS server on 127.0.0.1 that answers like K3s does (503 "apiserver not ready" from K3s's
 * supervisor while its kube-apiserver starts, then 401 from the kube-apiserver to an anonymous
 * request, K3s running it with anonymous-auth=false). HAProxy must keep the server out while it
 * answers 503 and take it in on 401; a plain TCP check took it in at once. .ci/run installs haproxy
 * and openssl.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "fs";
import { createServer, Server } from "https";
import { AddressInfo, connect } from "net";
import { tmpdir } from "os";
import { join } from "path";
import { K3S_API_CHECK, renderHaproxyConfig } from "../infra/roles/loadbalancer";
import { prodTopology, vm } from "./roles.helpers";

const dir = mkdtempSync(join(tmpdir(), "fmc-haproxy-"));
const topology = prodTopology();
const rendered = renderHaproxyConfig(vm(topology, "loadbalancer1"), topology);
const section = (name: string) => rendered.split("\n\n").find((s) => s.startsWith(name)) ?? "";

/** What the K3s API answers now: 503 while the apiserver starts, 401 once it serves. */
let status = 503;
let server: Server;
let haproxy: ChildProcess;

/** `show servers state k3s-api` over HAProxy's stats socket: each server's operational state (2 = up). */
function serverStates(): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const socket = connect(join(dir, "stats.sock"));
    let out = "";
    socket.on("data", (d) => (out += d.toString()));
    socket.on("error", reject);
    socket.on("end", () => {
      // Columns: be_id be_name srv_id srv_name srv_addr srv_op_state ...
      const rows = out.split("\n").filter((l) => /^\d+ k3s-api /.test(l));
      resolve(Object.fromEntries(rows.map((l) => l.split(" ")).map((c) => [c[3], Number(c[5])])));
    });
    socket.write("show servers state k3s-api\n");
  });
}

async function waitFor(what: (states: Record<string, number>) => boolean, ms: number): Promise<Record<string, number>> {
  const end = Date.now() + ms;
  let states: Record<string, number> = {};
  while (Date.now() < end) {
    states = await serverStates().catch(() => ({}));
    if (what(states)) return states;
    await new Promise((r) => setTimeout(r, 100));
  }
  return states;
}

beforeAll(async () => {
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  const ssl = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=k3s", "-days", "1", "-keyout", key, "-out", cert], { encoding: "utf8" });
  if (ssl.status !== 0) throw new Error(`openssl: ${ssl.stderr}`);
  server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    res.writeHead(req.url === K3S_API_CHECK.path ? status : 404).end(status === 503 ? "apiserver not ready" : "Unauthorized");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  // The rendered defaults and k3s-api backend (checks need no frontend), the servers on the test
  // server, checks 25 times as often.
  const backend = section("backend k3s-api").replace(/ \S+:6443 check/g, ` 127.0.0.1:${port} check`);
  const config = [
    `global\n    stats socket ${join(dir, "stats.sock")} mode 600 level admin`,
    section("defaults").replace("inter 5s", "inter 200ms"),
    backend,
  ].join("\n\n");
  writeFileSync(join(dir, "haproxy.cfg"), `${config}\n`);
  haproxy = spawn("haproxy", ["-db", "-f", join(dir, "haproxy.cfg")], { stdio: "ignore" });
  await waitFor((s) => Object.keys(s).length > 0, 5000);
}, 20000);

afterAll(async () => {
  haproxy?.kill();
  await new Promise((r) => server?.close(r));
});

test("the API backend is checked over TLS on /readyz, expecting the API server's own answer", () => {
  const backend = section("backend k3s-api");
  expect(backend).toContain("option httpchk GET /readyz");
  expect(backend).toContain("http-check expect rstatus ^(200|401)$");
  expect(backend.match(/server \S+ \S+ .*$/gm)).toEqual([
    "server bootstrap1 10.17.4.14:6443 check check-ssl verify none",
    "server master1 10.17.4.21:6443 check check-ssl verify none",
  ]);
  // The ingress backends keep their TCP check (Traefik's NodePorts).
  expect(section("backend ingress-https")).not.toContain("httpchk");
});

test("HAProxy keeps a server out while K3s answers 503 (apiserver not ready) and takes it in on 401", async () => {
  const states = await waitFor(() => false, 1500);
  expect(states).toEqual({ bootstrap1: 0, master1: 0 });
  status = 401;
  expect(await waitFor((s) => s.bootstrap1 === 2 && s.master1 === 2, 5000)).toEqual({ bootstrap1: 2, master1: 2 });
  status = 503;
  expect(await waitFor((s) => s.bootstrap1 === 0 && s.master1 === 0, 5000)).toEqual({ bootstrap1: 0, master1: 0 });
}, 20000);
