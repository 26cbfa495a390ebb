/**
 * How the Rocky VMs' backups reach Prometheus (issue 18 item 6). Each backup service ends with
 * `fmc-backup-metric <kind>` (ExecStopPost=, so it runs after a failure too), which writes
 * `fmc_backup_last_success_timestamp_seconds{kind}` (and `..._last_failure_...`) into a textfile;
 * node_exporter from EPEL serves it, with the VM's own metrics, on the VM's address on the K3s
 * nodes' network, and Prometheus scrapes it through a static ScrapeConfig (platform/backup-alerts.ts).
 *
 * Why node_exporter and not a Pushgateway: nothing new runs in the cluster (prod has ~125 MiB left
 * for apps; a Pushgateway pod would take from it and need its own route from the VMs into the
 * cluster), the metric survives a Prometheus restart (it is read, not pushed once), and a VM that is
 * down shows as a failed scrape (`up == 0`) instead of a stale value. The port is open only to the
 * K3s nodes' networks (firewalld rich rules, delivered after boot with the backups: a first-boot
 * change would replace the VM).
 *
 * Pure functions: topology and kind in, unit text and script variables out.
 */
import { BackupKind } from "../../config/backup";
import { Topology, VmSpec } from "../../config/topology";
import { ShellValue } from "../../shell";
import { nodeNetworksOf } from "./networks";
import { loadScript } from "./shell";

export { BACKUP_FAILURE_METRIC, BACKUP_SUCCESS_METRIC } from "../../config/backup-freshness";
/** node_exporter's usual port. */
export const VM_EXPORTER_PORT = 9100;
/** node_exporter's textfile collector directory: one `fmc_backup_<kind>.prom` per kind. */
export const METRICS_DIR = "/var/lib/flatcarmicrocloud/metrics";
export const METRIC_WRITER = "/usr/local/sbin/fmc-backup-metric";
export const EXPORTER_UNIT = "/etc/systemd/system/fmc-node-exporter.service";
/** Where EPEL's package installs the binary (the script installs the package by this path). */
export const NODE_EXPORTER_BIN = "/usr/bin/node_exporter";

/** Where a VM's exporter listens and who may reach it. */
export interface VmExporter {
  vm: string;
  /** The VM's address on the cluster network (else the first it shares with the K3s nodes): Prometheus scrapes it there. */
  address: string;
  /** That network (CIDR): the only source firewalld lets reach the port (the nodes' packets come from it). */
  sources: string[];
}

export function vmExporter(vm: VmSpec, topology: Topology): VmExporter {
  const networks = nodeNetworksOf(vm, topology);
  const network = networks.find((n) => n.name === topology.clusterNetwork) ?? networks[0];
  const nic = network && vm.nics.find((n) => n.network === network.name);
  if (!network || !nic) throw new Error(`${vm.name} shares no network with the K3s nodes: Prometheus cannot scrape its backup metrics`);
  return { vm: vm.name, address: nic.address, sources: [network.cidr] };
}

/**
 * The exporter's own unit (not the package's, whose defaults listen on every address): one address,
 * the textfile collector, a dynamic unprivileged user (the metric files are world-readable).
 */
export function renderExporterUnit(exporter: VmExporter): string {
  return [
    "[Unit]",
    "Description=FlatcarMicroCloud node_exporter: this VM's metrics and its backups' freshness, for Prometheus",
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    `ExecStart=${NODE_EXPORTER_BIN} --web.listen-address=${exporter.address}:${VM_EXPORTER_PORT} --collector.textfile.directory=${METRICS_DIR}`,
    "DynamicUser=yes",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "Restart=on-failure",
    "RestartSec=10s",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** The line each backup service gets: `+` runs it as root whatever the job's user (postgres). */
export function metricStopPost(kind: BackupKind): string {
  return `ExecStopPost=+${METRIC_WRITER} ${kind}`;
}

/** Variables of scripts/backup-common.sh (exporter_on/exporter_off). */
export function exporterVars(exporter: VmExporter): Record<string, ShellValue> {
  return {
    METRICS_DIR,
    METRIC_WRITER,
    METRIC_WRITER_BODY: loadScript("backup-metric.sh"),
    EXPORTER_UNIT,
    EXPORTER_UNIT_BODY: renderExporterUnit(exporter),
    EXPORTER_PORT: VM_EXPORTER_PORT,
    EXPORTER_SOURCES: exporter.sources,
  };
}
