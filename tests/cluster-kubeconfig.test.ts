/**
 * The kubeconfig the Kubernetes provider gets (issue 10 item 6). K3s's admin client certificate
 * lives 365 days and is renewed only on disk, so a copy in the Pulumi state stops working after a
 * year. The read step instead ensures a ServiceAccount (cluster-admin) with a token Secret, which
 * does not expire, and prints a kubeconfig with that token: run under bash against a stub
 * `k3s kubectl`, it prints the same kubeconfig every time (no diff for the provider), carries no
 * client certificate, and never writes the token to its log.
 */
import { spawnSync } from "child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parse } from "yaml";
import { rewriteKubeconfig } from "../cluster/kubeconfig";
import { PULUMI_SERVICE_ACCOUNT, renderReadKubeconfig } from "../cluster/scripts";
import { remoteCommand } from "../shell";
import { K3S_VERSION } from "../versions";
import { shellcheck } from "./helpers/tools";

const TOKEN = "eyJhbGciOiJSUzI1NiJ9.sa-token.signature";
const CA = Buffer.from("-----BEGIN CERTIFICATE-----\nSERVERCA\n-----END CERTIFICATE-----\n").toString("base64");

/** A first server: `k3s kubectl` logs its calls, keeps what `apply` got, and fills the token after `emptyReads` reads. */
function firstServer(opts: { adminKubeconfig?: boolean; emptyReads?: number } = {}) {
  const root = mkdtempSync(join(tmpdir(), "fmc-kubeconfig-"));
  const log = join(root, "calls");
  writeFileSync(log, "");
  mkdirSync(join(root, "opt/bin"), { recursive: true });
  if (opts.adminKubeconfig !== false) {
    mkdirSync(join(root, "etc/rancher/k3s"), { recursive: true });
    writeFileSync(join(root, "etc/rancher/k3s/k3s.yaml"), "users: [{name: default, user: {client-key-data: ADMINKEY}}]\n");
  }
  writeFileSync(
    join(root, "opt/bin/k3s"),
    `#!/bin/bash
echo "k3s $*" >>"${log}"
case "$*" in
  *" apply -f -"*) cat >"${root}/applied.yaml" ;;
  *"jsonpath={.data.token}"*)
    n="$(grep -c 'jsonpath={.data.token}' "${log}")"
    [ "$n" -gt "${opts.emptyReads ?? 0}" ] && printf %s "${Buffer.from(TOKEN).toString("base64")}" ;;
  *"jsonpath={.data.ca"*) printf %s "${CA}" ;;
esac
exit 0
`,
  );
  chmodSync(join(root, "opt/bin/k3s"), 0o755);
  const run = () => {
    writeFileSync(log, "");
    const line = remoteCommand(renderReadKubeconfig(K3S_VERSION), { name: "read-kubeconfig", root: false });
    const r = spawnSync("bash", ["-c", line], {
      encoding: "utf8",
      env: { PATH: `/usr/bin:/bin`, FMC_ROOT: root, HOME: root },
      timeout: 20000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: readFileSync(log, "utf8").split("\n").filter(Boolean) };
  };
  return { root, run, applied: () => readFileSync(join(root, "applied.yaml"), "utf8") };
}

describe("read-kubeconfig (on the first server)", () => {
  it("passes shellcheck", () => {
    const r = shellcheck(renderReadKubeconfig(K3S_VERSION));
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  it("prints a kubeconfig with the ServiceAccount token and the server CA, no client certificate", () => {
    const node = firstServer();
    const r = node.run();
    expect(r.status).toBe(0);
    const doc = parse(r.stdout);
    expect(doc.users).toEqual([{ name: "default", user: { token: TOKEN } }]);
    expect(doc.clusters[0].cluster["certificate-authority-data"]).toBe(CA);
    expect(r.stdout).not.toMatch(/client-(key|certificate)-data|ADMINKEY/);
    expect(r.stderr).not.toContain(TOKEN);
    // What the provider and the stack output get: the endpoint and names rewritten, the token kept.
    const rewritten = parse(rewriteKubeconfig(r.stdout, "https://10.17.3.12:6443", "flatcarmicrocloud-prod"));
    expect(rewritten.users).toEqual([{ name: "flatcarmicrocloud-prod", user: { token: TOKEN } }]);
    expect(rewritten.clusters[0].cluster.server).toBe("https://10.17.3.12:6443");
  });

  it("declares a cluster-admin ServiceAccount and a token Secret for it, with the admin kubeconfig", () => {
    const node = firstServer();
    const r = node.run();
    expect(r.calls[0]).toBe(`k3s kubectl --kubeconfig ${node.root}/etc/rancher/k3s/k3s.yaml apply -f -`);
    const docs = node.applied().split(/^---$/m).map((d) => parse(d));
    const { namespace, name, secret } = PULUMI_SERVICE_ACCOUNT;
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([`ServiceAccount/${name}`, `ClusterRoleBinding/${name}`, `Secret/${secret}`]);
    expect(docs[1].roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" });
    expect(docs[1].subjects).toEqual([{ kind: "ServiceAccount", name, namespace }]);
    expect(docs[2]).toMatchObject({ type: "kubernetes.io/service-account-token", metadata: { namespace, annotations: { "kubernetes.io/service-account.name": name } } });
  });

  it("prints the same kubeconfig on every run (no diff, no provider update)", () => {
    const node = firstServer();
    const first = node.run();
    const second = node.run();
    expect(second.status).toBe(0);
    expect(second.stdout).toBe(first.stdout);
  });

  it("waits (bounded) for the token controller to fill the Secret", () => {
    const r = firstServer({ emptyReads: 2 }).run();
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c.includes("jsonpath={.data.token}"))).toHaveLength(3);
  });

  it("fails without the admin kubeconfig (K3s not up on this server)", () => {
    const r = firstServer({ adminKubeconfig: false }).run();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("no admin kubeconfig");
    expect(r.stdout).toBe("");
  });
});
