/**
 * Stages 1-2 replaced by a cluster the user already has: its kubeconfig (stack config `kubeconfig`,
 * a secret) becomes the Kubernetes provider of stages 3-4. No libvirt, no SSH, nothing created here
 * but the provider.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DeploymentRecord } from "../infra/deployment-record";
import { ConfigError } from "../config/validate";

export interface ExistingClusterArgs {
  /** The kubeconfig's text (its current context is used). */
  kubeconfig: pulumi.Output<string>;
  /**
   * What the last `pulumi up` of this stack deployed: a stack that built VMs must not turn into an
   * existing-cluster stack (the next run would delete every VM and disk, the data with them).
   */
  previous: pulumi.Output<DeploymentRecord | undefined>;
}

/** The problem with giving `kubeconfig` to a stack that last deployed VMs, if it did. */
export function switchProblem(previous: DeploymentRecord | undefined): string | undefined {
  if (!previous || Object.keys(previous.machines).length === 0) return undefined;
  return (
    `kubeconfig: this stack last deployed VMs (${Object.keys(previous.machines).join(", ")}); with kubeconfig the next run would delete ` +
    "every VM and disk it built. Deploy onto an existing cluster from a new stack (pulumi stack init), or remove kubeconfig"
  );
}

export class ExistingCluster extends pulumi.ComponentResource {
  /** The Kubernetes provider for stages 3-4. */
  declare readonly provider: k8s.Provider;
  /** The kubeconfig (secret), as the stack output of the same name. */
  declare readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flatcarmicrocloud:cluster:ExistingCluster", name, {}, opts);
    // The provider (and so every object on the cluster) waits for the switch check: a refused run
    // touches nothing.
    const kubeconfig = pulumi.secret(
      pulumi.all([args.kubeconfig, args.previous]).apply(([text, previous]) => {
        const problem = switchProblem(previous);
        if (problem) throw new ConfigError([problem]);
        return text;
      }),
    );
    this.provider = new k8s.Provider(
      `${name}-provider`,
      // A fixed identifier: rotated credentials update the provider instead of replacing it and
      // every object on the cluster. It differs from the K3s stage's, so a stack can never take an
      // existing cluster's objects for its own K3s cluster's.
      { kubeconfig, clusterIdentifier: `flatcarmicrocloud-${pulumi.getStack()}-existing` },
      { parent: this },
    );
    this.kubeconfig = kubeconfig;
    this.registerOutputs({});
  }
}
