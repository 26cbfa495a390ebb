/**
 * The lab toolchain's pins (scripts/lab/versions.json) agree with what the program installs: the CLI
 * with the Node SDK, each provider plugin with its npm SDK, the bridge and the Terraform provider with
 * versions.ts and sdks/libvirt. The lab's shell pieces pass shellcheck.
 */
import * as fs from "fs";
import * as path from "path";
import { LIBVIRT_PROVIDER } from "../versions";
import { run } from "./helpers/tools";

const ROOT = path.join(__dirname, "..");
const versions = JSON.parse(fs.readFileSync(path.join(ROOT, "scripts/lab/versions.json"), "utf8")) as {
  pieces: Record<string, { require: Record<string, string>; ldflags?: string; plugin?: { name: string; version: string }; terraformProvider?: { source: string; version: string } }>;
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

it.each(["scripts/lab/host.sh", "scripts/lab/plugins/pulumi-analyzer-policy-nodejs"])("%s passes shellcheck", (file) => {
  const r = run("shellcheck", ["-s", "bash", path.join(ROOT, file)]);
  expect(r.output).toBe("");
  expect(r.status).toBe(0);
});
