/**
 * scripts/lab/common.js: what `npm run lab` and `npm run lab:kube` share (their step lines and closing
 * count, the CLI's summary and `preview --json`'s steps as the runners read them).
 */
import * as path from "path";

/* eslint-disable @typescript-eslint/no-require-imports */
const common = require(path.join(__dirname, "..", "scripts", "lab", "common.js")) as {
  summary(text: string): string;
  stepRunner(seconds?: Record<string, number>): {
    step: (name: string, fn: () => unknown) => Promise<boolean>;
    finish: (label: string, logs: string) => void;
    results: string[];
  };
  previewSteps(text: string): { op: string; name: string; kind: string; diffReasons: string[]; changed: string[] }[];
};
/* eslint-enable @typescript-eslint/no-require-imports */

describe("the lab runners' step lines", () => {
  let printed: string[];
  let log: jest.SpyInstance;
  beforeEach(() => {
    printed = [];
    log = jest.spyOn(console, "log").mockImplementation((s: string) => void printed.push(s));
  });
  afterEach(() => {
    log.mockRestore();
    process.exitCode = 0;
  });

  it("print one line per step, record a step's seconds as its figure, and close with N passed, N failed", async () => {
    const seconds: Record<string, number> = {};
    const runner = stepRunner(seconds);
    expect(await runner.step("passes", () => ({ detail: "3 created", figure: "up" }))).toBe(true);
    expect(await runner.step("is skipped", () => ({ skip: "no toolchain" }))).toBe(false);
    expect(await runner.step("fails", () => Promise.reject(new Error("pulumi up exited 255\nline two")))).toBe(false);
    runner.finish("lab:kube", "/tmp/logs");
    expect(printed[0]).toMatch(/^ok {3}passes - \d+\.\ds, 3 created$/);
    expect(printed[1]).toBe("skip is skipped - no toolchain");
    expect(printed[2]).toBe("FAIL fails - pulumi up exited 255\n     line two");
    expect(printed.slice(3)).toEqual(["lab:kube logs: /tmp/logs; 1 step(s) skipped", "1 passed, 1 failed"]);
    expect(Object.keys(seconds)).toEqual(["up"]);
    expect(process.exitCode).toBe(1);
  });
  const stepRunner = (seconds?: Record<string, number>) => common.stepRunner(seconds);
});

describe("the CLI's output as the lab reads it", () => {
  it("summary: the closing Resources block only (an up prints its preview's first)", () => {
    const log = "Previewing update (kube):\nResources:\n    + 3 to create\n\nUpdating (kube):\n    pulumi:pulumi:Stack x  warning: w\n\nResources:\n    + 2 created\n    1 unchanged\n\nDuration: 15s\n";
    expect(common.summary(log)).toBe("+ 2 created, 1 unchanged");
  });

  it("preview --json: the Kubernetes provider's changed properties come from the detailed diff (it reports no diffReasons)", () => {
    // As the lab's day-two preview printed it (Pulumi 3.248, pulumi-kubernetes provider of v4.25's code).
    const preview = {
      steps: [
        { op: "same", urn: "urn:pulumi:kube::p::kubernetes:core/v1:Namespace::apps" },
        { op: "read", urn: "urn:pulumi:kube::p::pulumi:pulumi:StackReference::organization/p/kube" },
        {
          op: "update",
          urn: "urn:pulumi:kube::p::p:apps:Apps$kubernetes:apps/v1:Deployment::apps-api",
          detailedDiff: { "spec.template.spec.containers[0].image": { kind: "update", inputDiff: false } },
        },
        { op: "update", urn: "urn:pulumi:lab::p::libvirt:index/network:Network::infra-fmclab_nat", diffReasons: ["dns"], detailedDiff: null },
      ],
    };
    expect(common.previewSteps(`warning: x\n${JSON.stringify(preview)}`)).toEqual([
      { op: "update", urn: preview.steps[2].urn, name: "apps-api", kind: "Deployment", diffReasons: [], changed: ["spec.template.spec.containers[0].image"] },
      { op: "update", urn: preview.steps[3].urn, name: "infra-fmclab_nat", kind: "Network", diffReasons: ["dns"], changed: [] },
    ]);
  });
});
