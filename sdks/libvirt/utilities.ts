// *** Hand-written in the shape of `pulumi package add terraform-provider registry.opentofu.org/dmacvicar/libvirt 0.8.3`. ***
// *** Property names follow the real schema of that route (tests/fixtures/libvirt-schema-properties.json, npm run lab:schema). ***
import * as runtime from "@pulumi/pulumi/runtime";

export function getEnv(...vars: string[]): string | undefined {
    for (const v of vars) {
        const value = process.env[v];
        if (value) {
            return value;
        }
    }
    return undefined;
}

export function getEnvBoolean(...vars: string[]): boolean | undefined {
    const s = getEnv(...vars);
    if (s !== undefined) {
        // NOTE: these values are taken from https://golang.org/src/strconv/atob.go?s=351:391#L1, which is what
        // Terraform uses internally when parsing boolean values.
        if (["1", "t", "T", "true", "TRUE", "True"].find(v => v === s) !== undefined) {
            return true;
        }
        if (["0", "f", "F", "false", "FALSE", "False"].find(v => v === s) !== undefined) {
            return false;
        }
    }
    return undefined;
}

export function getEnvNumber(...vars: string[]): number | undefined {
    const s = getEnv(...vars);
    if (s !== undefined) {
        const f = parseFloat(s);
        if (!isNaN(f)) {
            return f;
        }
    }
    return undefined;
}

export function getVersion(): string {
    // bin/utilities.js -> ../package.json (this package's manifest).
    let version: string = require("../package.json").version;
    // Node allows for the version to be prefixed by a "v", while semver doesn't.
    // If there is a v, strip it off.
    if (version.indexOf("v") === 0) {
        version = version.slice(1);
    }
    return version;
}

/** @internal */
export function resourceOptsDefaults(): any {
    return { version: getVersion() };
}

/** @internal */
export function lazyLoad(exports: any, props: string[], loadModule: any) {
    for (const property of props) {
        Object.defineProperty(exports, property, {
            enumerable: true,
            get: function() {
                return loadModule()[property];
            },
        });
    }
}

/**
 * The parameterized package this SDK is bound to: the `terraform-provider` plugin, parameterized with
 * the dmacvicar/libvirt Terraform provider from the OpenTofu registry. Must match the `pulumi` block of
 * package.json (the language host reports that block to the engine for plugin installation).
 */
export const packageDescriptor = {
    baseProviderName: "terraform-provider",
    baseProviderVersion: "1.1.3",
    baseProviderDownloadUrl: "",
    packageName: "libvirt",
    packageVersion: "0.8.3",
    // base64 of {"remote":{"url":"registry.opentofu.org/dmacvicar/libvirt","version":"0.8.3"}}
    base64Parameter: "eyJyZW1vdGUiOnsidXJsIjoicmVnaXN0cnkub3BlbnRvZnUub3JnL2RtYWN2aWNhci9saWJ2aXJ0IiwidmVyc2lvbiI6IjAuOC4zIn19",
} as const;

// One registration per engine connection: the promise is cached against the monitor it was made
// with, so a second deployment in the same process (Automation API inline programs, test suites
// calling setMocks again) registers against its own engine instead of reusing a stale reference.
const _packageRefs = new WeakMap<object, Promise<string | undefined>>();

/**
 * Registers the parameterized package with the engine (once per deployment) and returns the promise of
 * its package reference, which every resource of this SDK passes to `super(...)`.
 *
 * @internal
 */
export function getPackage(): Promise<string | undefined> {
    const monitor = runtime.getMonitor();
    if (monitor === undefined) {
        // Outside of a Pulumi deployment: let registerPackage raise its own error.
        return runtime.registerPackage({ ...packageDescriptor });
    }
    let ref = _packageRefs.get(monitor);
    if (ref === undefined) {
        ref = runtime.registerPackage({ ...packageDescriptor });
        _packageRefs.set(monitor, ref);
    }
    return ref;
}
