import { BuildsContext } from "../../config/opt-ins/builds";

/** What a stack with `builds` also has: somewhere to push and the push password stored encrypted. */
export const BUILDS_CONTEXT: BuildsContext = { appsRegistry: "registry.example.com/fmc", pushPassword: { set: true, secret: true } };
