/**
 * chrony on the Rocky VMs, configured by the program itself rather than by cloud-init's `ntp`
 * module: cloud-init 23.4 (Rocky 9.5's) has no chrony template for Rocky (added in 24.4, PR #5864;
 * issue #5872) and moves /etc/chrony.conf aside before it fails to render one, which leaves chronyd
 * without a config while FreeIPA's CA and Kerberos come up. First boot writes the complete config
 * and the servers of the VM's creation (./cloudinit.ts); the host settings step writes the same
 * config and the current servers after boot and on every change (./host-settings.ts), which also
 * repairs a VM that a cloud-init `ntp` module left without one.
 */

export const CHRONY_CONF = "/etc/chrony.conf";
/** The NTP servers, in their own file: a change reloads the sources without a restart. */
export const CHRONY_SOURCES = "/etc/chrony.d/flatcarmicrocloud.sources";

/** Rocky 9's defaults, without its public pool: the servers come from CHRONY_SOURCES. */
export function renderChronyConf(): string {
  return [
    "# FlatcarMicroCloud: written by first boot and the host settings step (infra/chrony.ts); the",
    `# servers are in ${CHRONY_SOURCES}. Local additions belong in /etc/chrony.d/*.conf.`,
    "sourcedir /etc/chrony.d",
    "include /etc/chrony.d/*.conf",
    "driftfile /var/lib/chrony/drift",
    "# Step the clock at start-up when it is far off (a VM restored or long paused), slew afterwards.",
    "makestep 1.0 3",
    "rtcsync",
    "keyfile /etc/chrony.keys",
    "ntsdumpdir /var/lib/chrony",
    "leapsectz right/UTC",
    "logdir /var/log/chrony",
  ].join("\n");
}

/** One `server` line per NTP server; none leaves chrony without a source (free-running). */
export function renderChronySources(servers: readonly string[]): string {
  return servers.map((s) => `server ${s} iburst`).join("\n");
}
