/**
 * First contact through the bastion (issue 10 item 7). @pulumi/command 1.2.1 opens the TCP stream
 * through the jump host once and retries only the SSH handshake on it, so a reset from a half-up sshd
 * fails the command. Shown here: the bastion-side wait passes only once sshd answers with stable host
 * keys (run under bash with a scripted ssh-keyscan), and in the resource graph every command to a VM
 * behind the bastion waits for that VM's probe, which itself connects to the bastion directly.
 */
import { spawnSync } from "child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import * as pulumi from "@pulumi/pulumi";
import { parseClusterSettings } from "../config/cluster";
import { parseTopology } from "../config/validate";
import { Infra } from "../infra";
import { K3sCluster } from "../cluster";
import { renderWaitForSshd, SshFirstContact, STABLE_SSHD_PROBES } from "../infra/ssh-first-contact";
import { remoteCommand } from "../shell";
import { pemBlock } from "../plan/stack-config";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { machineOutputs } from "./helpers/machine-outputs";
import { rawStack } from "./helpers/stacks";
import { shellcheck } from "./helpers/tools";

/** Runs the rendered command line with an ssh-keyscan that answers, per call, the next line of `answers` ("" = nothing). */
function runWait(answers: string[], timeoutSeconds = 30): { status: number | null; calls: number; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "wait-sshd-"));
  writeFileSync(join(dir, "answers"), answers.join("\n") + "\n");
  writeFileSync(join(dir, "calls"), "");
  writeFileSync(
    join(dir, "ssh-keyscan"),
    `#!/bin/bash
echo "$*" >>"${dir}/calls"
n=$(wc -l <"${dir}/calls")
line="$(sed -n "\${n}p" "${dir}/answers")"
echo "# $4:$3 SSH-2.0-OpenSSH_9.9" >&2
[ -n "$line" ] && echo "10.17.4.21 $line"
exit 0
`,
  );
  chmodSync(join(dir, "ssh-keyscan"), 0o755);
  const line = remoteCommand(renderWaitForSshd({ target: "10.17.4.21", timeoutSeconds, intervalSeconds: 0 }), { name: "wait-for-sshd", root: false });
  const r = spawnSync("/bin/bash", ["-c", line], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: "utf8", timeout: 20000 });
  const calls = readFileSync(join(dir, "calls"), "utf8").split("\n").filter(Boolean).length;
  return { status: r.status, calls, stdout: r.stdout, stderr: r.stderr };
}

describe("wait-for-sshd.sh (on the bastion)", () => {
  it("passes shellcheck", () => {
    const r = shellcheck(renderWaitForSshd({ target: "10.17.4.21" }));
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  it("passes only after the same host keys answered on consecutive probes", () => {
    expect(STABLE_SSHD_PROBES).toBe(3);
    // Nothing, a key, then regenerated keys (first boot), seen three times.
    const r = runWait(["", "ssh-ed25519 AAAAold", "ssh-ed25519 AAAAnew", "ssh-ed25519 AAAAnew", "ssh-ed25519 AAAAnew", "ssh-ed25519 AAAAnew"]);
    expect(r.status).toBe(0);
    expect(r.calls).toBe(5);
    expect(r.stdout).toBe("sshd on 10.17.4.21:22 serves the same host keys on 3 probes\n");
  });

  it("starts counting again when sshd stops answering in between (a restart)", () => {
    const k = "ssh-ed25519 AAAAk";
    const r = runWait([k, k, "", k, k, k]);
    expect([r.status, r.calls]).toEqual([0, 6]);
  });

  it("fails, bounded, when sshd never answers steadily", () => {
    const r = runWait(Array(500).fill(""), 1);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("sshd did not answer steadily within 1s");
  });
});

describe("the resource graph (prod through bastion1)", () => {
  let h: Harness;
  const topology = parseTopology(rawStack("prod"), "prod");
  beforeAll(async () => {
    h = await startHarness({ stack: "prod", outputsFor: machineOutputs });
    const infra = new Infra("fc-vm", { topology, sshJumpHost: "bastion1" });
    const key = pulumi.secret(pemBlock("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAA"));
    const reachable = new SshFirstContact("fc-first-contact", { nodes: infra.nodes, sshPrivateKey: key }).nodes;
    new K3sCluster("fc", { nodes: reachable, settings: parseClusterSettings({}, topology), sshPrivateKey: key });
    await h.settle();
  });

  it("probes every VM behind the bastion from the bastion itself, over a direct connection, again when either VM is new", () => {
    const probes = h.byType("command:remote:Command").filter((r) => r.name.startsWith("fc-first-contact-"));
    expect(probes.map((r) => r.name).sort()).toEqual(
      topology.vms.filter((vm) => vm.name !== "bastion1").map((vm) => `fc-first-contact-${vm.name}`).sort(),
    );
    const bastion = h.byName("fc-vm-bastion1");
    for (const probe of probes) {
      const vm = probe.name.replace("fc-first-contact-", "");
      const connection = probe.inputs.connection as Record<string, unknown>;
      expect(connection.proxy).toBeUndefined();
      expect(probe.propertyDependencies.connection).toContain(bastion.urn);
      expect(probe.propertyDependencies.triggers).toEqual(expect.arrayContaining([h.byName(`fc-vm-${vm}`).urn, bastion.urn]));
      expect(probe.deleteBeforeReplace).toBe(true);
    }
  });

  it("every K3s step on a VM behind the bastion waits for that VM's probe", () => {
    for (const node of ["bootstrap1", "master1", "worker1", "worker2", "worker3"]) {
      const probe = h.byName(`fc-first-contact-${node}`);
      for (const step of ["boot", "k3s"]) {
        expect(h.byName(`fc-${node}-${step}`).propertyDependencies.connection).toContain(probe.urn);
      }
    }
    // Membership runs on the first server: it waits for that server's probe.
    expect(h.byName("fc-worker2-member").propertyDependencies.connection).toContain(h.byName("fc-first-contact-bootstrap1").urn);
  });
});
