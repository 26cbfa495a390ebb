import { createHash } from "crypto";

/**
 * A stable MAC for a VM's NIC on a network: QEMU's locally administered prefix 52:54:00 followed by
 * three bytes of a hash of the VM and network names. The same config always yields the same MAC, so
 * the guest's MAC-matched network config and libvirt's NIC agree on every run without stored state.
 */
export function macFor(vmName: string, network: string): string {
  const digest = createHash("sha256").update(`${vmName}/${network}`).digest();
  const tail = [digest[0], digest[1], digest[2]].map((b) => b.toString(16).padStart(2, "0"));
  return ["52", "54", "00", ...tail].join(":");
}

/** Short content hash used in libvirt object names so that a changed first-boot config replaces them. */
export function shortHash(content: string): string {
  return createHash("sha256").update(content).digest("hex").slice(0, 10);
}
