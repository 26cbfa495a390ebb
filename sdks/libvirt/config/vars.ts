// *** Hand-written in the shape of `pulumi package add terraform-provider registry.opentofu.org/dmacvicar/libvirt 0.8.3`. ***
// *** Property names and types follow the pulumi-libvirt 0.5.4 schema (same provider line). ***
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
