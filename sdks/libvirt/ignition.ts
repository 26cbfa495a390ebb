// *** Hand-written in the shape of `pulumi package add terraform-provider registry.opentofu.org/dmacvicar/libvirt 0.8.3`. ***
// *** Property names follow the real schema of that route (tests/fixtures/libvirt-schema-properties.json, npm run lab:schema). ***
import * as pulumi from "@pulumi/pulumi";
import * as utilities from "./utilities";

/**
 * Manages an Ignition config uploaded as a volume to a libvirt storage pool; attach it to a
 * Flatcar/CoreOS domain with `coreosIgnition`.
 */
export class Ignition extends pulumi.CustomResource {
    /**
     * Get an existing Ignition resource's state with the given name, ID, and optional extra
     * properties used to qualify the lookup.
     *
     * @param name The _unique_ name of the resulting resource.
     * @param id The _unique_ provider ID of the resource to lookup.
     * @param state Any extra arguments used during the lookup.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: IgnitionState, opts?: pulumi.CustomResourceOptions): Ignition {
        return new Ignition(name, <any>state, { ...opts, id: id });
    }

    /** @internal */
    public static readonly __pulumiType = 'libvirt:index/ignition:Ignition';

    /**
     * Returns true if the given object is an instance of Ignition.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    public static isInstance(obj: any): obj is Ignition {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj['__pulumiType'] === Ignition.__pulumiType;
    }

    declare public readonly content: pulumi.Output<string>;
    /**
     * A unique name for the resource, required by libvirt.
     */
    declare public readonly name: pulumi.Output<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    declare public readonly ignitionId: pulumi.Output<string>;
    /**
     * The pool where the resource will be created.
     * If not given, the `default` pool will be used.
     */
    declare public readonly pool: pulumi.Output<string | undefined>;

    /**
     * Create a Ignition resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args: IgnitionArgs, opts?: pulumi.CustomResourceOptions)
    constructor(name: string, argsOrState?: IgnitionArgs | IgnitionState, opts?: pulumi.CustomResourceOptions)
    constructor(name: string, argsOrState?: IgnitionArgs | IgnitionState, opts?: pulumi.CustomResourceOptions) {
        let resourceInputs: pulumi.Inputs = {};
        opts = opts || {};
        if (opts.id) {
            const state = argsOrState as IgnitionState | undefined;
            resourceInputs["content"] = state?.content;
            resourceInputs["name"] = state?.name;
            resourceInputs["ignitionId"] = state?.ignitionId;
            resourceInputs["pool"] = state?.pool;
        } else {
            const args = argsOrState as IgnitionArgs | undefined;
            if (args?.content === undefined && !opts.urn) {
                throw new Error("Missing required property 'content'");
            }
            resourceInputs["content"] = args?.content;
            resourceInputs["name"] = args?.name;
            resourceInputs["ignitionId"] = args?.ignitionId;
            resourceInputs["pool"] = args?.pool;
        }
        opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts);
        super(Ignition.__pulumiType, name, resourceInputs, opts, false /*dependency*/, utilities.getPackage());
    }
}

/**
 * Input properties used for looking up and filtering Ignition resources.
 */
export interface IgnitionState {
    content?: pulumi.Input<string>;
    /**
     * A unique name for the resource, required by libvirt.
     */
    name?: pulumi.Input<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    ignitionId?: pulumi.Input<string>;
    /**
     * The pool where the resource will be created.
     * If not given, the `default` pool will be used.
     */
    pool?: pulumi.Input<string>;
}

/**
 * The set of arguments for constructing a Ignition resource.
 */
export interface IgnitionArgs {
    content: pulumi.Input<string>;
    /**
     * A unique name for the resource, required by libvirt.
     */
    name?: pulumi.Input<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    ignitionId?: pulumi.Input<string>;
    /**
     * The pool where the resource will be created.
     * If not given, the `default` pool will be used.
     */
    pool?: pulumi.Input<string>;
}
