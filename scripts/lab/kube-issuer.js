/**
 * lab:kube's `tlsIssuer` step (docs/lab.md, docs/existing-cluster.md "Certificates (tlsIssuer)"):
 * the lab's existing cluster moves on day two from `none` to `selfSigned` (preview held to
 * docs/day-two.md row tlsIssuer, up, no-op up), the CA and every route's certificate are checked
 * (the stack output `tlsCaCertificate` is the CA in its Secret; each route's certificate chains to
 * it, `openssl verify`), an `acme` preview from there (the ACME issuer's objects go through the
 * apiserver's server-side dry run; nothing is issued: no ACME server here), and the way back to
 * `none`.
 *
 * STAND-IN (docs/lab.md): cert-manager's controller, which cannot run under KWOK. For what the
 * apiserver accepted, `issuerStandIn` does what cert-manager would: a ClusterIssuer is Ready when
 * cert-manager would make it so (`selfSigned` at once; `ca` once its Secret holds a CA key pair;
 * `acme` never: no ACME server answers here, so it is left as it is), and a Certificate whose
 * ClusterIssuer is Ready gets its key and certificate (openssl, the Certificate's key algorithm and
 * size, common name, DNS names, CA flag and duration; self-signed or signed by the CA Secret) in
 * its `spec.secretName` Secret, then Ready. Its decisions are pure functions (tests/lab-kube.test.ts);
 * a rejection by the apiserver (the CRDs' schemas, the status subresource) fails the step.
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const { sh, mustSh } = require("./common");

const CM = "/apis/cert-manager.io/v1";
const REASON = "LabStandIn";
const BY = "the lab in place of cert-manager, whose controller does not run here";
const isReady = (o) => ((o.status || {}).conditions || []).some((c) => c.type === "Ready" && c.status === "True");
const decode = (b64) => Buffer.from(b64 || "", "base64").toString("utf8");

// ---- the stand-in's decisions (pure) ------------------------------------------------------------

/** Days of a cert-manager duration (Go syntax: `87600h`, `2160h0m0s`, `90m`); cert-manager's default is 90 days. */
function durationDays(duration) {
  if (duration === undefined) return 90;
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
  if (!m || duration === "") throw new Error(`duration "${duration}" is not h/m/s`);
  const hours = Number(m[1] || 0) + Number(m[2] || 0) / 60 + Number(m[3] || 0) / 3600;
  return Math.max(1, Math.ceil(hours / 24));
}

/** Why a Secret's tls.crt/tls.key is not a CA key pair cert-manager's CA issuer would sign with, or undefined. */
function caKeyPairProblem(secret) {
  const data = (secret && secret.data) || {};
  if (!data["tls.crt"] || !data["tls.key"]) return "holds no tls.crt and tls.key";
  let cert;
  try {
    cert = new crypto.X509Certificate(decode(data["tls.crt"]));
  } catch (e) {
    return `tls.crt is no certificate (${e.message})`;
  }
  if (!cert.ca) return "tls.crt is not a CA certificate";
  if (!cert.checkPrivateKey(crypto.createPrivateKey(decode(data["tls.key"])))) return "tls.key is not tls.crt's key";
  return undefined;
}

/**
 * What cert-manager would say of a ClusterIssuer: `{ ready: true|false, reason, message }`, or
 * `{ ready: undefined }` for what the stand-in does not decide (an ACME account needs the server).
 * `caSecret`: the Secret a CA issuer names (in cert-manager's namespace), when it exists.
 */
function issuerDecision(issuer, caSecret) {
  const spec = issuer.spec || {};
  if (spec.selfSigned) return { ready: true, reason: REASON, message: `self-signed issuer; ${BY}` };
  if (spec.ca) {
    if (!caSecret) return { ready: false, reason: "ErrGetKeyPair", message: `Secret ${spec.ca.secretName} not found; ${BY}` };
    const problem = caKeyPairProblem(caSecret);
    if (problem) return { ready: false, reason: "ErrInvalidKeyPair", message: `Secret ${spec.ca.secretName} ${problem}; ${BY}` };
    return { ready: true, reason: REASON, message: `signing CA in Secret ${spec.ca.secretName} verified; ${BY}` };
  }
  if (spec.acme) return { ready: undefined, why: `ACME server ${spec.acme.server}: not stood in (no ACME server answers in the lab)` };
  return { ready: undefined, why: "an issuer kind the stand-in does not know" };
}

/**
 * What cert-manager would do for a Certificate, given its ClusterIssuer (undefined when absent) and,
 * for a CA issuer, the CA Secret: `{ action: "wait", why }` or `{ action: "issue", request, signer }`
 * (`signer` "self", or the CA's `{ crt, key }` PEM).
 */
function certificateDecision(cert, issuer, caSecret) {
  const ref = cert.spec.issuerRef || {};
  if (ref.kind !== "ClusterIssuer") return { action: "wait", why: `issuerRef kind ${ref.kind}: only ClusterIssuers are stood in` };
  if (!issuer) return { action: "wait", why: `ClusterIssuer ${ref.name} does not exist` };
  if (!isReady(issuer)) return { action: "wait", why: `ClusterIssuer ${ref.name} is not Ready` };
  const key = cert.spec.privateKey || {};
  const request = {
    commonName: cert.spec.commonName,
    dnsNames: cert.spec.dnsNames || [],
    isCA: !!cert.spec.isCA,
    days: durationDays(cert.spec.duration),
    key: { algorithm: key.algorithm || "RSA", size: key.size || (key.algorithm === "ECDSA" ? 256 : 2048) },
  };
  if (!request.commonName && request.dnsNames.length === 0) return { action: "wait", why: "neither commonName nor dnsNames (cert-manager refuses it)" };
  if (issuer.spec.selfSigned) return { action: "issue", request, signer: "self" };
  if (issuer.spec.ca) {
    const problem = caKeyPairProblem(caSecret);
    if (problem) return { action: "wait", why: `CA Secret ${issuer.spec.ca.secretName} ${problem}` };
    return { action: "issue", request, signer: { crt: decode(caSecret.data["tls.crt"]), key: decode(caSecret.data["tls.key"]) } };
  }
  return { action: "wait", why: `ClusterIssuer ${ref.name} is not stood in` };
}

// ---- openssl --------------------------------------------------------------------------------------

/** The key (PKCS#1/SEC1 PEM, cert-manager's default encoding) and certificate for `request`, with openssl in `dir`. */
function makeCertificate(dir, name, request, signer) {
  fs.mkdirSync(dir, { recursive: true });
  const f = (ext) => path.join(dir, `${name}.${ext}`);
  const { algorithm, size } = request.key;
  const keyArgs = algorithm === "ECDSA" ? ["-algorithm", "EC", "-pkeyopt", `ec_paramgen_curve:P-${size}`] : ["-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${size}`];
  if (!["ECDSA", "RSA"].includes(algorithm)) throw new Error(`${name}: key algorithm ${algorithm} not stood in`);
  const pkcs8 = mustSh("openssl", ["genpkey", ...keyArgs]);
  fs.writeFileSync(f("key"), mustSh("openssl", ["pkey", "-traditional"], { input: pkcs8 }), { mode: 0o600 });
  // cert-manager's defaults: key usages digital signature and key encipherment (and cert sign for a
  // CA), basic constraints critical, the DNS names as SANs, the common name only when given; with
  // an empty subject the SANs must be critical (RFC 5280 4.2.1.6; openssl -x509_strict checks it).
  const ext = [
    `basicConstraints=critical,CA:${request.isCA ? "TRUE" : "FALSE"}`,
    `keyUsage=critical,digitalSignature,keyEncipherment${request.isCA ? ",keyCertSign" : ""}`,
    ...(request.dnsNames.length > 0 ? [`subjectAltName=${request.commonName ? "" : "critical,"}${request.dnsNames.map((d) => `DNS:${d}`).join(",")}`] : []),
    "subjectKeyIdentifier=hash",
    ...(signer === "self" ? [] : ["authorityKeyIdentifier=keyid"]),
  ];
  fs.writeFileSync(f("ext"), ext.join("\n") + "\n");
  const subject = request.commonName ? `/CN=${request.commonName}` : "/";
  mustSh("openssl", ["req", "-new", "-key", f("key"), "-subj", subject, "-out", f("csr")]);
  const days = ["-days", String(request.days), "-sha256", "-extfile", f("ext"), "-set_serial", `0x${crypto.randomBytes(16).toString("hex")}`];
  if (signer === "self") {
    mustSh("openssl", ["x509", "-req", "-in", f("csr"), "-key", f("key"), ...days, "-out", f("crt")]);
  } else {
    fs.writeFileSync(f("ca.crt"), signer.crt);
    fs.writeFileSync(f("ca.key"), signer.key, { mode: 0o600 });
    mustSh("openssl", ["x509", "-req", "-in", f("csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), ...days, "-out", f("crt")]);
  }
  return { key: fs.readFileSync(f("key"), "utf8"), crt: fs.readFileSync(f("crt"), "utf8") };
}

/** Why `leafPem` does not chain to `caPem` as a TLS server certificate for `host` (openssl verify), or undefined. */
function chainProblem(dir, name, caPem, leafPem, host) {
  fs.mkdirSync(dir, { recursive: true });
  const ca = path.join(dir, `${name}.verify-ca.crt`);
  const leaf = path.join(dir, `${name}.verify.crt`);
  fs.writeFileSync(ca, caPem);
  fs.writeFileSync(leaf, leafPem);
  const r = sh("openssl", ["verify", "-x509_strict", "-purpose", "sslserver", "-verify_hostname", host, "-CAfile", ca, leaf]);
  return r.status === 0 ? undefined : (r.stderr || r.stdout).trim().split("\n").slice(-2).join(" ");
}

// ---- the stand-in (impure: the apiserver) ---------------------------------------------------------

/**
 * Runs the stand-in every second until `stop()`: `issued` names the Certificates it issued, `waiting`
 * why the others wait, `errors` what the apiserver refused (a refused write is a finding, never
 * retried into silence: the step fails on it).
 */
function issuerStandIn(kube, dir, caNamespace) {
  const issued = new Set();
  const waiting = new Map();
  const errors = new Set();
  let stopped = false;
  const secretPath = (ns, name) => `/api/v1/namespaces/${ns}/secrets/${name}`;
  const readSecret = async (ns, name) => {
    const r = await kube.request("GET", secretPath(ns, name));
    return r.status === 200 ? r.json : undefined;
  };
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const setStatus = async (p, status) => {
    const r = await kube.request("PATCH", `${p}/status`, { status }, "application/merge-patch+json");
    if (r.status >= 300) errors.add(`PATCH ${p}/status: ${r.status} ${(r.json && r.json.message) || r.text.slice(0, 300)}`);
    return r.status < 300;
  };
  const writeSecret = async (ns, body) => {
    let r = await kube.request("POST", `/api/v1/namespaces/${ns}/secrets`, body);
    if (r.status === 409) r = await kube.request("PUT", secretPath(ns, body.metadata.name), body);
    if (r.status >= 300) errors.add(`Secret ${ns}/${body.metadata.name}: ${r.status} ${(r.json && r.json.message) || r.text.slice(0, 300)}`);
    return r.status < 300;
  };
  const round = async () => {
    const issuers = (await kube.get(`${CM}/clusterissuers`)).items.filter((i) => !i.metadata.deletionTimestamp);
    for (const i of issuers) {
      const d = issuerDecision(i, i.spec.ca ? await readSecret(caNamespace, i.spec.ca.secretName) : undefined);
      if (d.ready === undefined) {
        waiting.set(`ClusterIssuer ${i.metadata.name}`, d.why);
        continue;
      }
      const cond = ((i.status || {}).conditions || []).find((c) => c.type === "Ready");
      if (cond && cond.status === (d.ready ? "True" : "False") && cond.reason === d.reason) continue;
      const condition = { type: "Ready", status: d.ready ? "True" : "False", reason: d.reason, message: d.message, lastTransitionTime: now(), observedGeneration: i.metadata.generation };
      if (await setStatus(`${CM}/clusterissuers/${i.metadata.name}`, { conditions: [condition] })) i.status = { conditions: [condition] };
    }
    const byName = new Map(issuers.map((i) => [i.metadata.name, i]));
    const certs = (await kube.get(`${CM}/certificates`)).items.filter((c) => !c.metadata.deletionTimestamp && !isReady(c));
    for (const c of certs) {
      const id = `${c.metadata.namespace}/${c.metadata.name}`;
      const issuer = byName.get(c.spec.issuerRef.name);
      const caSecret = issuer && issuer.spec.ca ? await readSecret(caNamespace, issuer.spec.ca.secretName) : undefined;
      const d = certificateDecision(c, issuer, caSecret);
      if (d.action === "wait") {
        waiting.set(`Certificate ${id}`, d.why);
        continue;
      }
      waiting.delete(`Certificate ${id}`);
      const made = makeCertificate(dir, `${c.metadata.namespace}_${c.metadata.name}`, d.request, d.signer);
      const b64 = (s) => Buffer.from(s).toString("base64");
      const secret = {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: c.spec.secretName,
          namespace: c.metadata.namespace,
          annotations: { "cert-manager.io/certificate-name": c.metadata.name, "cert-manager.io/issuer-name": c.spec.issuerRef.name, "cert-manager.io/issuer-kind": "ClusterIssuer", "fmc-lab/stand-in": `issued by ${BY}` },
        },
        type: "kubernetes.io/tls",
        data: { "tls.crt": b64(made.crt), "tls.key": b64(made.key), "ca.crt": b64(d.signer === "self" ? made.crt : d.signer.crt) },
      };
      if (!(await writeSecret(c.metadata.namespace, secret))) continue;
      const x = new crypto.X509Certificate(made.crt);
      const iso = (t) => new Date(t).toISOString().replace(/\.\d+Z$/, "Z");
      const ok = await setStatus(`${CM}/namespaces/${c.metadata.namespace}/certificates/${c.metadata.name}`, {
        conditions: [{ type: "Ready", status: "True", reason: REASON, message: `issued by ${BY}`, lastTransitionTime: now(), observedGeneration: c.metadata.generation }],
        notBefore: iso(x.validFrom),
        notAfter: iso(x.validTo),
        revision: 1,
      });
      if (ok) issued.add(id);
    }
  };
  const loop = async () => {
    while (!stopped) {
      try {
        await round();
      } catch (e) {
        // The CRDs are not there yet (404) or the apiserver is busy: next round.
        if (!/: 404 /.test(String(e.message))) waiting.set("stand-in", String(e.message).slice(0, 200));
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void loop();
  return { issued, waiting, errors, stop: () => (stopped = true) };
}

// ---- what docs/day-two.md row tlsIssuer says a preview does (pure) --------------------------------

/** The route hosts: the platform's (INGRESS_HOSTS under the domain) and the apps' (one Certificate per host), and the apps with a route. */
function routeHosts(domain, ingressHosts, apps) {
  const fqdn = (h) => (h.includes(".") ? h : `${h}.${domain}`);
  const routed = apps.filter((a) => a.ingress);
  return {
    platform: Object.values(ingressHosts).map((h) => `${h}.${domain}`),
    apps: [...new Set(routed.map((a) => fqdn(a.ingress.host)))],
    routedApps: routed.map((a) => a.name),
  };
}

/** The Helm releases whose values carry a route's TLS Secret (platform/values: Traefik's dashboard, Grafana, the Ceph dashboard). */
const ROUTE_RELEASES = ["platform-traefik", "platform-kube-prometheus-stack", "platform-rook-ceph-cluster"];
const TLS_PATH = /(^|\.)tls(\.|\[|$)/;

/**
 * The steps of a `tlsIssuer` change, `{ "<op> <Kind> <name>": expectation }`: `null` any paths, a
 * list the exact paths, a RegExp every path must match (at least one). `optional` names (`Kind
 * name`) may appear with any op: the CA Secret the program reads (a read, or its discard).
 * `from`/`to`: none, selfSigned or acme.
 */
function issuerChangeExpected(from, to, hosts, namespaces) {
  const e = {};
  const certs = [...hosts.platform.map((h) => `Certificate platform-certificate-${h}`), ...hosts.apps.map((h) => `Certificate apps-certificate-${h}`)];
  const routes = (op) => {
    for (const r of ROUTE_RELEASES) e[`${op} Release ${r}`] = TLS_PATH;
    for (const a of hosts.routedApps) e[`${op} IngressRoute apps-${a}-route`] = TLS_PATH;
  };
  const caObjects = ["ClusterIssuer platform-selfsigned-issuer", "Certificate platform-ca-certificate"];
  if (from === "none" && to === "selfSigned") {
    for (const id of ["Release platform-cert-manager", ...caObjects, "ClusterIssuer platform-cluster-issuer", ...certs]) e[`create ${id}`] = null;
    routes("update");
  } else if (from === "selfSigned" && to === "none") {
    for (const id of ["Release platform-cert-manager", ...caObjects, "ClusterIssuer platform-cluster-issuer", ...certs]) e[`delete ${id}`] = null;
    routes("update");
  } else if (from === "selfSigned" && to === "acme") {
    // docs/day-two.md: the ClusterIssuer is renamed (flatcarmicrocloud-ca -> acme: replaced), the
    // Certificates update in place to it; the CA's objects go; the EAB Secret, cert-manager's egress
    // to the ACME server and the HTTP-01 solver policies (platform/network-policies.ts) come.
    for (const id of caObjects) e[`delete ${id}`] = null;
    e["replace ClusterIssuer platform-cluster-issuer"] = null;
    for (const id of certs) e[`update ${id}`] = ["spec.issuerRef.name"];
    e["create Secret platform-acme-eab"] = null;
    for (const n of ["allow-acme-directory", "allow-http01-self-check"]) e[`create NetworkPolicy platform-${namespaces.certManager}-${n}`] = null;
    for (const ns of namespaces.platformCertificates) e[`create NetworkPolicy platform-${ns}-allow-acme-http01-solver`] = null;
    if (hosts.apps.length > 0) e["create NetworkPolicy apps-allow-acme-http01-solver"] = null;
  } else {
    throw new Error(`no expectation for tlsIssuer ${from} -> ${to}`);
  }
  return { expected: e, optional: ["Secret platform-ca-secret"] };
}

/** A replacement shows as several steps (create-replacement, replace, delete-replaced): one `replace`. */
const REPLACE_OPS = ["create-replacement", "replace", "delete-replaced"];

/** Where the preview's steps (common.js previewSteps) differ from issuerChangeExpected's; one line each. */
function issuerPreviewProblems(steps, { expected, optional }) {
  const problems = [];
  const seen = new Set();
  for (const s of steps) {
    const what = `${s.kind} ${s.name}`;
    if (optional.includes(what)) continue;
    const id = `${REPLACE_OPS.includes(s.op) ? "replace" : s.op} ${what}`;
    seen.add(id);
    if (!(id in expected)) {
      problems.push(`unexpected: ${s.op} ${what}${s.changed.length ? ` [${s.changed.join(", ")}]` : ""}`);
      continue;
    }
    const want = expected[id];
    if (want instanceof RegExp) {
      const bad = s.changed.filter((p) => !want.test(p));
      if (s.changed.length === 0 || bad.length > 0) problems.push(`${id} changes [${s.changed.join(", ")}], not only paths matching ${want}`);
    } else if (Array.isArray(want) && JSON.stringify(s.changed) !== JSON.stringify([...want].sort())) {
      problems.push(`${id} changes [${s.changed.join(", ")}], not [${[...want].sort().join(", ")}]`);
    }
  }
  for (const id of Object.keys(expected)) if (!seen.has(id)) problems.push(`missing: ${id}`);
  return problems;
}

// ---- the steps -------------------------------------------------------------------------------------

/**
 * Runs the tlsIssuer steps inside kube-pulumi.js's runPulumi (its helpers passed in): none ->
 * selfSigned (preview, up, no-op), the certificates checked, an acme preview, selfSigned -> none.
 */
async function issuerSteps(ctx) {
  const { ROOT, RUN, PROJECT_NAME, kube, cli, stack, stackFile, step, pki, previewOps, applyAndNoOp, described } = ctx;
  const { NAMESPACES } = require(path.join(ROOT, "platform", "namespaces.ts"));
  const { INGRESS_HOSTS, OPT_IN_HOSTS } = require(path.join(ROOT, "ports.ts"));
  const { CA_SECRET, CA_CERTIFICATE, SELF_SIGNED_ISSUER } = require(path.join(ROOT, "platform", "values", "cert-manager.ts"));
  const { ISSUER_NAMES } = require(path.join(ROOT, "platform", "certificates.ts"));
  const dir = path.join(RUN, "issuer");
  const key = (k) => `${PROJECT_NAME}:${k}`;
  const setConfig = (edit) => {
    const doc = YAML.parseDocument(fs.readFileSync(stackFile, "utf8"));
    edit(doc);
    fs.writeFileSync(stackFile, doc.toString());
  };
  const config = YAML.parse(fs.readFileSync(stackFile, "utf8")).config;
  // The opt-ins' hosts are reserved on every stack (ports.ts) but routed only while their opt-in is on: the lab stack's gitops.
  const routed = { ...INGRESS_HOSTS, ...(config[key("gitops")] !== undefined ? OPT_IN_HOSTS.gitops : {}) };
  const hosts = routeHosts(config[key("domain")], routed, config[key("apps")] || []);
  const namespaces = { certManager: NAMESPACES.certManager.name, platformCertificates: [NAMESPACES.monitoring.name, NAMESPACES.traefik.name, NAMESPACES.rookCeph.name] };
  const held = (label, from, to, steps) => {
    const problems = issuerPreviewProblems(steps, issuerChangeExpected(from, to, hosts, namespaces));
    if (problems.length > 0) throw new Error(`${label}: the preview is not what docs/day-two.md row tlsIssuer says:\n${problems.join("\n")}`);
  };
  const standIn = issuerStandIn(kube, path.join(dir, "issued"), NAMESPACES.certManager.name);
  const refused = () => {
    if (standIn.errors.size > 0) throw new Error(`the apiserver refused the stand-in's writes: ${[...standIn.errors].join("; ")}`);
  };
  const outputs = () => JSON.parse(cli(["stack", "output", "--json", "--show-secrets", "--stack", stack]));
  try {
    const on = await step("day two: tlsIssuer none -> selfSigned (docs/day-two.md row tlsIssuer: cert-manager, the CA and a Certificate per route host created, the routes updated in place; cert-manager's issuing by a STAND-IN)", async () => {
      setConfig((doc) => doc.setIn(["config", key("tlsIssuer")], "selfSigned"));
      const { steps } = await previewOps("day-two-tls-preview");
      held("none -> selfSigned", "none", "selfSigned", steps);
      const applied = await applyAndNoOp("day-two-tls");
      refused();
      return { detail: `${steps.length} steps as documented (${steps.filter((s) => s.op === "create").length} created, ${steps.filter((s) => s.op === "update").length} updated in place); applied (${applied}), then no changes; ${standIn.issued.size} Certificates issued by the stand-in`, figure: "dayTwoTls" };
    });

    if (on) {
      await step(`certificates: the CA from ${SELF_SIGNED_ISSUER}, every route's from ${ISSUER_NAMES.selfSigned} and chaining to it (openssl verify); tlsCaCertificate is the CA Secret's; its key never in plain text in the state`, async () => {
        const issuers = (await kube.get(`${CM}/clusterissuers`)).items;
        const want = { [SELF_SIGNED_ISSUER]: "selfSigned", [ISSUER_NAMES.selfSigned]: "ca" };
        const sorted = (o) => JSON.stringify(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
        const gotIssuers = Object.fromEntries(issuers.map((i) => [i.metadata.name, Object.keys(i.spec).join(",")]));
        if (sorted(gotIssuers) !== sorted(want)) throw new Error(`ClusterIssuers ${sorted(gotIssuers)}, not ${sorted(want)}`);
        const certs = (await kube.get(`${CM}/certificates`)).items;
        const ca = certs.find((c) => c.metadata.name === CA_CERTIFICATE && c.metadata.namespace === NAMESPACES.certManager.name);
        if (!ca || !ca.spec.isCA || ca.spec.issuerRef.name !== SELF_SIGNED_ISSUER) throw new Error(`no CA Certificate ${NAMESPACES.certManager.name}/${CA_CERTIFICATE} from ${SELF_SIGNED_ISSUER}`);
        const routeCerts = certs.filter((c) => c !== ca);
        const names = routeCerts.map((c) => (c.spec.dnsNames || []).join(",")).sort();
        const expectedHosts = [...hosts.platform, ...hosts.apps].sort();
        if (JSON.stringify(names) !== JSON.stringify(expectedHosts)) throw new Error(`route Certificates for ${names.join(" ")}, not ${expectedHosts.join(" ")}`);
        const other = routeCerts.filter((c) => c.spec.issuerRef.name !== ISSUER_NAMES.selfSigned || !isReady(c)).map((c) => `${c.metadata.namespace}/${c.metadata.name}`);
        if (other.length > 0) throw new Error(`not Ready from ${ISSUER_NAMES.selfSigned}: ${other.join(", ")}`);
        const caSecret = await kube.get(`/api/v1/namespaces/${NAMESPACES.certManager.name}/secrets/${CA_SECRET}`);
        const caPem = decode(caSecret.data["tls.crt"]);
        const output = outputs().tlsCaCertificate;
        if (output !== caPem) throw new Error(`the stack output tlsCaCertificate is not ${CA_SECRET}'s tls.crt (${output === undefined ? "no output" : "another PEM"})`);
        const broken = [];
        for (const c of routeCerts) {
          const s = await kube.get(`/api/v1/namespaces/${c.metadata.namespace}/secrets/${c.spec.secretName}`);
          const problem = chainProblem(dir, `${c.metadata.namespace}_${c.metadata.name}`, output, decode(s.data["tls.crt"]), c.spec.dnsNames[0]);
          if (problem) broken.push(`${c.metadata.namespace}/${c.spec.secretName}: ${problem}`);
        }
        if (broken.length > 0) throw new Error(`not chaining to tlsCaCertificate:\n${broken.join("\n")}`);
        // The program reads the CA's Secret (the key included): the state may hold it only as ciphertext.
        const exported = cli(["stack", "export", "--stack", stack]);
        const keyPem = decode(caSecret.data["tls.key"]);
        const keyLine = keyPem.split("\n").find((l) => l.length >= 40 && !l.startsWith("-----"));
        if (exported.includes(caSecret.data["tls.key"]) || (keyLine && exported.includes(keyLine))) throw new Error("the CA's private key is in plain text in the state");
        if (!exported.includes(CA_SECRET)) throw new Error("the state does not hold the CA Secret read: the key check would prove nothing");
        return { detail: `ClusterIssuers ${Object.keys(want).join(", ")}; CA ${new crypto.X509Certificate(caPem).subject}; ${routeCerts.length} route certificates verify against tlsCaCertificate (${expectedHosts.join(", ")})` };
      });

      await step("tlsIssuer selfSigned -> acme (preview only: no ACME server here): the ACME ClusterIssuer, EAB Secret and policies pass the apiserver's dry run, the Certificates update in place to it", async () => {
        setConfig((doc) => {
          doc.setIn(["config", key("tlsIssuer")], "acme");
          doc.setIn(["config", key("tlsAcmeServer")], "https://acme.lab.invalid/directory");
          doc.setIn(["config", key("tlsAcmeEmail")], "lab@example.com");
          doc.setIn(["config", key("tlsAcmeEabKeyId")], "lab-eab-key");
          doc.setIn(["config", key("tlsAcmeCaBundle")], fs.readFileSync(pki.ca, "utf8"));
        });
        cli(["config", "set", "--secret", "tlsAcmeEabHmacKey", "--stack", stack], { input: crypto.randomBytes(32).toString("base64url") });
        try {
          const { steps } = await previewOps("day-two-tls-acme-preview");
          held("selfSigned -> acme", "selfSigned", "acme", steps);
          return { detail: `${steps.length} steps as documented: ${described(steps.filter((s) => s.op !== "update"))}; ${steps.filter((s) => s.op === "update").length} Certificates [spec.issuerRef.name]` };
        } finally {
          cli(["config", "rm", "tlsAcmeEabHmacKey", "--stack", stack]);
          setConfig((doc) => {
            for (const k of ["tlsAcmeServer", "tlsAcmeEmail", "tlsAcmeEabKeyId", "tlsAcmeCaBundle"]) doc.deleteIn(["config", key(k)]);
            doc.setIn(["config", key("tlsIssuer")], "selfSigned");
          });
        }
      });
    }

    await step("day two: tlsIssuer selfSigned -> none, the lab's own (docs/day-two.md row tlsIssuer: cert-manager, the issuers and Certificates deleted, the routes back; the Secrets and CRDs kept)", async () => {
      setConfig((doc) => doc.deleteIn(["config", key("tlsIssuer")]));
      if (!on) return { skip: "selfSigned was not applied" };
      const { steps } = await previewOps("day-two-tls-back-preview");
      held("selfSigned -> none", "selfSigned", "none", steps);
      const applied = await applyAndNoOp("day-two-tls-back");
      const left = [...(await kube.get(`${CM}/clusterissuers`)).items, ...(await kube.get(`${CM}/certificates`)).items].map((o) => `${o.kind} ${o.metadata.name}`);
      if (left.length > 0) throw new Error(`left in the apiserver: ${left.join(", ")}`);
      if (outputs().tlsCaCertificate !== undefined) throw new Error("the stack output tlsCaCertificate is still set");
      const helm = await kube.get(`/api/v1/namespaces/${NAMESPACES.certManager.name}/secrets?labelSelector=owner%3Dhelm`);
      if (helm.items.length > 0) throw new Error(`cert-manager's release is still installed (${helm.items.map((s) => s.metadata.name).join(", ")})`);
      const crds = (await kube.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")).items.filter((c) => c.spec.group.endsWith("cert-manager.io")).length;
      const kept = (await kube.get("/api/v1/secrets?labelSelector=")).items.filter((s) => ((s.metadata.annotations || {})["fmc-lab/stand-in"] || "").length > 0).length;
      return { detail: `${steps.length} steps as documented; applied (${applied}), then no changes; kept: ${crds} cert-manager CRDs (crds.keep), ${kept} issued Secrets (cert-manager does not own them)`, figure: "dayTwoTlsBack" };
    });
  } finally {
    standIn.stop();
  }
}

module.exports = {
  issuerSteps,
  issuerStandIn,
  issuerDecision,
  certificateDecision,
  caKeyPairProblem,
  durationDays,
  makeCertificate,
  chainProblem,
  routeHosts,
  issuerChangeExpected,
  issuerPreviewProblems,
  ROUTE_RELEASES,
};
