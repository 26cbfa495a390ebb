/** The gitops entry of platform/opt-ins.ts OPT_INS: its example is GITOPS_EXAMPLE, a valid `gitops` value, and its release is Argo CD's. */
import { GITOPS_EXAMPLE, parseGitops } from "../config/opt-ins/gitops";
import { Collector } from "../config/validate";
import { OPT_INS } from "../platform/opt-ins";

it("the gitops entry: Argo CD's release, an example the parser accepts without a credential", () => {
  const gitops = OPT_INS.find((o) => o.key === "gitops")!;
  expect(gitops.releases).toEqual(["argoCd"]);
  expect(gitops.example).toEqual(GITOPS_EXAMPLE);
  const c = new Collector();
  expect(parseGitops(c, gitops.example, undefined)).toMatchObject({ namespace: "gitops", applications: [{ name: "gitops-demo" }] });
  expect(c.problems).toEqual([]);
});
