/**
 * Stage 1's libvirt resources as the engine would see them: every libvirt resource and provider with
 * its URN, provider, parent, inputs as sent (secrets still wrapped), dependencies and the options that
 * decide what an update does. Two programs whose snapshots are equal make the same libvirt objects,
 * so a live stack previews no change between them (tests/one-host-unchanged.test.ts).
 */
import { readFileSync } from "fs";
import { join } from "path";
import { Harness } from "./pulumi-harness";

export interface LibvirtSnapshotEntry {
  urn: string;
  provider: string;
  parent: string;
  inputs: Record<string, unknown>;
  dependencies: string[];
  protect: boolean;
  deleteBeforeReplace: boolean;
  replaceOnChanges: string[];
  ignoreChanges: string[];
}

export function libvirtSnapshot(h: Harness): LibvirtSnapshotEntry[] {
  return h
    .all()
    .filter((r) => r.type.startsWith("libvirt:") || /^pulumi:providers:(libvirt|terraform-provider)$/.test(r.type))
    .map((r) => ({
      urn: r.urn,
      provider: r.provider,
      parent: r.parent,
      inputs: r.rawInputs,
      dependencies: [...r.dependencies].sort(),
      protect: r.protect,
      deleteBeforeReplace: r.deleteBeforeReplace,
      replaceOnChanges: [...r.replaceOnChanges].sort(),
      ignoreChanges: [...r.ignoreChanges].sort(),
    }))
    .sort((a, b) => a.urn.localeCompare(b.urn));
}

/** The snapshot recorded with the program before the `hosts` list (tests/fixtures/one-host/README.md). */
export function oneHostFixture(stack: "prod" | "dev" | "lab"): LibvirtSnapshotEntry[] {
  return JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "one-host", `${stack}.json`), "utf8")) as LibvirtSnapshotEntry[];
}
