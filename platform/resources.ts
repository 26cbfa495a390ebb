/**
 * Kubernetes resource requirements as the charts take them, and the arithmetic the capacity check
 * needs. Every container the platform sizes gets both requests and limits for CPU and memory.
 */

export interface ResourceList {
  /** Kubernetes CPU quantity: `250m` or whole cores (`1`). */
  cpu: string;
  /** Kubernetes memory quantity in binary units: `512Mi`, `2Gi`. */
  memory: string;
}

export interface Resources {
  requests: ResourceList;
  limits: ResourceList;
}

/** `resources("100m", "128Mi", "500m", "256Mi")`: requests first, then limits. */
export function resources(cpuRequest: string, memoryRequest: string, cpuLimit: string, memoryLimit: string): Resources {
  return { requests: { cpu: cpuRequest, memory: memoryRequest }, limits: { cpu: cpuLimit, memory: memoryLimit } };
}

/** Millicores of a CPU quantity (`250m` -> 250, `2` -> 2000, `0.5` -> 500). */
export function cpuMilli(quantity: string): number {
  const m = /^(\d+(\.\d+)?)(m?)$/.exec(quantity);
  if (!m) throw new Error(`"${quantity}" is not a CPU quantity`);
  return m[3] === "m" ? Number(m[1]) : Math.round(Number(m[1]) * 1000);
}

const MEMORY_UNITS: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024 };

/** MiB of a memory quantity in binary units (`512Mi` -> 512, `2Gi` -> 2048). */
export function memoryMiB(quantity: string): number {
  const m = /^(\d+(\.\d+)?)(Ki|Mi|Gi|Ti)$/.exec(quantity);
  if (!m) throw new Error(`"${quantity}" is not a memory quantity in Ki/Mi/Gi/Ti`);
  return Number(m[1]) * MEMORY_UNITS[m[3]];
}

/** True when a value has CPU and memory requests and limits, each a valid quantity. */
export function isComplete(value: unknown): value is Resources {
  const r = value as Partial<Resources> | undefined;
  const quantities = [r?.requests?.cpu, r?.limits?.cpu, r?.requests?.memory, r?.limits?.memory];
  if (quantities.some((q) => typeof q !== "string")) return false;
  try {
    cpuMilli(r!.requests!.cpu);
    cpuMilli(r!.limits!.cpu);
    memoryMiB(r!.requests!.memory);
    memoryMiB(r!.limits!.memory);
    return true;
  } catch {
    return false;
  }
}
