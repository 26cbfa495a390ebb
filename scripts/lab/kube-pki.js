/**
 * The lab control plane's PKI, made with openssl (docs/lab.md): a CA; the apiserver's serving
 * certificate for 127.0.0.1 and the in-cluster names; the service-account key pair; one client
 * certificate per component (admin and kwok in system:masters, the controller manager and the
 * scheduler under their own user names, which the default RBAC binds); a kubeconfig for each.
 * Everything lives for two days: the lab tears it all down after one run.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const CLIENTS = {
  admin: "/O=system:masters/CN=fmc-lab-admin",
  kwok: "/O=system:masters/CN=kwok",
  "kube-controller-manager": "/CN=system:kube-controller-manager",
  "kube-scheduler": "/CN=system:kube-scheduler",
};

function openssl(dir, args, input) {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8", input });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${(r.stderr || "").trim()}`);
  return r.stdout;
}

/** An EC P-256 key and a certificate signed by the lab CA, with the given extensions. */
function signed(dir, name, subject, extensions) {
  openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`]);
  openssl(dir, ["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`]);
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions.join("\n") + "\n");
  openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-sha256", "-extfile", `${name}.ext`, "-out", `${name}.crt`]);
}

function kubeconfig(dir, name, server) {
  const b64 = (f) => fs.readFileSync(path.join(dir, f)).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: fmc-lab",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${b64("ca.crt")}`,
    "users:",
    `- name: ${name}`,
    "  user:",
    `    client-certificate-data: ${b64(`${name}.crt`)}`,
    `    client-key-data: ${b64(`${name}.key`)}`,
    "contexts:",
    "- name: fmc-lab",
    "  context:",
    "    cluster: fmc-lab",
    `    user: ${name}`,
    "current-context: fmc-lab",
    "",
  ].join("\n");
}

/**
 * Writes the PKI into `dir`; returns the file paths and a kubeconfig per client. `serviceIp` is the
 * first address of the service CIDR (the `kubernetes` Service), which pods would dial.
 */
function makePki(dir, { server, serviceIp }) {
  fs.mkdirSync(dir, { recursive: true });
  openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"]);
  openssl(dir, ["req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=fmc-lab-ca", "-days", "2", "-sha256", "-out", "ca.crt"]);
  const names = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"];
  signed(dir, "apiserver", "/CN=kube-apiserver", [
    "basicConstraints=CA:FALSE",
    "keyUsage=digitalSignature,keyEncipherment",
    "extendedKeyUsage=serverAuth",
    `subjectAltName=IP:127.0.0.1,IP:${serviceIp},${names.map((n) => `DNS:${n}`).join(",")}`,
  ]);
  for (const [name, subject] of Object.entries(CLIENTS)) {
    signed(dir, name, subject, ["basicConstraints=CA:FALSE", "keyUsage=digitalSignature,keyEncipherment", "extendedKeyUsage=clientAuth"]);
  }
  openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sa.key"]);
  openssl(dir, ["ec", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
  const kubeconfigs = {};
  for (const name of Object.keys(CLIENTS)) {
    kubeconfigs[name] = path.join(dir, `${name}.kubeconfig`);
    fs.writeFileSync(kubeconfigs[name], kubeconfig(dir, name, server), { mode: 0o600 });
  }
  const f = (n) => path.join(dir, n);
  return { dir, ca: f("ca.crt"), caKey: f("ca.key"), apiserverCert: f("apiserver.crt"), apiserverKey: f("apiserver.key"), saKey: f("sa.key"), saPub: f("sa.pub"), kubeconfigs, client: (n) => ({ cert: f(`${n}.crt`), key: f(`${n}.key`) }) };
}

module.exports = { makePki, CLIENTS };
