// *** Hand-written in the shape of `pulumi package add terraform-provider registry.opentofu.org/dmacvicar/libvirt 0.8.3`. ***
// *** Property names follow the real schema of that route (tests/fixtures/libvirt-schema-properties.json, npm run lab:schema). ***
import * as pulumi from "@pulumi/pulumi";

declare var exports: any;
const __config = new pulumi.Config("libvirt");

/**
 * libvirt connection URI for operations. See https://libvirt.org/uri.html
 */
export declare const uri: string | undefined;
Object.defineProperty(exports, "uri", {
    get() {
        return __config.get("uri");
    },
    enumerable: true,
});
