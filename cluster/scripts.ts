/**
 * The shell scripts stage 2 runs on the nodes, rendered from the templates in `cluster/scripts/`
 * (kept as files so they read, diff and lint as shell). Pure functions: plain values in, script text
 * out. Secrets never pass through here; the one secret a node needs (its config.yaml with the
 * token) travels on the install script's stdin.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { K3S_API_PORT } from "../ports";
import { fillTemplate, ShellValue } from "../shell";
import { BOOT_TIMEOUT_SECONDS, READY_INTERVAL_SECONDS } from "../ssh";
import { K3sNodeKind } from "./k3s-config";

/** The probe interval and first-boot wait are shared with stage 1's SSH wait (../ssh.ts). */
export { BOOT_TIMEOUT_SECONDS, READY_INTERVAL_SECONDS };
/** A joining etcd member on spinning disks can take several minutes; the first server most. */
export const READY_TIMEOUT_SECONDS = 900;
/**
 * How long the load balancer may take to forward the API once every server is installed: its own
 * first boot (cloud-init installing HAProxy) may still be running, then HAProxy's health checks
 * (2 successes, 5 s apart) take a server in.
 */
export const API_GATEWAY_TIMEOUT_SECONDS = 900;
/** How long removing a node waits for its pods to be evicted before deleting it anyway. */
export const DRAIN_TIMEOUT_SECONDS = 300;

/** Fills a template's `@KEY@` placeholders; every placeholder needs a value and every value a placeholder. */
export function renderTemplate(file: string, values: Record<string, ShellValue>): string {
  return fillTemplate(readFileSync(join(__dirname, "scripts", file), "utf8"), values, file);
}

/** Where the release assets of a K3s version live (`+` must be %2B in the URL path). */
export function k3sReleaseUrl(version: string): string {
  return `https://github.com/k3s-io/k3s/releases/download/${encodeURIComponent(version)}`;
}

/** The official installer from the same tag as the binary, so its unit file matches that release. */
export function k3sInstallerUrl(version: string): string {
  return `https://raw.githubusercontent.com/k3s-io/k3s/${encodeURIComponent(version)}/install.sh`;
}

const isServer = (kind: K3sNodeKind) => kind !== "agent";

/** The systemd service the installer creates, and its uninstall script in /opt/bin. */
export function k3sService(kind: K3sNodeKind): { service: string; uninstall: string } {
  return isServer(kind)
    ? { service: "k3s", uninstall: "/opt/bin/k3s-uninstall.sh" }
    : { service: "k3s-agent", uninstall: "/opt/bin/k3s-agent-uninstall.sh" };
}

function attempts(timeoutSeconds: number): number {
  return Math.ceil(timeoutSeconds / READY_INTERVAL_SECONDS);
}

export function renderWaitForBoot(node: { name: string; os: string }): string {
  return renderTemplate("wait-for-boot.sh", { NODE_NAME: node.name, OS_FAMILY: node.os, BOOT_TIMEOUT_SECONDS });
}

export interface InstallScriptArgs {
  nodeName: string;
  kind: K3sNodeKind;
  version: string;
  /** The node's address on the cluster network (K3s node-ip): flannel's interface is the one carrying it. */
  nodeIp: string;
  /** The name stage 1 gave that NIC (a .link rename by MAC); logged when the NIC does not carry it. */
  expectedIface: string;
  readyTimeoutSeconds?: number;
  /**
   * The init server only: `https://<server>:6443` of the other servers. A fresh machine in the init
   * server's place joins the first that answers instead of running cluster-init.
   */
  peerServers?: string[];
}

/** Where the install script puts the flannel interface helper (`/usr` is read-only on Flatcar). */
export const FLANNEL_IFACE_HELPER = "/opt/bin/flatcarmicrocloud-flannel-iface";
/** How long the helper waits for the node address to appear on an interface (1 s apart). */
export const FLANNEL_IFACE_ATTEMPTS = 60;

/**
 * The ExecStartPre helper that writes `flannel-iface` into /etc/rancher/k3s/config.yaml.d/ at every
 * start of K3s: the interface that carries the node's address, whatever its name on this boot
 * (cluster/scripts/flannel-iface.sh says why the configured name cannot be trusted).
 */
export function renderFlannelIfaceHelper(args: { nodeName: string; nodeIp: string; expectedIface: string; attempts?: number }): string {
  return renderTemplate("flannel-iface.sh", {
    NODE_NAME: args.nodeName,
    NODE_IP: args.nodeIp,
    EXPECTED_IFACE: args.expectedIface,
    ATTEMPTS: args.attempts ?? FLANNEL_IFACE_ATTEMPTS,
  });
}

/**
 * The K3s service's drop-in. The k3s process holds the kubelet, containerd and, on servers, the API
 * server and embedded etcd: when the guest runs out of memory the kernel must take a pod, not etcd
 * (a killed etcd member stalls the control plane; on two servers, the whole cluster). -999 is what
 * the kubelet gives itself and the container runtime on other distributions; pods get their
 * oom_score_adj from their QoS class (BestEffort 1000, Burstable 2-999, Guaranteed -997), so they are
 * always chosen first. Before each start, the flannel interface helper names flannel's interface by
 * the node's address (appended to the unit's own ExecStartPre lines; a failure fails the start, and
 * the unit's Restart=always tries again). Applied with a restart of the service when it changes.
 */
export function k3sServiceDropIn(): string {
  return [
    "# Written by FlatcarMicroCloud (Pulumi, stage 2): the OOM killer takes pods before K3s and etcd;",
    "# flannel's interface is the one carrying node-ip, looked up at each start.",
    "[Service]",
    "OOMScoreAdjust=-999",
    `ExecStartPre=${FLANNEL_IFACE_HELPER}`,
  ].join("\n");
}

/** Install / upgrade / reconfigure K3s; the node's config.yaml is read from stdin. */
export function renderInstallK3s(args: InstallScriptArgs): string {
  const { service } = k3sService(args.kind);
  return renderTemplate("install-k3s.sh", {
    VERSION: args.version,
    RELEASE_URL: k3sReleaseUrl(args.version),
    INSTALLER_URL: k3sInstallerUrl(args.version),
    EXEC: isServer(args.kind) ? "server" : "agent",
    SERVICE: service,
    NODE_NAME: args.nodeName,
    // Agents have no admin kubeconfig; the kubelet's own credentials may read its Node and /readyz.
    NODE_KUBECONFIG: isServer(args.kind) ? "/etc/rancher/k3s/k3s.yaml" : "/var/lib/rancher/k3s/agent/kubelet.kubeconfig",
    READY_ATTEMPTS: attempts(args.readyTimeoutSeconds ?? READY_TIMEOUT_SECONDS),
    READY_INTERVAL_SECONDS,
    PEER_SERVERS: args.kind === "init-server" ? (args.peerServers ?? []) : [],
    SERVICE_DROPIN: k3sServiceDropIn(),
    FLANNEL_IFACE_HELPER,
    // Without its final newline: the script compares it with `$(cat file)`, which drops that newline.
    FLANNEL_IFACE_HELPER_SCRIPT: renderFlannelIfaceHelper({ nodeName: args.nodeName, nodeIp: args.nodeIp, expectedIface: args.expectedIface }).trimEnd(),
  });
}

/** Uninstall K3s, but only on the machine it was installed on (`machineId` from the boot step). */
export function renderUninstallK3s(args: { nodeName: string; kind: K3sNodeKind; machineId: string }): string {
  return renderTemplate("uninstall-k3s.sh", {
    NODE_NAME: args.nodeName,
    EXPECTED_MACHINE_ID: args.machineId.trim(),
    UNINSTALL: k3sService(args.kind).uninstall,
  });
}

/**
 * Node annotations the member step keeps: which labels and taints it set (so it removes only its
 * own when the config drops one), and that a cordon is its own drain's (so it uncordons only that).
 */
export const NODE_MARKS = {
  labels: "flatcarmicrocloud.io/managed-labels",
  taints: "flatcarmicrocloud.io/managed-taints",
  cordon: "flatcarmicrocloud.io/cordoned-by",
} as const;

/** `key[=value]:Effect` as Kubernetes names a taint: `key:Effect` (what `kubectl taint ... key:Effect-` removes). */
export function taintIdentity(taint: string): string {
  const colon = taint.lastIndexOf(":");
  if (colon < 0) throw new Error(`taint "${taint}" has no effect (key[=value]:NoSchedule|PreferNoSchedule|NoExecute)`);
  const spec = taint.slice(0, colon);
  const eq = spec.indexOf("=");
  return `${eq < 0 ? spec : spec.slice(0, eq)}:${taint.slice(colon + 1)}`;
}

/**
 * On a server: wait for the node to be Ready, make its labels and taints the configured ones
 * (removing only those this step set before), uncordon it when this program's drain cordoned it.
 */
export function renderReconcileNode(args: { nodeName: string; labels: Record<string, string>; taints: string[] }): string {
  return renderTemplate("reconcile-node.sh", {
    NODE_NAME: args.nodeName,
    LABELS: Object.entries(args.labels).map(([k, v]) => `${k}=${v}`),
    LABEL_KEYS: Object.keys(args.labels),
    TAINTS: args.taints,
    TAINT_IDS: args.taints.map(taintIdentity),
    LABELS_MARK: NODE_MARKS.labels,
    TAINTS_MARK: NODE_MARKS.taints,
    CORDON_MARK: NODE_MARKS.cordon,
    READY_ATTEMPTS: attempts(READY_TIMEOUT_SECONDS),
    READY_INTERVAL_SECONDS,
  });
}

/**
 * On a server: cordon (marked as this program's) and drain the node before its VM is re-created or
 * removed; it stays a member. Fails when the drain does not finish, and on a storage node unless
 * Ceph is HEALTH_OK with every PG active+clean, so Pulumi leaves the VM alone.
 */
export function renderDrainNode(args: { nodeName: string; storage: boolean; drainTimeoutSeconds?: number }): string {
  return renderTemplate("drain-node.sh", {
    NODE_NAME: args.nodeName,
    DRAIN_TIMEOUT_SECONDS: args.drainTimeoutSeconds ?? DRAIN_TIMEOUT_SECONDS,
    STORAGE_NODE: args.storage ? "yes" : "no",
    CORDON_MARK: NODE_MARKS.cordon,
  });
}

/** How long a VM may take to power off cleanly before its domain is deleted. */
export const SHUTDOWN_TIMEOUT_SECONDS = 300;
/** Seconds between two looks at the domain's state; the shutdown request is repeated every minute. */
export const SHUTDOWN_INTERVAL_SECONDS = 5;

/**
 * On the machine running Pulumi (where the libvirt provider runs), before the provider deletes the
 * domain (which destroys a running one: a hard power-off): asks the guest to power off (libvirt's
 * shutdown: the ACPI power button, which systemd-logind turns into `systemctl poweroff`) and waits,
 * bounded, until the domain is shut off. Fails when it is not, and never powers it off hard.
 */
export function renderShutdownVm(args: { libvirtUri: string; domain: string; timeoutSeconds?: number; intervalSeconds?: number }): string {
  return renderTemplate("shutdown-vm.sh", {
    LIBVIRT_URI: args.libvirtUri,
    DOMAIN: args.domain,
    TIMEOUT_SECONDS: args.timeoutSeconds ?? SHUTDOWN_TIMEOUT_SECONDS,
    INTERVAL_SECONDS: args.intervalSeconds ?? SHUTDOWN_INTERVAL_SECONDS,
  });
}

/** On a server: drain the node and delete it from Kubernetes (and from etcd, for a server). */
export function renderRemoveNode(args: { nodeName: string; drainTimeoutSeconds?: number }): string {
  return renderTemplate("remove-node.sh", {
    NODE_NAME: args.nodeName,
    DRAIN_TIMEOUT_SECONDS: args.drainTimeoutSeconds ?? DRAIN_TIMEOUT_SECONDS,
  });
}

/**
 * The Kubernetes identity the Pulumi program uses: a ServiceAccount bound to cluster-admin with a
 * token Secret, which does not expire (K3s's admin client certificate lives 365 days and is renewed
 * only on disk). Rotate it by deleting the Secret and replacing the kubeconfig step.
 */
export const PULUMI_SERVICE_ACCOUNT = { namespace: "kube-system", name: "flatcarmicrocloud-pulumi", secret: "flatcarmicrocloud-pulumi-token" } as const;

/** On the first server: ensure the ServiceAccount and its token, print a kubeconfig with that token. */
export function renderReadKubeconfig(version: string): string {
  return renderTemplate("read-kubeconfig.sh", {
    VERSION: version,
    NAMESPACE: PULUMI_SERVICE_ACCOUNT.namespace,
    ACCOUNT: PULUMI_SERVICE_ACCOUNT.name,
    SECRET: PULUMI_SERVICE_ACCOUNT.secret,
    TOKEN_ATTEMPTS: 60,
  });
}

/** The URL the API gateway probe asks: the API's `/readyz` through HAProxy, at `address`. */
export function apiGatewayUrl(address: string): string {
  return `https://${address}:${K3S_API_PORT}/readyz`;
}

/**
 * On the load balancer: wait (bounded) until HAProxy at `address` forwards the API to a server,
 * i.e. until the probe gets any HTTP status.
 */
export function renderWaitForApiGateway(args: { address: string; timeoutSeconds?: number; intervalSeconds?: number }): string {
  return renderTemplate("wait-for-api-gateway.sh", {
    API_URL: apiGatewayUrl(args.address),
    TIMEOUT_SECONDS: args.timeoutSeconds ?? API_GATEWAY_TIMEOUT_SECONDS,
    INTERVAL_SECONDS: args.intervalSeconds ?? READY_INTERVAL_SECONDS,
  });
}

/** How long `k3s server --cluster-reset` may take (a large snapshot downloaded from the target). */
export const RESET_TIMEOUT_SECONDS = 1800;

/**
 * The etcd restore's steps on one K3s node (preflight, stop, reset, rejoin, and for a rebuilt stack
 * forget-node-passwords and restart-agent: cluster/etcd-restore.ts orders them across the nodes);
 * the step and its arguments come on the command line.
 */
export function renderRestoreEtcd(): string {
  return renderTemplate("restore-etcd.sh", {
    SERVICE: k3sService("server").service,
    AGENT_SERVICE: k3sService("agent").service,
    READY_ATTEMPTS: attempts(READY_TIMEOUT_SECONDS),
    READY_INTERVAL_SECONDS,
    RESET_TIMEOUT_SECONDS,
  });
}
