/**
 * Each platform component's memory request beside its vendor's documented figure
 * (./vendor-minimum-sources.json, with the source of each): a request below the vendor's minimum is
 * flagged with what running below it does, never hidden. The requests are the sizing table's
 * (./sizing.ts), the same ones the charts and the capacity check read.
 */
import data from "./vendor-minimum-sources.json";
import { memoryMiB, Resources } from "./resources";
import { SIZING } from "./sizing";

export interface VendorMinimum {
  component: string;
  /** Path of the component's entry in SIZING, e.g. `ceph.osd`. */
  sizing: string;
  /** Kubernetes quantity, or null when the vendor documents no minimum. */
  minimumMemory: string | null;
  vendorFigure: string;
  source: string;
  consequence: string;
}

export interface MinimumCheck {
  component: string;
  requestMiB: number;
  /** Undefined when the vendor documents no minimum. */
  minimumMiB?: number;
  below: boolean;
  vendorFigure: string;
  source: string;
  /** Set when `below`: what running below the minimum does. */
  consequence?: string;
}

export const VENDOR_MINIMUMS: VendorMinimum[] = data.components;

/** The sizing entry at `path` (`ceph.osd`), or an error naming the path: the data file must follow SIZING. */
export function sizingAt(path: string, sizing: unknown = SIZING): Resources {
  const entry = path.split(".").reduce<unknown>((at, key) => (at && typeof at === "object" ? (at as Record<string, unknown>)[key] : undefined), sizing);
  const r = entry as Partial<Resources> | undefined;
  if (!r?.requests?.memory) throw new Error(`vendor-minimums.json: no sizing entry "${path}" with a memory request in platform/sizing.ts`);
  return r as Resources;
}

export function checkVendorMinimums(minimums: VendorMinimum[] = VENDOR_MINIMUMS, sizing: unknown = SIZING): MinimumCheck[] {
  return minimums.map((m) => {
    const requestMiB = memoryMiB(sizingAt(m.sizing, sizing).requests.memory);
    const minimumMiB = m.minimumMemory === null ? undefined : memoryMiB(m.minimumMemory);
    const below = minimumMiB !== undefined && requestMiB < minimumMiB;
    return { component: m.component, requestMiB, minimumMiB, below, vendorFigure: m.vendorFigure, source: m.source, ...(below ? { consequence: m.consequence } : {}) };
  });
}
