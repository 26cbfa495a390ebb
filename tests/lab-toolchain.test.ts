/**
 * The lab toolchain's pins (scripts/lab/versions.json) agree with what the program installs: the CLI
 * with the Node SDK, each provider plugin with its npm SDK, the bridge and the Terraform provider with
 * versions.ts and sdks/libvirt. The lab's shell pieces pass shellcheck.
 */
import * as fs from "fs";
import * as path from "path";
import { K3S_VERSION, LIBVIRT_PROVIDER } from "../versions";
import { run } from "./helpers/tools";

const ROOT = path.join(__dirname, "..");
const versions = JSON.parse(fs.readFileSync(path.join(ROOT, "scripts/lab/versions.json"), "utf8")) as {
  pieces: Record<
    string,
    {
      require: Record<string, string>;
      replace?: Record<string, string>;
      ldflags?: string;
      binaries?: Record<string, string>;
      plugin?: { name: string; version: string };
      terraformProvider?: { source: string; version: string };
      generate?: { module: string; env: Record<string, string> };
      moduleFiles?: { module: string; dir: string };
      env?: Record<string, string>;
    }
  >;
};
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
const sdkPkg = JSON.parse(fs.readFileSync(path.join(ROOT, "sdks/libvirt/package.json"), "utf8")) as {
  pulumi: { name: string; version: string; parameterization: { value: string } };
};
const installed = (name: string): string =>
  (JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;

it("builds the CLI and its language host at the Node SDK's version", () => {
  const sdk = installed("@pulumi/pulumi");
  const cli = versions.pieces.pulumi;
  expect(cli.require["github.com/pulumi/pulumi/pkg/v3"]).toBe(`v${sdk}`);
  expect(cli.require["github.com/pulumi/pulumi/sdk/v3"]).toBe(`v${sdk}`);
  expect(cli.ldflags).toContain(`Version=v${sdk}`);
  expect(versions.pieces["pulumi-language-nodejs"].ldflags).toContain(`Version=v${sdk}`);
});

it("builds each provider plugin at the version its npm SDK asks for", () => {
  expect(versions.pieces["pulumi-resource-command"].plugin?.version).toBe(pkg.dependencies["@pulumi/command"]);
  expect(versions.pieces["pulumi-resource-random"].plugin?.version).toBe(pkg.dependencies["@pulumi/random"]);
  const bridge = versions.pieces["pulumi-resource-terraform-provider"];
  expect(bridge.plugin).toEqual({ kind: "resource", name: sdkPkg.pulumi.name, version: LIBVIRT_PROVIDER.bridge });
  expect(bridge.ldflags).toContain(`version=v${LIBVIRT_PROVIDER.bridge}`);
});

it("builds the Terraform provider the SDK's parameter names, at versions.ts's version", () => {
  const tf = versions.pieces["terraform-provider-libvirt"];
  const parameter = JSON.parse(Buffer.from(sdkPkg.pulumi.parameterization.value, "base64").toString("utf8")) as {
    remote: { url: string; version: string };
  };
  expect(tf.terraformProvider).toEqual({ source: parameter.remote.url, version: LIBVIRT_PROVIDER.terraform });
  expect(tf.require["github.com/dmacvicar/terraform-provider-libvirt"]).toBe(`v${LIBVIRT_PROVIDER.terraform}`);
});

describe("the Kubernetes part (npm run lab:kube)", () => {
  // The staging modules k8s.io/kubernetes replaces with ./staging (its go.mod), all but
  // k8s.io/sample-cli-plugin, which the proxy refuses and nothing needs.
  const STAGING = [
    "api", "apiextensions-apiserver", "apimachinery", "apiserver", "cli-runtime", "client-go", "cloud-provider", "cluster-bootstrap",
    "code-generator", "component-base", "component-helpers", "controller-manager", "cri-api", "cri-client", "cri-streaming",
    "csi-translation-lib", "dynamic-resource-allocation", "endpointslice", "externaljwt", "kms", "kube-aggregator",
    "kube-controller-manager", "kube-proxy", "kube-scheduler", "kubectl", "kubelet", "metrics", "mount-utils",
    "pod-security-admission", "sample-apiserver", "sample-controller", "streaming",
  ].map((m) => `k8s.io/${m}`);
  const kube = versions.pieces.kubernetes;
  const k8sVersion = K3S_VERSION.replace(/\+k3s\d+$/, "");

  it("builds the control plane of the pinned K3s's Kubernetes release, reporting that version", () => {
    expect(kube.require).toEqual({ "k8s.io/kubernetes": k8sVersion });
    expect(Object.keys(kube.binaries ?? {}).sort()).toEqual(["kube-apiserver", "kube-controller-manager", "kube-scheduler"]);
    for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
      expect(kube.ldflags).toContain(`-X ${pkg}.gitVersion=${k8sVersion}`);
      expect(kube.ldflags).toContain(`-X ${pkg}.gitMajor=${k8sVersion.split(".")[0].slice(1)}`);
      expect(kube.ldflags).toContain(`-X ${pkg}.gitMinor=${k8sVersion.split(".")[1]}`);
    }
  });

  it("replaces each staging module with its release of the same Kubernetes version", () => {
    const staging = `v0.${k8sVersion.split(".").slice(1).join(".")}`;
    expect(Object.keys(kube.replace ?? {}).sort()).toEqual([...STAGING].sort());
    for (const m of STAGING) expect(kube.replace?.[m]).toBe(`${m} ${staging}`);
  });

  it("builds the Kubernetes provider at the version its npm SDK asks for, with the module's own generator", () => {
    const k = versions.pieces["pulumi-resource-kubernetes"];
    expect(k.plugin).toEqual({ kind: "resource", name: "kubernetes", version: pkg.dependencies["@pulumi/kubernetes"] });
    expect(k.ldflags).toContain(`pkg/version.Version=${pkg.dependencies["@pulumi/kubernetes"]}`);
    expect(k.generate?.env).toEqual({ VERSION: pkg.dependencies["@pulumi/kubernetes"] });
    expect(k.generate?.module).toBe(Object.keys(k.require)[0]);
    const main = fs.readFileSync(path.join(ROOT, "scripts/lab/kube-provider/main.go"), "utf8");
    expect(main).toContain("//go:embed schema-embed.json");
    expect(main).toContain("//go:embed terraform-mapping-embed.json");
  });

  it("builds etcd and kwok, and copies kwok's stage files from the same module version", () => {
    expect(versions.pieces.etcd.require).toEqual({ "go.etcd.io/etcd/server/v3": "v3.6.8", "go.etcd.io/etcd/etcdctl/v3": "v3.6.8", "go.etcd.io/etcd/etcdutl/v3": "v3.6.8" });
    // The etcd drill restores with etcdutl (etcd 3.6's etcdctl has no snapshot restore).
    expect(versions.pieces.etcd.binaries?.etcdutl).toBe("go.etcd.io/etcd/etcdutl/v3");
    const kwok = versions.pieces.kwok;
    expect(kwok.require).toEqual({ "sigs.k8s.io/kwok": "v0.8.0" });
    expect(kwok.moduleFiles).toMatchObject({ module: "sigs.k8s.io/kwok", dir: "kustomize/stage" });
    for (const name of ["kubernetes", "etcd", "kwok", "pulumi-resource-kubernetes"]) expect(versions.pieces[name].env).toEqual({ CGO_ENABLED: "0" });
  });
});

it.each(["scripts/lab/host.sh", "scripts/lab/lan.sh", "scripts/lab/plugins/pulumi-analyzer-policy-nodejs", "scripts/lab/plugins/pulumi-resource-random", "scripts/lab/plugins/pulumi-resource-command"])("%s passes shellcheck", (file) => {
  const r = run("shellcheck", ["-s", "bash", path.join(ROOT, file)]);
  expect(r.output).toBe("");
  expect(r.status).toBe(0);
});
