/**
 * The registry opt-in's users (platform/values/zot.ts): `push` (builds, `docker push`) and `pull`
 * (the K3s nodes through registries.yaml, Prometheus). Made here, before the cluster, because both
 * the nodes' registries.yaml (stage 2) and zot's htpasswd Secret (stage 3) need the pull password.
 * Each generated once: a password changes only when its resource is replaced.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { REGISTRY_USER_NAMES, RegistrySettings } from "../config/opt-ins/registry";

export interface RegistryUser {
  username: string;
  password: pulumi.Output<string>;
  /** bcrypt of the password (what zot's htpasswd file holds). */
  bcryptHash: pulumi.Output<string>;
}

export interface RegistryAuth {
  push: RegistryUser;
  pull: RegistryUser;
}

/** The two users' passwords, or nothing while the opt-in is off (turning it off deletes them). */
export function registryCredentials(registry: RegistrySettings | undefined, name = "registry"): RegistryAuth | undefined {
  if (!registry) return undefined;
  const user = (username: string): RegistryUser => {
    const p = new random.RandomPassword(`${name}-${username}`, { length: 32, special: false });
    return { username, password: pulumi.secret(p.result), bcryptHash: pulumi.secret(p.bcryptHash) };
  };
  return { push: user(REGISTRY_USER_NAMES.push), pull: user(REGISTRY_USER_NAMES.pull) };
}
