// *** Hand-written in the shape of `pulumi package add terraform-provider registry.opentofu.org/dmacvicar/libvirt 0.8.3`. ***
// *** Property names follow the real schema of that route (tests/fixtures/libvirt-schema-properties.json, npm run lab:schema). ***
import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
import * as utilities from "./utilities";

/**
 * Manages a VM domain resource within libvirt. For more information see
 * [the official documentation](https://libvirt.org/formatdomain.html).
 */
export class Domain extends pulumi.CustomResource {
    /**
     * Get an existing Domain resource's state with the given name, ID, and optional extra
     * properties used to qualify the lookup.
     *
     * @param name The _unique_ name of the resulting resource.
     * @param id The _unique_ provider ID of the resource to lookup.
     * @param state Any extra arguments used during the lookup.
     * @param opts Optional settings to control the behavior of the CustomResource.
     */
    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: DomainState, opts?: pulumi.CustomResourceOptions): Domain {
        return new Domain(name, <any>state, { ...opts, id: id });
    }

    /** @internal */
    public static readonly __pulumiType = 'libvirt:index/domain:Domain';

    /**
     * Returns true if the given object is an instance of Domain.  This is designed to work even
     * when multiple copies of the Pulumi SDK have been loaded into the same process.
     */
    public static isInstance(obj: any): obj is Domain {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj['__pulumiType'] === Domain.__pulumiType;
    }

    /**
     * The architecture for the VM (probably x86_64 or i686),
     * you normally won't need to set this unless you are building a special VM
     */
    declare public readonly arch: pulumi.Output<string>;
    /**
     * Set to `true` to start the domain on host boot up.
     * If not specified `false` is assumed.
     */
    declare public readonly autostart: pulumi.Output<boolean>;
    /**
     * A list of devices (dev) which defines boot order. Example
     * below.
     */
    declare public readonly bootDevices: pulumi.Output<outputs.DomainBootDevice[] | undefined>;
    /**
     * The `libvirt.CloudInitDisk` disk that has to be used by
     * the domain. This is going to be attached as a CDROM ISO. Changing the
     * cloud-init won't cause the domain to be recreated, however the change will
     * have effect on the next reboot.
     */
    declare public readonly cloudinit: pulumi.Output<string | undefined>;
    declare public readonly cmdlines: pulumi.Output<{[key: string]: string}[] | undefined>;
    declare public readonly consoles: pulumi.Output<outputs.DomainConsole[] | undefined>;
    /**
     * The
     * [libvirt.Ignition](https://www.terraform.io/docs/providers/libvirt/r/coreos_ignition.html) resource
     * that is to be used by the CoreOS domain.
     */
    declare public readonly coreosIgnition: pulumi.Output<string | undefined>;
    /**
     * Configures CPU mode. See below for more
     * details.
     */
    declare public readonly cpu: pulumi.Output<outputs.DomainCpu | undefined>;
    /**
     * The description for domain.
     * Changing this forces a new resource to be created.
     * This data is not used by libvirt in any way, it can contain any information the user wants.
     */
    declare public readonly description: pulumi.Output<string | undefined>;
    /**
     * An array of one or more disks to attach to the domain. The
     * `disk` object structure is documented below.
     */
    declare public readonly disks: pulumi.Output<outputs.DomainDisk[] | undefined>;
    /**
     * The path of the emulator to use
     */
    declare public readonly emulator: pulumi.Output<string>;
    /**
     * An array of one or more host filesystems to attach to
     * the domain. The `filesystem` object structure is documented
     * below.
     */
    declare public readonly filesystems: pulumi.Output<outputs.DomainFilesystem[] | undefined>;
    declare public readonly firmware: pulumi.Output<string | undefined>;
    /**
     * The name of the firmware config path where ignition file is stored: default is `opt/com.coreos/config`. If you are using [Flatcar Linux](https://docs.flatcar-linux.org/os/booting-with-libvirt/#creating-the-domain-xml), the value is `opt/org.flatcar-linux/config`.
     */
    declare public readonly fwCfgName: pulumi.Output<string | undefined>;
    declare public readonly graphics: pulumi.Output<outputs.DomainGraphics | undefined>;
    declare public readonly initrd: pulumi.Output<string | undefined>;
    declare public readonly kernel: pulumi.Output<string | undefined>;
    /**
     * The machine type,
     * you normally won't need to set this unless you are running on a platform that
     * defaults to the wrong machine type for your template
     */
    declare public readonly machine: pulumi.Output<string>;
    /**
     * The amount of memory in MiB. If not specified the domain
     * will be created with 512 MiB of memory be used.
     */
    declare public readonly memory: pulumi.Output<number | undefined>;
    declare public readonly metadata: pulumi.Output<string | undefined>;
    /**
     * A unique name for the resource, required by libvirt.
     * Changing this forces a new resource to be created.
     */
    declare public readonly name: pulumi.Output<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    declare public readonly domainId: pulumi.Output<string>;
    /**
     * An array of one or more network interfaces to
     * attach to the domain. The `network_interface` object structure is documented
     * below.
     */
    declare public readonly networkInterfaces: pulumi.Output<outputs.DomainNetworkInterface[] | undefined>;
    declare public readonly nvram: pulumi.Output<outputs.DomainNvram | undefined>;
    /**
     * By default is disabled, set to true for enabling it. More info [qemu-agent](https://wiki.libvirt.org/page/Qemu_guest_agent).
     */
    declare public readonly qemuAgent: pulumi.Output<boolean | undefined>;
    /**
     * Use `false` to turn off the instance. If not specified,
     * true is assumed and the instance, if stopped, will be started at next apply.
     */
    declare public readonly running: pulumi.Output<boolean | undefined>;
    /**
     * TPM device to attach to the domain. The `tpm` object structure is documented below.
     */
    declare public readonly tpm: pulumi.Output<outputs.DomainTpm | undefined>;
    /**
     * Terraform's operation timeouts of the domain (`create`, e.g. "5m"): the bridge exposes the
     * `timeouts` block of the provider schema.
     */
    declare public readonly timeouts: pulumi.Output<outputs.DomainTimeouts | undefined>;
    /**
     * The type of hypervisor to use for the domain.  Defaults to `kvm`, other values can be found [here](https://libvirt.org/formatdomain.html#id1)
     */
    declare public readonly type: pulumi.Output<string | undefined>;
    /**
     * The amount of virtual CPUs. If not specified, a single CPU
     * will be created.
     */
    declare public readonly vcpu: pulumi.Output<number | undefined>;
    declare public readonly video: pulumi.Output<outputs.DomainVideo | undefined>;
    declare public readonly xml: pulumi.Output<outputs.DomainXml | undefined>;

    /**
     * Create a Domain resource with the given unique name, arguments, and options.
     *
     * @param name The _unique_ name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts A bag of options that control this resource's behavior.
     */
    constructor(name: string, args?: DomainArgs, opts?: pulumi.CustomResourceOptions)
    constructor(name: string, argsOrState?: DomainArgs | DomainState, opts?: pulumi.CustomResourceOptions)
    constructor(name: string, argsOrState?: DomainArgs | DomainState, opts?: pulumi.CustomResourceOptions) {
        let resourceInputs: pulumi.Inputs = {};
        opts = opts || {};
        if (opts.id) {
            const state = argsOrState as DomainState | undefined;
            resourceInputs["arch"] = state?.arch;
            resourceInputs["autostart"] = state?.autostart;
            resourceInputs["bootDevices"] = state?.bootDevices;
            resourceInputs["cloudinit"] = state?.cloudinit;
            resourceInputs["cmdlines"] = state?.cmdlines;
            resourceInputs["consoles"] = state?.consoles;
            resourceInputs["coreosIgnition"] = state?.coreosIgnition;
            resourceInputs["cpu"] = state?.cpu;
            resourceInputs["description"] = state?.description;
            resourceInputs["disks"] = state?.disks;
            resourceInputs["emulator"] = state?.emulator;
            resourceInputs["filesystems"] = state?.filesystems;
            resourceInputs["firmware"] = state?.firmware;
            resourceInputs["fwCfgName"] = state?.fwCfgName;
            resourceInputs["graphics"] = state?.graphics;
            resourceInputs["initrd"] = state?.initrd;
            resourceInputs["kernel"] = state?.kernel;
            resourceInputs["machine"] = state?.machine;
            resourceInputs["memory"] = state?.memory;
            resourceInputs["metadata"] = state?.metadata;
            resourceInputs["name"] = state?.name;
            resourceInputs["domainId"] = state?.domainId;
            resourceInputs["networkInterfaces"] = state?.networkInterfaces;
            resourceInputs["nvram"] = state?.nvram;
            resourceInputs["qemuAgent"] = state?.qemuAgent;
            resourceInputs["running"] = state?.running;
            resourceInputs["tpm"] = state?.tpm;
            resourceInputs["timeouts"] = state?.timeouts;
            resourceInputs["type"] = state?.type;
            resourceInputs["vcpu"] = state?.vcpu;
            resourceInputs["video"] = state?.video;
            resourceInputs["xml"] = state?.xml;
        } else {
            const args = argsOrState as DomainArgs | undefined;
            resourceInputs["arch"] = args?.arch;
            resourceInputs["autostart"] = args?.autostart;
            resourceInputs["bootDevices"] = args?.bootDevices;
            resourceInputs["cloudinit"] = args?.cloudinit;
            resourceInputs["cmdlines"] = args?.cmdlines;
            resourceInputs["consoles"] = args?.consoles;
            resourceInputs["coreosIgnition"] = args?.coreosIgnition;
            resourceInputs["cpu"] = args?.cpu;
            resourceInputs["description"] = args?.description;
            resourceInputs["disks"] = args?.disks;
            resourceInputs["emulator"] = args?.emulator;
            resourceInputs["filesystems"] = args?.filesystems;
            resourceInputs["firmware"] = args?.firmware;
            resourceInputs["fwCfgName"] = args?.fwCfgName;
            resourceInputs["graphics"] = args?.graphics;
            resourceInputs["initrd"] = args?.initrd;
            resourceInputs["kernel"] = args?.kernel;
            resourceInputs["machine"] = args?.machine;
            resourceInputs["memory"] = args?.memory;
            resourceInputs["metadata"] = args?.metadata;
            resourceInputs["name"] = args?.name;
            resourceInputs["domainId"] = args?.domainId;
            resourceInputs["networkInterfaces"] = args?.networkInterfaces;
            resourceInputs["nvram"] = args?.nvram;
            resourceInputs["qemuAgent"] = args?.qemuAgent;
            resourceInputs["running"] = args?.running;
            resourceInputs["tpm"] = args?.tpm;
            resourceInputs["timeouts"] = args?.timeouts;
            resourceInputs["type"] = args?.type;
            resourceInputs["vcpu"] = args?.vcpu;
            resourceInputs["video"] = args?.video;
            resourceInputs["xml"] = args?.xml;
        }
        opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts);
        super(Domain.__pulumiType, name, resourceInputs, opts, false /*dependency*/, utilities.getPackage());
    }
}

/**
 * Input properties used for looking up and filtering Domain resources.
 */
export interface DomainState {
    /**
     * The architecture for the VM (probably x86_64 or i686),
     * you normally won't need to set this unless you are building a special VM
     */
    arch?: pulumi.Input<string>;
    /**
     * Set to `true` to start the domain on host boot up.
     * If not specified `false` is assumed.
     */
    autostart?: pulumi.Input<boolean>;
    /**
     * A list of devices (dev) which defines boot order. Example
     * below.
     */
    bootDevices?: pulumi.Input<pulumi.Input<inputs.DomainBootDevice>[]>;
    /**
     * The `libvirt.CloudInitDisk` disk that has to be used by
     * the domain. This is going to be attached as a CDROM ISO. Changing the
     * cloud-init won't cause the domain to be recreated, however the change will
     * have effect on the next reboot.
     */
    cloudinit?: pulumi.Input<string>;
    cmdlines?: pulumi.Input<pulumi.Input<{[key: string]: pulumi.Input<string>}>[]>;
    consoles?: pulumi.Input<pulumi.Input<inputs.DomainConsole>[]>;
    /**
     * The
     * [libvirt.Ignition](https://www.terraform.io/docs/providers/libvirt/r/coreos_ignition.html) resource
     * that is to be used by the CoreOS domain.
     */
    coreosIgnition?: pulumi.Input<string>;
    /**
     * Configures CPU mode. See below for more
     * details.
     */
    cpu?: pulumi.Input<inputs.DomainCpu>;
    /**
     * The description for domain.
     * Changing this forces a new resource to be created.
     * This data is not used by libvirt in any way, it can contain any information the user wants.
     */
    description?: pulumi.Input<string>;
    /**
     * An array of one or more disks to attach to the domain. The
     * `disk` object structure is documented below.
     */
    disks?: pulumi.Input<pulumi.Input<inputs.DomainDisk>[]>;
    /**
     * The path of the emulator to use
     */
    emulator?: pulumi.Input<string>;
    /**
     * An array of one or more host filesystems to attach to
     * the domain. The `filesystem` object structure is documented
     * below.
     */
    filesystems?: pulumi.Input<pulumi.Input<inputs.DomainFilesystem>[]>;
    firmware?: pulumi.Input<string>;
    /**
     * The name of the firmware config path where ignition file is stored: default is `opt/com.coreos/config`. If you are using [Flatcar Linux](https://docs.flatcar-linux.org/os/booting-with-libvirt/#creating-the-domain-xml), the value is `opt/org.flatcar-linux/config`.
     */
    fwCfgName?: pulumi.Input<string>;
    graphics?: pulumi.Input<inputs.DomainGraphics>;
    initrd?: pulumi.Input<string>;
    kernel?: pulumi.Input<string>;
    /**
     * The machine type,
     * you normally won't need to set this unless you are running on a platform that
     * defaults to the wrong machine type for your template
     */
    machine?: pulumi.Input<string>;
    /**
     * The amount of memory in MiB. If not specified the domain
     * will be created with 512 MiB of memory be used.
     */
    memory?: pulumi.Input<number>;
    metadata?: pulumi.Input<string>;
    /**
     * A unique name for the resource, required by libvirt.
     * Changing this forces a new resource to be created.
     */
    name?: pulumi.Input<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    domainId?: pulumi.Input<string>;
    /**
     * An array of one or more network interfaces to
     * attach to the domain. The `network_interface` object structure is documented
     * below.
     */
    networkInterfaces?: pulumi.Input<pulumi.Input<inputs.DomainNetworkInterface>[]>;
    nvram?: pulumi.Input<inputs.DomainNvram>;
    /**
     * By default is disabled, set to true for enabling it. More info [qemu-agent](https://wiki.libvirt.org/page/Qemu_guest_agent).
     */
    qemuAgent?: pulumi.Input<boolean>;
    /**
     * Use `false` to turn off the instance. If not specified,
     * true is assumed and the instance, if stopped, will be started at next apply.
     */
    running?: pulumi.Input<boolean>;
    /**
     * TPM device to attach to the domain. The `tpm` object structure is documented below.
     */
    tpm?: pulumi.Input<inputs.DomainTpm>;
    /**
     * Terraform's operation timeouts of the domain (`create`, e.g. "5m"): the bridge exposes the
     * `timeouts` block of the provider schema.
     */
    timeouts?: pulumi.Input<inputs.DomainTimeouts>;
    /**
     * The type of hypervisor to use for the domain.  Defaults to `kvm`, other values can be found [here](https://libvirt.org/formatdomain.html#id1)
     */
    type?: pulumi.Input<string>;
    /**
     * The amount of virtual CPUs. If not specified, a single CPU
     * will be created.
     */
    vcpu?: pulumi.Input<number>;
    video?: pulumi.Input<inputs.DomainVideo>;
    xml?: pulumi.Input<inputs.DomainXml>;
}

/**
 * The set of arguments for constructing a Domain resource.
 */
export interface DomainArgs {
    /**
     * The architecture for the VM (probably x86_64 or i686),
     * you normally won't need to set this unless you are building a special VM
     */
    arch?: pulumi.Input<string>;
    /**
     * Set to `true` to start the domain on host boot up.
     * If not specified `false` is assumed.
     */
    autostart?: pulumi.Input<boolean>;
    /**
     * A list of devices (dev) which defines boot order. Example
     * below.
     */
    bootDevices?: pulumi.Input<pulumi.Input<inputs.DomainBootDevice>[]>;
    /**
     * The `libvirt.CloudInitDisk` disk that has to be used by
     * the domain. This is going to be attached as a CDROM ISO. Changing the
     * cloud-init won't cause the domain to be recreated, however the change will
     * have effect on the next reboot.
     */
    cloudinit?: pulumi.Input<string>;
    cmdlines?: pulumi.Input<pulumi.Input<{[key: string]: pulumi.Input<string>}>[]>;
    consoles?: pulumi.Input<pulumi.Input<inputs.DomainConsole>[]>;
    /**
     * The
     * [libvirt.Ignition](https://www.terraform.io/docs/providers/libvirt/r/coreos_ignition.html) resource
     * that is to be used by the CoreOS domain.
     */
    coreosIgnition?: pulumi.Input<string>;
    /**
     * Configures CPU mode. See below for more
     * details.
     */
    cpu?: pulumi.Input<inputs.DomainCpu>;
    /**
     * The description for domain.
     * Changing this forces a new resource to be created.
     * This data is not used by libvirt in any way, it can contain any information the user wants.
     */
    description?: pulumi.Input<string>;
    /**
     * An array of one or more disks to attach to the domain. The
     * `disk` object structure is documented below.
     */
    disks?: pulumi.Input<pulumi.Input<inputs.DomainDisk>[]>;
    /**
     * The path of the emulator to use
     */
    emulator?: pulumi.Input<string>;
    /**
     * An array of one or more host filesystems to attach to
     * the domain. The `filesystem` object structure is documented
     * below.
     */
    filesystems?: pulumi.Input<pulumi.Input<inputs.DomainFilesystem>[]>;
    firmware?: pulumi.Input<string>;
    /**
     * The name of the firmware config path where ignition file is stored: default is `opt/com.coreos/config`. If you are using [Flatcar Linux](https://docs.flatcar-linux.org/os/booting-with-libvirt/#creating-the-domain-xml), the value is `opt/org.flatcar-linux/config`.
     */
    fwCfgName?: pulumi.Input<string>;
    graphics?: pulumi.Input<inputs.DomainGraphics>;
    initrd?: pulumi.Input<string>;
    kernel?: pulumi.Input<string>;
    /**
     * The machine type,
     * you normally won't need to set this unless you are running on a platform that
     * defaults to the wrong machine type for your template
     */
    machine?: pulumi.Input<string>;
    /**
     * The amount of memory in MiB. If not specified the domain
     * will be created with 512 MiB of memory be used.
     */
    memory?: pulumi.Input<number>;
    metadata?: pulumi.Input<string>;
    /**
     * A unique name for the resource, required by libvirt.
     * Changing this forces a new resource to be created.
     */
    name?: pulumi.Input<string>;
    /**
     * The Terraform resource's own `id` attribute: the bridge renames it, `id` being Pulumi's.
     */
    domainId?: pulumi.Input<string>;
    /**
     * An array of one or more network interfaces to
     * attach to the domain. The `network_interface` object structure is documented
     * below.
     */
    networkInterfaces?: pulumi.Input<pulumi.Input<inputs.DomainNetworkInterface>[]>;
    nvram?: pulumi.Input<inputs.DomainNvram>;
    /**
     * By default is disabled, set to true for enabling it. More info [qemu-agent](https://wiki.libvirt.org/page/Qemu_guest_agent).
     */
    qemuAgent?: pulumi.Input<boolean>;
    /**
     * Use `false` to turn off the instance. If not specified,
     * true is assumed and the instance, if stopped, will be started at next apply.
     */
    running?: pulumi.Input<boolean>;
    /**
     * TPM device to attach to the domain. The `tpm` object structure is documented below.
     */
    tpm?: pulumi.Input<inputs.DomainTpm>;
    /**
     * Terraform's operation timeouts of the domain (`create`, e.g. "5m"): the bridge exposes the
     * `timeouts` block of the provider schema.
     */
    timeouts?: pulumi.Input<inputs.DomainTimeouts>;
    /**
     * The type of hypervisor to use for the domain.  Defaults to `kvm`, other values can be found [here](https://libvirt.org/formatdomain.html#id1)
     */
    type?: pulumi.Input<string>;
    /**
     * The amount of virtual CPUs. If not specified, a single CPU
     * will be created.
     */
    vcpu?: pulumi.Input<number>;
    video?: pulumi.Input<inputs.DomainVideo>;
    xml?: pulumi.Input<inputs.DomainXml>;
}
