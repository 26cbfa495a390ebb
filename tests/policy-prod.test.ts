/**
 * Every policy of the pack over the resources the real program registers for the prod stack.
 */
import { runPolicies } from "../plan/policy-check";
import { isSecretAt, Recorder, startRecorder, UNKNOWN } from "../plan/recorder";
import { readStackFile, secretPlaceholder } from "../plan/stack-config";
import { policies, SECRET_CARRIERS, statefulDisksProtected } from "../policy/policies";

let rec: Recorder;

beforeAll(async () => {
  const file = readStackFile(`${__dirname}/..`, "prod");
  rec = await startRecorder({ stack: "prod", config: file.config, secretKeys: file.secretKeys, preview: true, secretPlaceholder });
  await import("../index");
  await rec.settle();
});

describe("policy pack on the prod stack", () => {
  it("passes every mandatory policy", async () => {
    const violations = await runPolicies(policies, rec.all());
    expect(violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
  });

  it("reports the seed's two K3s servers as advisory only", async () => {
    const violations = await runPolicies(policies, rec.all());
    expect(violations).toEqual([expect.objectContaining({ policy: "k3s-server-count-odd", enforcementLevel: "advisory" })]);
    expect(violations[0].message).toMatch(/^2 K3s servers/);
  });

  it("protects exactly what the stateful-disks policy looks at: three Ceph volumes and the FreeIPA and PostgreSQL disks", async () => {
    // The same graph with every protect flag cleared must draw one violation per stateful disk.
    const unprotected = rec.all().map((r) => ({ ...r, protect: false }));
    const violations = await runPolicies([statefulDisksProtected], unprotected);
    expect(violations.map((v) => v.message).sort()).toEqual([
      "Ceph OSD volume worker1-ceph-osd.raw is not protected (protect: true)",
      "Ceph OSD volume worker2-ceph-osd.raw is not protected (protect: true)",
      "Ceph OSD volume worker3-ceph-osd.raw is not protected (protect: true)",
      "disk infra-freeipa1-root of freeipa VM freeipa1 is not protected (protect: true)",
      "disk infra-postgresql1-root of postgresql VM postgresql1 is not protected (protect: true)",
    ]);
  });

  it("passes every secret-carrying property as a secret (visible under the mock engine, not to CrossGuard)", () => {
    for (const r of rec.all()) {
      for (const prop of SECRET_CARRIERS[r.type] ?? []) {
        // Unknown until deployed (a preview): the engine learns its secretness with the value.
        if (r.rawInputs[prop] === undefined || r.rawInputs[prop] === UNKNOWN) continue;
        expect({ resource: r.name, prop, secret: isSecretAt(r.rawInputs, [prop]) }).toEqual({ resource: r.name, prop, secret: true });
      }
    }
  });

  it("reads no secret-looking config key as plain text", () => {
    expect(rec.configReads.filter((r) => !r.secret && /password|secret|token|privatekey/i.test(r.key))).toEqual([]);
  });
});
