/**
 * Day two for the K3s token (stack config `k3sToken`, config/k3s-token.ts). The token reaches the
 * nodes only in their config.yaml, on the K3s install step's stdin: a new value updates every
 * node's step in place (its triggers hold the root disk only; nothing is replaced) and restarts
 * K3s with it, one server after another. A live cluster cannot take that: K3s keeps its bootstrap
 * data in etcd encrypted under the token it was built with and looks it up by that token, so each
 * restarted server stops with "bootstrap data already found and encrypted with different token"
 * (K3s pkg/cluster/storage.go getBootstrapKeyFromStorage), and a joining node's credentials no
 * longer match the servers' passwd file. So the token of a cluster the last `pulumi up` deployed
 * may be set to the value it runs with (no change at all), and nothing else; refused before
 * anything is touched, like the other day-two problems (./deployment-record.ts).
 *
 * Compared: the configured token with the last run's stack output `k3sToken` (the token it
 * deployed, a secret read back through the stack's own StackReference), and the record's
 * `k3sToken` source, which says whether that run took the token from the config or generated it.
 * Pure, apart from `admitK3sToken`.
 */
import * as pulumi from "@pulumi/pulumi";
import { K3S_TOKEN_KEY } from "../config/k3s-token";
import { DEPLOY_STAGES } from "../config/topology";
import { ConfigError } from "../config/validate";
import { deployedStage, DeploymentRecord, PreviousDeployment } from "./deployment-record";

/** Where a run took the K3s token from; recorded in the deployment record. */
export type K3sTokenSource = "config" | "generated";

/** Whether the run that left `record` deployed a K3s cluster (it runs with a token since). */
export function clusterDeployed(record: DeploymentRecord | undefined): boolean {
  if (!record || record.k3s.servers.length === 0) return false;
  const stage = deployedStage(record);
  // Records of programs before `deployUpTo` was recorded: a cluster, if the stack has K3s servers.
  return stage === undefined || DEPLOY_STAGES.indexOf(stage) >= DEPLOY_STAGES.indexOf("cluster");
}

const KEEP = `pulumi stack output k3sToken --show-secrets | pulumi config set --secret ${K3S_TOKEN_KEY}`;

/**
 * The problems of taking `configured` (undefined: the generated token) after the run `previous`
 * recorded, each naming the key and never a value.
 */
export function k3sTokenProblems(previous: { record?: DeploymentRecord; k3sToken?: string }, configured: string | undefined): string[] {
  if (!clusterDeployed(previous.record)) return [];
  const why = "K3s keeps its bootstrap data (the cluster's CA keys, the Secrets' encryption key) encrypted under the token the cluster was built with, so every K3s server would stop at its next start (\"bootstrap data already found and encrypted with different token\")";
  if (configured !== undefined) {
    if (previous.k3sToken === undefined) {
      return [`${K3S_TOKEN_KEY}: the last \`pulumi up\` recorded no K3s token to compare with (an earlier program); run \`pulumi up\` once without ${K3S_TOKEN_KEY}, then set it to the token the cluster runs with: ${KEEP}`];
    }
    if (previous.k3sToken !== configured) {
      return [
        `${K3S_TOKEN_KEY}: differs from the token the live K3s cluster runs with (the stack output k3sToken of the last \`pulumi up\`); ${why}. Keep the live token (${KEEP}) or remove ${K3S_TOKEN_KEY}. ` +
          `It is for a stack rebuilt after a lost host, set before its first \`pulumi up\` (docs/backups.md, "Restore onto a rebuilt stack")`,
      ];
    }
    return [];
  }
  if (previous.record?.k3sToken === "config") {
    return [`${K3S_TOKEN_KEY}: the live K3s cluster runs with the token set in ${K3S_TOKEN_KEY}; removing it would give every node the token the stack generated instead, and ${why}. Keep ${K3S_TOKEN_KEY} set`];
  }
  return [];
}

/**
 * Resolves once the token change is one the live cluster can take, else fails the program naming
 * `k3sToken`. Not secret itself (it carries no value), so what waits on it keeps its inputs as
 * they were.
 */
export function admitK3sToken(previous: pulumi.Output<PreviousDeployment>, configured: pulumi.Output<string> | undefined): pulumi.Output<true> {
  const checked = pulumi.all([previous, configured]).apply(([prev, token]) => {
    const problems = k3sTokenProblems(prev, token);
    if (problems.length > 0) throw new ConfigError(problems);
    return true as const;
  });
  return pulumi.unsecret(checked);
}
