/**
 * The admin kubeconfig K3s writes on the first server points at https://127.0.0.1:6443 and names
 * everything "default". This turns it into one the operator and the Kubernetes provider can use
 * from outside: the API endpoint as server, the cluster's own name for cluster, user and context.
 */
import { parse, stringify } from "yaml";

interface Named {
  name?: unknown;
  [key: string]: unknown;
}

interface KubeConfig {
  clusters?: (Named & { cluster?: Record<string, unknown> })[];
  users?: (Named & { user?: unknown })[];
  contexts?: (Named & { context?: Record<string, unknown> })[];
  "current-context"?: unknown;
  [key: string]: unknown;
}

/** Fails without quoting the input: it holds the admin client key. */
export function rewriteKubeconfig(text: string, apiEndpoint: string, name: string): string {
  let doc: KubeConfig;
  try {
    doc = parse(text) as KubeConfig;
  } catch {
    throw new Error("the admin kubeconfig read from the first server is not valid YAML");
  }
  const [cluster] = doc?.clusters ?? [];
  const [user] = doc?.users ?? [];
  if (doc?.clusters?.length !== 1 || doc.users?.length !== 1 || !cluster.cluster || !user.user) {
    throw new Error("the admin kubeconfig read from the first server does not hold exactly one cluster and one user");
  }
  return stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name, cluster: { ...cluster.cluster, server: apiEndpoint } }],
      users: [{ name, user: user.user }],
      contexts: [{ name, context: { cluster: name, user: name } }],
      "current-context": name,
      preferences: {},
    },
    { lineWidth: 0 },
  );
}
