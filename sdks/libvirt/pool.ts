// *** Hand-written in the shape of `pulumi package add terraform-provider registry.opentofu.org/dmacvicar/libvirt 0.8.3`. ***
// *** Property names follow the real schema of that route (tests/fixtures/libvirt-schema-properties.json, npm run lab:schema). ***
import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
import * as utilities from "./utilities";

/**
 * Manages a storage pool in libvirt. Currently only directory-based storage pool are supported. For more information on
 * storage pools in libvirt, see [the official documentation](https://libvirt.org/formatstorage.html).
 */
export class Pool extends pulumi.CustomResource {
    /**
     * Get an existing Pool resource's state with the given name, ID, and optional extra
     * properties used to qualify the lookup.
     *
     * @param name The _unique_ name of the resulting resource.
     * @param id The _unique_ provider ID of the resource to lookup.
     * @param state Any extra arguments used during the lookup.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: PoolState, opts?: pulumi.CustomResourceOptions): Pool {
        return new Pool(name, <any>state, { ...opts, id: id });
    }

    /** @internal */
    public static readonly __pulumiType = 'libvirt:index/pool:Pool';

    /**
     * Returns true if the given object is an instance of Pool.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    public static isInstance(obj: any): obj is Pool {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj['__pulumiType'] === Pool.__pulumiType;
    }

    declare public readonly allocation: pulumi.Output<number>;
    declare public readonly available: pulumi.Output<number>;
    declare public readonly capacity: pulumi.Output<number>;
    /**
     * A unique name for the resource, required by libvirt.
     */
    declare public readonly name: pulumi.Output<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    declare public readonly poolId: pulumi.Output<string>;
    /**
     * **Deprecated** (Optional) use `path` in the `target` block.
     *
     * @deprecated use target.path instead
     */
    declare public readonly path: pulumi.Output<string | undefined>;
    declare public readonly source: pulumi.Output<outputs.PoolSource | undefined>;
    declare public readonly target: pulumi.Output<outputs.PoolTarget | undefined>;
    /**
     * The type of the pool. Currently, "dir" and "logical" are supported.
     */
    declare public readonly type: pulumi.Output<string>;
    declare public readonly xml: pulumi.Output<outputs.PoolXml | undefined>;

    /**
     * Create a Pool resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args: PoolArgs, opts?: pulumi.CustomResourceOptions)
    constructor(name: string, argsOrState?: PoolArgs | PoolState, opts?: pulumi.CustomResourceOptions)
    constructor(name: string, argsOrState?: PoolArgs | PoolState, opts?: pulumi.CustomResourceOptions) {
        let resourceInputs: pulumi.Inputs = {};
        opts = opts || {};
        if (opts.id) {
            const state = argsOrState as PoolState | undefined;
            resourceInputs["allocation"] = state?.allocation;
            resourceInputs["available"] = state?.available;
            resourceInputs["capacity"] = state?.capacity;
            resourceInputs["name"] = state?.name;
            resourceInputs["poolId"] = state?.poolId;
            resourceInputs["path"] = state?.path;
            resourceInputs["source"] = state?.source;
            resourceInputs["target"] = state?.target;
            resourceInputs["type"] = state?.type;
            resourceInputs["xml"] = state?.xml;
        } else {
            const args = argsOrState as PoolArgs | undefined;
            if (args?.type === undefined && !opts.urn) {
                throw new Error("Missing required property 'type'");
            }
            resourceInputs["allocation"] = args?.allocation;
            resourceInputs["available"] = args?.available;
            resourceInputs["capacity"] = args?.capacity;
            resourceInputs["name"] = args?.name;
            resourceInputs["poolId"] = args?.poolId;
            resourceInputs["path"] = args?.path;
            resourceInputs["source"] = args?.source;
            resourceInputs["target"] = args?.target;
            resourceInputs["type"] = args?.type;
            resourceInputs["xml"] = args?.xml;
        }
        opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts);
        super(Pool.__pulumiType, name, resourceInputs, opts, false /*dependency*/, utilities.getPackage());
    }
}

/**
 * Input properties used for looking up and filtering Pool resources.
 */
export interface PoolState {
    allocation?: pulumi.Input<number>;
    available?: pulumi.Input<number>;
    capacity?: pulumi.Input<number>;
    /**
     * A unique name for the resource, required by libvirt.
     */
    name?: pulumi.Input<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    poolId?: pulumi.Input<string>;
    /**
     * **Deprecated** (Optional) use `path` in the `target` block.
     *
     * @deprecated use target.path instead
     */
    path?: pulumi.Input<string>;
    source?: pulumi.Input<inputs.PoolSource>;
    target?: pulumi.Input<inputs.PoolTarget>;
    /**
     * The type of the pool. Currently, "dir" and "logical" are supported.
     */
    type?: pulumi.Input<string>;
    xml?: pulumi.Input<inputs.PoolXml>;
}

/**
 * The set of arguments for constructing a Pool resource.
 */
export interface PoolArgs {
    allocation?: pulumi.Input<number>;
    available?: pulumi.Input<number>;
    capacity?: pulumi.Input<number>;
    /**
     * A unique name for the resource, required by libvirt.
     */
    name?: pulumi.Input<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    poolId?: pulumi.Input<string>;
    /**
     * **Deprecated** (Optional) use `path` in the `target` block.
     *
     * @deprecated use target.path instead
     */
    path?: pulumi.Input<string>;
    source?: pulumi.Input<inputs.PoolSource>;
    target?: pulumi.Input<inputs.PoolTarget>;
    /**
     * The type of the pool. Currently, "dir" and "logical" are supported.
     */
    type: pulumi.Input<string>;
    xml?: pulumi.Input<inputs.PoolXml>;
}
