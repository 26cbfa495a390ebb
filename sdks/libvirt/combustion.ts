// *** Hand-written in the shape of `pulumi package add terraform-provider registry.opentofu.org/dmacvicar/libvirt 0.8.3`. ***
// *** Property names follow the real schema of that route (tests/fixtures/libvirt-schema-properties.json, npm run lab:schema). ***
import * as pulumi from "@pulumi/pulumi";
import * as utilities from "./utilities";

/**
 * Manages a Combustion script (openSUSE MicroOS first-boot configuration) uploaded as a volume to a
 * libvirt storage pool.
 */
export class Combustion extends pulumi.CustomResource {
    /**
     * Get an existing Combustion resource's state with the given name, ID, and optional extra
     * properties used to qualify the lookup.
     *
     * @param name The _unique_ name of the resulting resource.
     * @param id The _unique_ provider ID of the resource to lookup.
     * @param state Any extra arguments used during the lookup.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: CombustionState, opts?: pulumi.CustomResourceOptions): Combustion {
        return new Combustion(name, <any>state, { ...opts, id: id });
    }

    /** @internal */
    public static readonly __pulumiType = 'libvirt:index/combustion:Combustion';

    /**
     * Returns true if the given object is an instance of Combustion.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    public static isInstance(obj: any): obj is Combustion {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj['__pulumiType'] === Combustion.__pulumiType;
    }

    declare public readonly content: pulumi.Output<string>;
    declare public readonly name: pulumi.Output<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    declare public readonly combustionId: pulumi.Output<string>;
    declare public readonly pool: pulumi.Output<string | undefined>;

    /**
     * Create a Combustion resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args: CombustionArgs, opts?: pulumi.CustomResourceOptions)
    constructor(name: string, argsOrState?: CombustionArgs | CombustionState, opts?: pulumi.CustomResourceOptions)
    constructor(name: string, argsOrState?: CombustionArgs | CombustionState, opts?: pulumi.CustomResourceOptions) {
        let resourceInputs: pulumi.Inputs = {};
        opts = opts || {};
        if (opts.id) {
            const state = argsOrState as CombustionState | undefined;
            resourceInputs["content"] = state?.content;
            resourceInputs["name"] = state?.name;
            resourceInputs["combustionId"] = state?.combustionId;
            resourceInputs["pool"] = state?.pool;
        } else {
            const args = argsOrState as CombustionArgs | undefined;
            if (args?.content === undefined && !opts.urn) {
                throw new Error("Missing required property 'content'");
            }
            resourceInputs["content"] = args?.content;
            resourceInputs["name"] = args?.name;
            resourceInputs["combustionId"] = args?.combustionId;
            resourceInputs["pool"] = args?.pool;
        }
        opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts);
        super(Combustion.__pulumiType, name, resourceInputs, opts, false /*dependency*/, utilities.getPackage());
    }
}

/**
 * Input properties used for looking up and filtering Combustion resources.
 */
export interface CombustionState {
    content?: pulumi.Input<string>;
    name?: pulumi.Input<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    combustionId?: pulumi.Input<string>;
    pool?: pulumi.Input<string>;
}

/**
 * The set of arguments for constructing a Combustion resource.
 */
export interface CombustionArgs {
    content: pulumi.Input<string>;
    name?: pulumi.Input<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    combustionId?: pulumi.Input<string>;
    pool?: pulumi.Input<string>;
}
