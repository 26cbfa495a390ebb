/**
 * FreeIPA's ACME command (GuestRoles.enableAcme): its script, run against stand-ins for the IPA tools,
 * enables ACME only while it is off, waits for the directory and prints only the CA certificate;
 * the component runs it over SSH with the VM's domain id as its trigger.
 */
import { spawnSync } from "child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import path from "path";
import { parseTopology } from "../config/validate";
import { dnsRecords, renderFreeipaAcmeScript, renderFreeipaRecordsScript } from "../infra/roles/freeipa";
import { rawStack } from "./helpers/stacks";
import { requireTool } from "./helpers/tools";

const topology = parseTopology(rawStack("prod"), "prod");
const ipa = topology.vms.find((vm) => vm.role === "freeipa")!;
const script = renderFreeipaAcmeScript(ipa, topology);
const CA = "-----BEGIN CERTIFICATE-----\nRnJlZUlQQSB0ZXN0IENB\n-----END CERTIFICATE-----\n";

function stub(bin: string, name: string, body: string): void {
  writeFileSync(path.join(bin, name), `#!/bin/bash\necho "${name} $*" >>"$FAKE_DIR/calls"\n${body}\n`);
  chmodSync(path.join(bin, name), 0o755);
}

/** A scratch FreeIPA server: ACME on or off (a state file), the directory answering once it is on. */
function server(opts: { acme: boolean; installed?: boolean; ca?: string }) {
  const dir = mkdtempSync(path.join(tmpdir(), "fmc-acme-"));
  const root = path.join(dir, "root");
  const bin = path.join(dir, "bin");
  mkdirSync(path.join(root, "proc/sys/kernel"), { recursive: true });
  mkdirSync(path.join(root, "etc/ipa"), { recursive: true });
  // fmc-first-boot's marker: every first-boot step finished.
  mkdirSync(path.join(root, "var/lib/flatcarmicrocloud"), { recursive: true });
  writeFileSync(path.join(root, "var/lib/flatcarmicrocloud/first-boot.done"), "");
  mkdirSync(bin);
  writeFileSync(path.join(root, "proc/sys/kernel/hostname"), `${ipa.name}.${topology.domain}\n`);
  if (opts.installed !== false) writeFileSync(path.join(root, "etc/ipa/default.conf"), "[global]\n");
  writeFileSync(path.join(root, "etc/ipa/ca.crt"), opts.ca ?? CA);
  writeFileSync(path.join(dir, "calls"), "");
  if (opts.acme) writeFileSync(path.join(dir, "acme-on"), "");
  stub(bin, "cloud-init", "exit 0");
  stub(bin, "ipactl", "exit 0");
  stub(bin, "sleep", "exit 0");
  stub(bin, "ipa-acme-manage", ['case "$1" in', '  status) [ -f "$FAKE_DIR/acme-on" ] && echo "ACME is enabled" || echo "ACME is disabled" ;;', '  enable) touch "$FAKE_DIR/acme-on"; echo "The ipa-acme-manage command was successful" ;;', "esac"].join("\n"));
  stub(bin, "curl", '[ -f "$FAKE_DIR/acme-on" ] || exit 7; for a in "$@"; do last="$a"; done; [ "$last" = "$EXPECT_URL" ]');
  const run = () =>
    spawnSync("bash", ["-c", script, "fmc-freeipa-acme"], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, FMC_ROOT: root, FAKE_DIR: dir, EXPECT_URL: "https://freeipa1.cefaslocalserver.com/acme/directory" },
    });
  const calls = () => readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n").filter((l) => l !== "");
  return { run, calls };
}

it("passes shellcheck", () => {
  requireTool("shellcheck");
  const r = spawnSync("shellcheck", ["-s", "bash", "-"], { input: script, encoding: "utf8" });
  expect(r.stdout).toBe("");
  expect(r.status).toBe(0);
});

it("enables ACME when it is off and prints the CA certificate, and nothing else, on stdout", () => {
  const s = server({ acme: false });
  const r = s.run();
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(CA);
  expect(r.stderr).toContain("ACME enabled");
  expect(s.calls().filter((c) => c.startsWith("ipa-acme-manage"))).toEqual(["ipa-acme-manage status", "ipa-acme-manage enable"]);
});

it("leaves ACME alone when it is already on (a re-run changes nothing)", () => {
  const s = server({ acme: true });
  const r = s.run();
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(CA);
  expect(s.calls().filter((c) => c.startsWith("ipa-acme-manage"))).toEqual(["ipa-acme-manage status"]);
});

it("fails, naming the cause, when FreeIPA's first boot did not install it or the CA file is not a certificate", () => {
  const notInstalled = server({ acme: false, installed: false }).run();
  expect(notInstalled.status).toBe(1);
  expect(notInstalled.stderr).toContain("FreeIPA is not installed");
  const noCa = server({ acme: true, ca: "garbage\n" }).run();
  expect(noCa.status).toBe(1);
  expect(noCa.stderr).toContain("holds no certificate");
  expect(noCa.stdout).toBe("");
});

it("waits a bounded time for the directory", () => {
  expect(script).toMatch(/^IPA_ACME_TIMEOUT_SECONDS=300$/m);
  expect(script).toMatch(/^IPA_ACME_DIRECTORY='?https:\/\/freeipa1\.cefaslocalserver\.com\/acme\/directory'?$/m);
});

it("FreeIPA resolves the apps' route hosts to the load balancer, as it does the platform's", () => {
  const records = dnsRecords(topology, ["app.cefaslocalserver.com", "shop.eu.cefaslocalserver.com"]);
  const lb = topology.vms.find((vm) => vm.role === "loadbalancer")!;
  for (const name of ["app", "shop.eu", "grafana"]) {
    expect(records.a.filter((r) => r.name === name).map((r) => r.address)).toEqual(lb.nics.map((n) => n.address));
  }
  expect(dnsRecords(topology).a.some((r) => r.name === "app")).toBe(false);
  expect(renderFreeipaRecordsScript(ipa, topology, ["app.cefaslocalserver.com"])).toContain("'app 10.17.3.12'");
});
