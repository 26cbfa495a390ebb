/**
 * pulumi-kubernetes 4.34.2 awaits a custom resource only when it carries `pulumi.com/waitFor`
 * (provider `metadata.ReadyCondition`: `condition=<Type>[=<Status>]` waits for that status condition,
 * True by default, skipping one whose `observedGeneration` is older than the object's generation),
 * on create and on every update, for `pulumi.com/timeoutSeconds` (10 minutes without it); then the
 * step, and the run, fail. Without the annotation a custom resource counts as done once the API
 * server stored it.
 */
export function awaitReady(seconds: number): Record<string, string> {
  if (!Number.isInteger(seconds) || seconds <= 0) throw new Error(`awaitReady: ${seconds} is not a positive number of seconds`);
  return { "pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": String(seconds) };
}
