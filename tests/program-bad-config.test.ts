/** A bad stack config stops the real program before a single resource is registered. */
import { startHarness } from "./helpers/pulumi-harness";
import { stackConfig } from "./helpers/stacks";

it("fails with the key and the problem, and registers nothing", async () => {
  const config = stackConfig("dev");
  delete config.sshPublicKey;
  const h = await startHarness({ stack: "dev", config: { ...config, hostMemoryGiB: 8 } });
  await expect(import("../index")).rejects.toThrow(
    /sshPublicKey: is required[\s\S]*hostReservedMemoryGiB: 4 GiB leaves|sshPublicKey: is required/,
  );
  await h.settle();
  expect(h.all().filter((r) => r.custom)).toEqual([]);
});
