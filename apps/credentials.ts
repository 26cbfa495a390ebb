/**
 * The credentials the apps' Secrets carry: the platform's generated passwords the apps use
 * (`appPasswords`, not every password: an opt-in's new one would make them unknown in a preview)
 * and the PostgreSQL application role's (the database VM's, stage 1). One secret Output, never in
 * plain text.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RegistryAuth } from "../cluster/registry-credentials";
import type { ClusterFacts } from "../cluster-facts";
import { StackConfig } from "../config";
import { inClusterRegistryOf, registryEndpoint } from "../config/opt-ins/registry";
import { AppPasswords, PlatformEndpoints } from "../platform";
import { AppCredentials } from "./index";

export function appCredentials(
  platform: { appPasswords: pulumi.Output<AppPasswords>; endpoints: PlatformEndpoints },
  postgresPassword: pulumi.Output<string> | undefined,
): pulumi.Output<AppCredentials> {
  return pulumi.secret(
    pulumi.all([platform.appPasswords, postgresPassword]).apply(([p, postgres]) => ({
      postgresPassword: postgres,
      redisPassword: p.redis,
      redisSentinelPassword: p.redisSentinel,
      mqttUser: platform.endpoints.mqttUser,
      mqttPassword: p.mqtt,
    })),
  );
}

/** The registry credentials the apps' pods pull with (Secret IMAGE_PULL_SECRET in the apps' namespace). */
export interface AppsImagePull {
  /** `registry.<domain>[:port]`: the only host the credentials are for. */
  host: string;
  username: string;
  password: pulumi.Output<string>;
}

/**
 * On an existing cluster whose apps pull from the in-cluster registry: the `pull` user, for an
 * imagePullSecret. The K3s nodes of the VM topology need none (their registries.yaml carries the
 * credentials and CA, cluster/target.ts nodeMirrorFor); an existing cluster's nodes are the user's,
 * so the credentials travel with the pods. Trusting the route's CA stays the nodes' (docs/registry.md).
 */
export function appsImagePull(config: StackConfig, facts: ClusterFacts, auth: RegistryAuth | undefined): AppsImagePull | undefined {
  if (config.target !== "existing" || !auth || !inClusterRegistryOf(config.apps.registry, facts.domain)) return undefined;
  return { host: registryEndpoint(facts.domain, facts.ingress.httpsPort), username: auth.pull.username, password: auth.pull.password };
}
