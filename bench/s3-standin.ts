/**
 * The drills' backup target (issue 18 item 7): a real S3-compatible server on 127.0.0.1 — moto's
 * server (PyPI `moto[server]`, pinned in .ci/run's .venv-drill) — behind TLS that HAProxy
 * terminates, with a throw-away CA the target's CA option names, and one bucket. Shared by the
 * PostgreSQL drill (bench/pg-drill.ts) and the etcd drill (bench/etcd-drill.ts).
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";

/** moto's server: .ci/run's virtualenv (moto[server]==5.2.1), else FMC_MOTO_SERVER or one on PATH. */
export const MOTO =
  process.env.FMC_MOTO_SERVER ?? (existsSync(path.join(__dirname, "..", ".venv-drill", "bin", "moto_server")) ? path.join(__dirname, "..", ".venv-drill", "bin", "moto_server") : "moto_server");

/** What the stand-in needs on this machine (empty: it can start). */
export function s3StandInToolsMissing(): string[] {
  const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
  const missing = ["openssl", "curl", "haproxy"].filter((cmd) => !has(cmd));
  if (!has(MOTO)) missing.push("moto_server (FMC_MOTO_SERVER)");
  return missing;
}

export class S3StandIn {
  private moto?: ChildProcess;
  private tlsProxy?: ChildProcess;
  /** PEM of the throw-away CA that signed the endpoint's certificate. */
  readonly caFile: string;

  /** `dir`: where the CA, the certificate and HAProxy's config go; `port`: the TLS port (moto listens on port + 1). */
  constructor(
    private readonly dir: string,
    readonly port: number,
    readonly bucket: string,
  ) {
    this.caFile = path.join(dir, "ca.pem");
  }

  /** `https://127.0.0.1:<port>` (the certificate also names `localhost`). */
  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** CA, server certificate, moto, HAProxy in front of it, and the bucket. */
  start(): void {
    const tls = this.dir;
    mkdirSync(tls, { recursive: true });
    const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=fmc drill CA",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", `${tls}/ca.key`, "-out", this.caFile);
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost", "-keyout", `${tls}/server.key`, "-out", `${tls}/server.csr`);
    writeFileSync(`${tls}/ext.cnf`, "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
    openssl("x509", "-req", "-in", `${tls}/server.csr`, "-CA", this.caFile, "-CAkey", `${tls}/ca.key`, "-CAcreateserial", "-days", "2", "-extfile", `${tls}/ext.cnf`, "-out", `${tls}/server.pem`);

    // moto's own TLS (werkzeug) ends connections without a TLS close_notify, which pgBackRest's
    // OpenSSL 3 reports as "unexpected eof while reading"; HAProxy terminates TLS in front of it,
    // as a real S3 endpoint would.
    const motoPort = String(this.port + 1);
    this.moto = spawn(MOTO, ["-H", "127.0.0.1", "-p", motoPort], { stdio: "ignore" });
    writeFileSync(`${tls}/bundle.pem`, readFileSync(`${tls}/server.pem`, "utf8") + readFileSync(`${tls}/server.key`, "utf8"));
    writeFileSync(
      `${tls}/haproxy.cfg`,
      [
        "defaults",
        "  mode http",
        "  timeout connect 5s",
        "  timeout client 120s",
        "  timeout server 120s",
        "frontend s3",
        `  bind 127.0.0.1:${this.port} ssl crt ${tls}/bundle.pem`,
        // pgBackRest reaches the target by the name `localhost` (it matches no IP address against a
        // certificate), which a stock Debian /etc/hosts resolves to ::1 first.
        ...(loopbackHasIpv6() ? [`  bind [::1]:${this.port} ssl crt ${tls}/bundle.pem`] : []),
        "  default_backend moto",
        "backend moto",
        `  server moto 127.0.0.1:${motoPort}`,
        "",
      ].join("\n"),
    );
    this.tlsProxy = spawn("haproxy", ["-db", "-f", `${tls}/haproxy.cfg`], { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      if (spawnSync("curl", ["-sf", "--cacert", this.caFile, `${this.url}/`], { stdio: "ignore" }).status === 0) break;
      spawnSync("sleep", ["0.2"]);
    }
    // moto accepts unsigned requests: the bucket the operator would have made on the real target.
    execFileSync("curl", ["-sf", "--cacert", this.caFile, "-X", "PUT", `${this.url}/${this.bucket}`], { stdio: "ignore" });
  }

  /** Object keys in the bucket (S3 ListObjectsV2, first 1000). */
  bucketKeys(): string[] {
    const xml = execFileSync("curl", ["-sf", "--cacert", this.caFile, `${this.url}/${this.bucket}?list-type=2`], { encoding: "utf8" });
    return [...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
  }

  /** curl's own AWS Signature V4 (`--aws-sigv4`), as a client with the target's credentials signs. */
  private signed(credentials: { accessKeyId: string; secretAccessKey: string }, region: string): string[] {
    return ["--cacert", this.caFile, "--aws-sigv4", `aws:amz:${region}:s3`, "--user", `${credentials.accessKeyId}:${credentials.secretAccessKey}`];
  }

  /** Uploads a file to `key` (a signed PUT over TLS). */
  upload(file: string, key: string, credentials: { accessKeyId: string; secretAccessKey: string }, region = "us-east-1"): void {
    execFileSync("curl", ["-sSf", ...this.signed(credentials, region), "-T", file, `${this.url}/${this.bucket}/${key}`], { stdio: ["ignore", "ignore", "pipe"] });
  }

  /** Downloads `key` to a file (a signed GET over TLS). */
  download(key: string, file: string, credentials: { accessKeyId: string; secretAccessKey: string }, region = "us-east-1"): void {
    execFileSync("curl", ["-sSf", ...this.signed(credentials, region), "-o", file, `${this.url}/${this.bucket}/${key}`], { stdio: ["ignore", "ignore", "pipe"] });
  }

  stop(): void {
    this.tlsProxy?.kill("SIGTERM");
    this.moto?.kill("SIGTERM");
  }
}

/** Whether the loopback interface carries ::1 (/proc/net/if_inet6 lists it as 32 hex digits ending in 1). */
function loopbackHasIpv6(): boolean {
  try {
    return readFileSync("/proc/net/if_inet6", "utf8")
      .split("\n")
      .some((line) => line.startsWith("00000000000000000000000000000001") && line.trim().endsWith(" lo"));
  } catch {
    return false;
  }
}
