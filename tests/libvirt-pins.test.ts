/** The libvirt provider pins live where the tools read them; both must agree with versions.ts. */
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { LIBVIRT_PROVIDER } from "../versions";

const ROOT = join(__dirname, "..");

it("Pulumi.yaml's packages entry and the local SDK's pulumi block pin the same provider versions", () => {
  const project = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as { packages: { libvirt: { version: string; parameters: string[] } } };
  expect(project.packages.libvirt.version).toBe(LIBVIRT_PROVIDER.bridge);
  expect(project.packages.libvirt.parameters).toEqual(["registry.opentofu.org/dmacvicar/libvirt", LIBVIRT_PROVIDER.terraform]);
  const sdk = JSON.parse(readFileSync(join(ROOT, "sdks", "libvirt", "package.json"), "utf8")) as {
    version: string;
    pulumi: { version: string; parameterization: { version: string } };
  };
  expect([sdk.version, sdk.pulumi.version, sdk.pulumi.parameterization.version]).toEqual([
    LIBVIRT_PROVIDER.terraform,
    LIBVIRT_PROVIDER.bridge,
    LIBVIRT_PROVIDER.terraform,
  ]);
});
