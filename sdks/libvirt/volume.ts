// *** Hand-written in the shape of `pulumi package add terraform-provider registry.opentofu.org/dmacvicar/libvirt 0.8.3`. ***
// *** Property names follow the real schema of that route (tests/fixtures/libvirt-schema-properties.json, npm run lab:schema). ***
import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
import * as utilities from "./utilities";

/**
 * Manages a storage volume in libvirt. For more information see
 * [the official documentation](https://libvirt.org/formatstorage.html).
 */
export class Volume extends pulumi.CustomResource {
    /**
     * Get an existing Volume resource's state with the given name, ID, and optional extra
     * properties used to qualify the lookup.
     *
     * @param name The _unique_ name of the resulting resource.
     * @param id The _unique_ provider ID of the resource to lookup.
     * @param state Any extra arguments used during the lookup.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: VolumeState, opts?: pulumi.CustomResourceOptions): Volume {
        return new Volume(name, <any>state, { ...opts, id: id });
    }

    /** @internal */
    public static readonly __pulumiType = 'libvirt:index/volume:Volume';

    /**
     * Returns true if the given object is an instance of Volume.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    public static isInstance(obj: any): obj is Volume {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj['__pulumiType'] === Volume.__pulumiType;
    }

    /**
     * The backing volume (CoW) to use for this volume.
     */
    declare public readonly baseVolumeId: pulumi.Output<string | undefined>;
    /**
     * The name of the backing volume (CoW) to use
     * for this volume. Note well: when `base_volume_pool` is not specified the
     * volume is going to be searched inside of `pool`.
     */
    declare public readonly baseVolumeName: pulumi.Output<string | undefined>;
    /**
     * The name of the storage pool containing the
     * volume defined by `base_volume_name`.
     */
    declare public readonly baseVolumePool: pulumi.Output<string | undefined>;
    declare public readonly format: pulumi.Output<string>;
    /**
     * A unique name for the resource, required by libvirt.
     * Changing this forces a new resource to be created.
     */
    declare public readonly name: pulumi.Output<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    declare public readonly volumeId: pulumi.Output<string>;
    /**
     * The storage pool where the resource will be created.
     * If not given, the `default` storage pool will be used.
     */
    declare public readonly pool: pulumi.Output<string | undefined>;
    /**
     * The size of the volume in bytes (if you don't like this,
     * help fix this issue.
     * If `source` is specified, `size` will be set to the source image file size.
     * `size` can be omitted if `source` is specified. `size` will then be set to the source image file size.
     * `size` can be omitted if `base_volume_id` or `base_volume_name` is specified. `size` will then be set to the base volume size.
     * If `size` is specified to be bigger than `base_volume_id` or `base_volume_name` size, you can use [cloudinit](https://cloudinit.readthedocs.io) if your OS supports it, with `libvirt.CloudInitDisk` and the [growpart](https://cloudinit.readthedocs.io/en/latest/topics/modules.html#growpart) module to resize the partition.
     */
    declare public readonly size: pulumi.Output<number>;
    declare public readonly source: pulumi.Output<string | undefined>;
    declare public readonly xml: pulumi.Output<outputs.VolumeXml | undefined>;

    /**
     * Create a Volume resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args?: VolumeArgs, opts?: pulumi.CustomResourceOptions)
    constructor(name: string, argsOrState?: VolumeArgs | VolumeState, opts?: pulumi.CustomResourceOptions)
    constructor(name: string, argsOrState?: VolumeArgs | VolumeState, opts?: pulumi.CustomResourceOptions) {
        let resourceInputs: pulumi.Inputs = {};
        opts = opts || {};
        if (opts.id) {
            const state = argsOrState as VolumeState | undefined;
            resourceInputs["baseVolumeId"] = state?.baseVolumeId;
            resourceInputs["baseVolumeName"] = state?.baseVolumeName;
            resourceInputs["baseVolumePool"] = state?.baseVolumePool;
            resourceInputs["format"] = state?.format;
            resourceInputs["name"] = state?.name;
            resourceInputs["volumeId"] = state?.volumeId;
            resourceInputs["pool"] = state?.pool;
            resourceInputs["size"] = state?.size;
            resourceInputs["source"] = state?.source;
            resourceInputs["xml"] = state?.xml;
        } else {
            const args = argsOrState as VolumeArgs | undefined;
            resourceInputs["baseVolumeId"] = args?.baseVolumeId;
            resourceInputs["baseVolumeName"] = args?.baseVolumeName;
            resourceInputs["baseVolumePool"] = args?.baseVolumePool;
            resourceInputs["format"] = args?.format;
            resourceInputs["name"] = args?.name;
            resourceInputs["volumeId"] = args?.volumeId;
            resourceInputs["pool"] = args?.pool;
            resourceInputs["size"] = args?.size;
            resourceInputs["source"] = args?.source;
            resourceInputs["xml"] = args?.xml;
        }
        opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts);
        super(Volume.__pulumiType, name, resourceInputs, opts, false /*dependency*/, utilities.getPackage());
    }
}

/**
 * Input properties used for looking up and filtering Volume resources.
 */
export interface VolumeState {
    /**
     * The backing volume (CoW) to use for this volume.
     */
    baseVolumeId?: pulumi.Input<string>;
    /**
     * The name of the backing volume (CoW) to use
     * for this volume. Note well: when `base_volume_pool` is not specified the
     * volume is going to be searched inside of `pool`.
     */
    baseVolumeName?: pulumi.Input<string>;
    /**
     * The name of the storage pool containing the
     * volume defined by `base_volume_name`.
     */
    baseVolumePool?: pulumi.Input<string>;
    format?: pulumi.Input<string>;
    /**
     * A unique name for the resource, required by libvirt.
     * Changing this forces a new resource to be created.
     */
    name?: pulumi.Input<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    volumeId?: pulumi.Input<string>;
    /**
     * The storage pool where the resource will be created.
     * If not given, the `default` storage pool will be used.
     */
    pool?: pulumi.Input<string>;
    /**
     * The size of the volume in bytes (if you don't like this,
     * help fix this issue.
     * If `source` is specified, `size` will be set to the source image file size.
     * `size` can be omitted if `source` is specified. `size` will then be set to the source image file size.
     * `size` can be omitted if `base_volume_id` or `base_volume_name` is specified. `size` will then be set to the base volume size.
     * If `size` is specified to be bigger than `base_volume_id` or `base_volume_name` size, you can use [cloudinit](https://cloudinit.readthedocs.io) if your OS supports it, with `libvirt.CloudInitDisk` and the [growpart](https://cloudinit.readthedocs.io/en/latest/topics/modules.html#growpart) module to resize the partition.
     */
    size?: pulumi.Input<number>;
    source?: pulumi.Input<string>;
    xml?: pulumi.Input<inputs.VolumeXml>;
}

/**
 * The set of arguments for constructing a Volume resource.
 */
export interface VolumeArgs {
    /**
     * The backing volume (CoW) to use for this volume.
     */
    baseVolumeId?: pulumi.Input<string>;
    /**
     * The name of the backing volume (CoW) to use
     * for this volume. Note well: when `base_volume_pool` is not specified the
     * volume is going to be searched inside of `pool`.
     */
    baseVolumeName?: pulumi.Input<string>;
    /**
     * The name of the storage pool containing the
     * volume defined by `base_volume_name`.
     */
    baseVolumePool?: pulumi.Input<string>;
    format?: pulumi.Input<string>;
    /**
     * A unique name for the resource, required by libvirt.
     * Changing this forces a new resource to be created.
     */
    name?: pulumi.Input<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    volumeId?: pulumi.Input<string>;
    /**
     * The storage pool where the resource will be created.
     * If not given, the `default` storage pool will be used.
     */
    pool?: pulumi.Input<string>;
    /**
     * The size of the volume in bytes (if you don't like this,
     * help fix this issue.
     * If `source` is specified, `size` will be set to the source image file size.
     * `size` can be omitted if `source` is specified. `size` will then be set to the source image file size.
     * `size` can be omitted if `base_volume_id` or `base_volume_name` is specified. `size` will then be set to the base volume size.
     * If `size` is specified to be bigger than `base_volume_id` or `base_volume_name` size, you can use [cloudinit](https://cloudinit.readthedocs.io) if your OS supports it, with `libvirt.CloudInitDisk` and the [growpart](https://cloudinit.readthedocs.io/en/latest/topics/modules.html#growpart) module to resize the partition.
     */
    size?: pulumi.Input<number>;
    source?: pulumi.Input<string>;
    xml?: pulumi.Input<inputs.VolumeXml>;
}
