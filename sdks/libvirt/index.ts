// *** Hand-written in the shape of `pulumi package add terraform-provider registry.opentofu.org/dmacvicar/libvirt 0.8.3`. ***
// *** Property names follow the real schema of that route (tests/fixtures/libvirt-schema-properties.json, npm run lab:schema). ***
import * as pulumi from "@pulumi/pulumi";
import * as utilities from "./utilities";

// Export members:
export { CloudinitDiskArgs, CloudinitDiskState } from "./cloudinitDisk";
export type CloudinitDisk = import("./cloudinitDisk").CloudinitDisk;
export const CloudinitDisk: typeof import("./cloudinitDisk").CloudinitDisk = null as any;
utilities.lazyLoad(exports, ["CloudinitDisk"], () => require("./cloudinitDisk"));

export { CombustionArgs, CombustionState } from "./combustion";
export type Combustion = import("./combustion").Combustion;
export const Combustion: typeof import("./combustion").Combustion = null as any;
utilities.lazyLoad(exports, ["Combustion"], () => require("./combustion"));

export { DomainArgs, DomainState } from "./domain";
export type Domain = import("./domain").Domain;
export const Domain: typeof import("./domain").Domain = null as any;
utilities.lazyLoad(exports, ["Domain"], () => require("./domain"));

export { IgnitionArgs, IgnitionState } from "./ignition";
export type Ignition = import("./ignition").Ignition;
export const Ignition: typeof import("./ignition").Ignition = null as any;
utilities.lazyLoad(exports, ["Ignition"], () => require("./ignition"));

export { NetworkArgs, NetworkState } from "./network";
export type Network = import("./network").Network;
export const Network: typeof import("./network").Network = null as any;
utilities.lazyLoad(exports, ["Network"], () => require("./network"));

export { PoolArgs, PoolState } from "./pool";
export type Pool = import("./pool").Pool;
export const Pool: typeof import("./pool").Pool = null as any;
utilities.lazyLoad(exports, ["Pool"], () => require("./pool"));

export { VolumeArgs, VolumeState } from "./volume";
export type Volume = import("./volume").Volume;
export const Volume: typeof import("./volume").Volume = null as any;
utilities.lazyLoad(exports, ["Volume"], () => require("./volume"));

export { ProviderArgs } from "./provider";
export type Provider = import("./provider").Provider;
export const Provider: typeof import("./provider").Provider = null as any;
utilities.lazyLoad(exports, ["Provider"], () => require("./provider"));

// Export sub-modules:
import * as config from "./config";
import * as types from "./types";

export {
    config,
    types,
};

const _module = {
    version: utilities.getVersion(),
    construct: (name: string, type: string, urn: string): pulumi.Resource => {
        switch (type) {
            case "libvirt:index/cloudinitDisk:CloudinitDisk":
                return new CloudinitDisk(name, <any>undefined, { urn });
            case "libvirt:index/combustion:Combustion":
                return new Combustion(name, <any>undefined, { urn });
            case "libvirt:index/domain:Domain":
                return new Domain(name, <any>undefined, { urn });
            case "libvirt:index/ignition:Ignition":
                return new Ignition(name, <any>undefined, { urn });
            case "libvirt:index/network:Network":
                return new Network(name, <any>undefined, { urn });
            case "libvirt:index/pool:Pool":
                return new Pool(name, <any>undefined, { urn });
            case "libvirt:index/volume:Volume":
                return new Volume(name, <any>undefined, { urn });
            default:
                throw new Error(`unknown resource type ${type}`);
        }
    },
};
pulumi.runtime.registerResourceModule("libvirt", "index/cloudinitDisk", _module);
pulumi.runtime.registerResourceModule("libvirt", "index/combustion", _module);
pulumi.runtime.registerResourceModule("libvirt", "index/domain", _module);
pulumi.runtime.registerResourceModule("libvirt", "index/ignition", _module);
pulumi.runtime.registerResourceModule("libvirt", "index/network", _module);
pulumi.runtime.registerResourceModule("libvirt", "index/pool", _module);
pulumi.runtime.registerResourceModule("libvirt", "index/volume", _module);
pulumi.runtime.registerResourcePackage("libvirt", {
    version: utilities.getVersion(),
    constructProvider: (name: string, type: string, urn: string): pulumi.ProviderResource => {
        if (type !== "pulumi:providers:libvirt") {
            throw new Error(`unknown provider type ${type}`);
        }
        return new Provider(name, <any>undefined, { urn });
    },
});
