/**
 * The FlatcarMicroCloud policy pack: `pulumi preview --policy-pack policy` (add
 * `--policy-pack-config policy/config.dev.json` for the disposable dev stack). The policies live in
 * ./policies.ts, which tests and the offline plan call directly: constructing the pack starts the
 * gRPC server the Pulumi CLI talks to, so nothing but the CLI should load this file.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("flatcarmicrocloud", { policies });
