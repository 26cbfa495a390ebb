/**
 * `tlsIssuer: selfSigned` in the preview that creates the CA (a new stack, or day two from `none`):
 * the engine reads a `.get` resource during a preview whenever its id is known, so the CA's Secret
 * may be read only once the CA Certificate exists. lab:kube found the preview failing on the real
 * engine ("resource 'cert-manager/flatcarmicrocloud-ca' does not exist": the id was built from the
 * Certificate's namespace, which a preview knows). Here the mock engine gives every cert-manager
 * object the preview creates an unknown id, as the real engine does.
 */
import { CA_SECRET } from "../platform/values/cert-manager";
import { existingClusterConfig } from "./helpers/existing-cluster";
import { machineOutputs } from "./helpers/machine-outputs";
import { Harness, startHarness, UNKNOWN } from "./helpers/pulumi-harness";

let h: Harness;
const reads: string[] = [];

beforeAll(async () => {
  h = await startHarness({
    stack: "lab",
    preview: true,
    config: existingClusterConfig({ tlsIssuer: "selfSigned" }),
    secretKeys: ["kubeconfig"],
    // A read keeps the id it was asked for; a cert-manager object the preview creates has none yet.
    idFor: (a) => (a.id !== undefined && a.id !== "" ? a.id : a.type.startsWith("kubernetes:cert-manager.io/") ? undefined : `${a.name}-id`),
    outputsFor: (a) => {
      if (a.type === "kubernetes:core/v1:Secret" && a.id) reads.push(a.id);
      return machineOutputs(a);
    },
  });
  await import("../index");
  await h.settle();
}, 300_000);

it("reads the CA's Secret by an id that waits for the CA Certificate's: unknown while the preview creates it, so nothing is read", () => {
  expect(h.byName("platform-ca-certificate")).toBeDefined();
  expect(reads).not.toContain(`cert-manager/${CA_SECRET}`);
  expect(reads).toEqual([UNKNOWN]);
});
