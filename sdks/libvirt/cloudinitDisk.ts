// *** Hand-written in the shape of `pulumi package add terraform-provider registry.opentofu.org/dmacvicar/libvirt 0.8.3`. ***
// *** Property names follow the real schema of that route (tests/fixtures/libvirt-schema-properties.json, npm run lab:schema). ***
import * as pulumi from "@pulumi/pulumi";
import * as utilities from "./utilities";

/**
 * Manages a cloud-init ISO (NoCloud data source) uploaded as a volume to a libvirt storage pool;
 * attach it to a domain with `cloudinit`.
 */
export class CloudinitDisk extends pulumi.CustomResource {
    /**
     * Get an existing CloudinitDisk resource's state with the given name, ID, and optional extra
     * properties used to qualify the lookup.
     *
     * @param name The _unique_ name of the resulting resource.
     * @param id The _unique_ provider ID of the resource to lookup.
     * @param state Any extra arguments used during the lookup.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: CloudinitDiskState, opts?: pulumi.CustomResourceOptions): CloudinitDisk {
        return new CloudinitDisk(name, <any>state, { ...opts, id: id });
    }

    /** @internal */
    public static readonly __pulumiType = 'libvirt:index/cloudinitDisk:CloudinitDisk';

    /**
     * Returns true if the given object is an instance of CloudinitDisk.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    public static isInstance(obj: any): obj is CloudinitDisk {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj['__pulumiType'] === CloudinitDisk.__pulumiType;
    }

    /**
     * cloud-init meta-data.
     */
    declare public readonly metaData: pulumi.Output<string | undefined>;
    /**
     * A unique name for the resource, required by libvirt.
     */
    declare public readonly name: pulumi.Output<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    declare public readonly cloudinitDiskId: pulumi.Output<string>;
    /**
     * cloud-init network-config data.
     */
    declare public readonly networkConfig: pulumi.Output<string | undefined>;
    /**
     * The pool where the resource will be created.
     * If not given, the `default` pool will be used.
     * For user_data, network_config and meta_data parameters have a look at upstream doc:
     * http://cloudinit.readthedocs.io/en/latest/topics/datasources/nocloud.html#datasource-nocloud
     */
    declare public readonly pool: pulumi.Output<string | undefined>;
    /**
     * cloud-init user data.
     */
    declare public readonly userData: pulumi.Output<string | undefined>;

    /**
     * Create a CloudinitDisk resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args?: CloudinitDiskArgs, opts?: pulumi.CustomResourceOptions)
    constructor(name: string, argsOrState?: CloudinitDiskArgs | CloudinitDiskState, opts?: pulumi.CustomResourceOptions)
    constructor(name: string, argsOrState?: CloudinitDiskArgs | CloudinitDiskState, opts?: pulumi.CustomResourceOptions) {
        let resourceInputs: pulumi.Inputs = {};
        opts = opts || {};
        if (opts.id) {
            const state = argsOrState as CloudinitDiskState | undefined;
            resourceInputs["metaData"] = state?.metaData;
            resourceInputs["name"] = state?.name;
            resourceInputs["cloudinitDiskId"] = state?.cloudinitDiskId;
            resourceInputs["networkConfig"] = state?.networkConfig;
            resourceInputs["pool"] = state?.pool;
            resourceInputs["userData"] = state?.userData;
        } else {
            const args = argsOrState as CloudinitDiskArgs | undefined;
            resourceInputs["metaData"] = args?.metaData;
            resourceInputs["name"] = args?.name;
            resourceInputs["cloudinitDiskId"] = args?.cloudinitDiskId;
            resourceInputs["networkConfig"] = args?.networkConfig;
            resourceInputs["pool"] = args?.pool;
            resourceInputs["userData"] = args?.userData;
        }
        opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts);
        super(CloudinitDisk.__pulumiType, name, resourceInputs, opts, false /*dependency*/, utilities.getPackage());
    }
}

/**
 * Input properties used for looking up and filtering CloudinitDisk resources.
 */
export interface CloudinitDiskState {
    /**
     * cloud-init meta-data.
     */
    metaData?: pulumi.Input<string>;
    /**
     * A unique name for the resource, required by libvirt.
     */
    name?: pulumi.Input<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    cloudinitDiskId?: pulumi.Input<string>;
    /**
     * cloud-init network-config data.
     */
    networkConfig?: pulumi.Input<string>;
    /**
     * The pool where the resource will be created.
     * If not given, the `default` pool will be used.
     * For user_data, network_config and meta_data parameters have a look at upstream doc:
     * http://cloudinit.readthedocs.io/en/latest/topics/datasources/nocloud.html#datasource-nocloud
     */
    pool?: pulumi.Input<string>;
    /**
     * cloud-init user data.
     */
    userData?: pulumi.Input<string>;
}

/**
 * The set of arguments for constructing a CloudinitDisk resource.
 */
export interface CloudinitDiskArgs {
    /**
     * cloud-init meta-data.
     */
    metaData?: pulumi.Input<string>;
    /**
     * A unique name for the resource, required by libvirt.
     */
    name?: pulumi.Input<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    cloudinitDiskId?: pulumi.Input<string>;
    /**
     * cloud-init network-config data.
     */
    networkConfig?: pulumi.Input<string>;
    /**
     * The pool where the resource will be created.
     * If not given, the `default` pool will be used.
     * For user_data, network_config and meta_data parameters have a look at upstream doc:
     * http://cloudinit.readthedocs.io/en/latest/topics/datasources/nocloud.html#datasource-nocloud
     */
    pool?: pulumi.Input<string>;
    /**
     * cloud-init user data.
     */
    userData?: pulumi.Input<string>;
}
