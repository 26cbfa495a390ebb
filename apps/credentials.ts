/**
 * The credentials the apps' Secrets carry: the platform's generated passwords and the PostgreSQL
 * application role's (the database VM's, stage 1). One secret Output, never in plain text.
 */
import * as pulumi from "@pulumi/pulumi";
import { PlatformEndpoints, PlatformPasswords } from "../platform";
import { AppCredentials } from "./index";

export function appCredentials(
  platform: { passwords: pulumi.Output<PlatformPasswords>; endpoints: PlatformEndpoints },
  postgresPassword: pulumi.Output<string> | undefined,
): pulumi.Output<AppCredentials> {
  return pulumi.secret(
    pulumi.all([platform.passwords, postgresPassword]).apply(([p, postgres]) => ({
      postgresPassword: postgres,
      redisPassword: p.redis,
      redisSentinelPassword: p.redisSentinel,
      mqttUser: platform.endpoints.mqttUser,
      mqttPassword: p.mqtt,
    })),
  );
}
