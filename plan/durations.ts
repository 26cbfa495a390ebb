/**
 * How long each kind of resource takes to create on the target host: the one table the plan's
 * critical path is computed from. Estimates, not measurements of this project; change a row when a
 * real `pulumi up` on the host shows otherwise (`pulumi up` prints each resource's time).
 *
 * Assumptions behind the numbers:
 * - the seed's host: a ProLiant DL380 G7 with local disks, and an Internet link of about 10 MB/s
 *   (the base images and the K3s binary are downloaded once per stack);
 * - libvirt calls (define, start, create a volume) return in a second or two; a VM's boot is not
 *   part of its domain (the provider does not wait for a DHCP lease: `waitForLease: false`), it is
 *   waited for by stage 2's first command on that node;
 * - a Helm release is `atomic`: it takes as long as its slowest workload needs to become Ready,
 *   which is mostly image pulls over the same link.
 * The first matching row wins; a resource type no row names falls back to DEFAULT_DURATION, and the
 * plan lists such types so this table can be completed.
 */

export interface DurationRule {
  /** Resource type token, or a pattern over it. */
  type: string | RegExp;
  /** Optional pattern over the resource's name (e.g. the step a remote command runs). */
  name?: RegExp;
  /** Optional test over the resource's inputs (e.g. a volume with a download `source`). */
  when?: (inputs: Record<string, unknown>) => boolean;
  seconds: number;
  /** Short label printed next to each resource on the critical path. */
  kind: string;
  /** Where the number comes from. */
  basis: string;
}

export const DURATIONS: readonly DurationRule[] = [
  { type: /^pulumi:providers:/, seconds: 1, kind: "provider", basis: "plugin start and configure" },
  {
    type: "command:local:Command",
    name: /host-preflight$/,
    seconds: 3,
    kind: "host preflight",
    basis: "a few virsh calls to libvirt (over SSH for a remote host) and local tool lookups",
  },
  { type: "libvirt:index/pool:Pool", seconds: 2, kind: "storage pool", basis: "mkdir + pool define/start" },
  { type: "libvirt:index/network:Network", seconds: 3, kind: "network", basis: "define, start bridge and dnsmasq" },
  {
    type: "libvirt:index/volume:Volume",
    when: (i) => typeof i.source === "string",
    seconds: 120,
    kind: "base image download",
    basis: "Flatcar qemu image / Rocky GenericCloud qcow2, ~0.5-1 GiB at ~10 MB/s, then copied into the pool",
  },
  {
    type: "libvirt:index/volume:Volume",
    when: (i) => i.baseVolumeId !== undefined,
    seconds: 2,
    kind: "root overlay",
    basis: "qcow2 overlay on the base image: metadata only",
  },
  { type: "libvirt:index/volume:Volume", seconds: 2, kind: "data volume", basis: "sparse raw volume: no data written" },
  { type: "libvirt:index/ignition:Ignition", seconds: 2, kind: "ignition file", basis: "one small file uploaded to the pool" },
  { type: "libvirt:index/cloudinitDisk:CloudinitDisk", seconds: 5, kind: "cloud-init ISO", basis: "ISO built locally and uploaded" },
  { type: "libvirt:index/domain:Domain", seconds: 15, kind: "VM define + start", basis: "define and start; boot is waited for in stage 2" },
  {
    type: "command:remote:Command",
    name: /^ssh-first-contact-/,
    seconds: 60,
    kind: "wait for sshd (on bastion)",
    basis: "the VM's boot until sshd answers, plus 3 steady probes 5 s apart",
  },
  {
    type: "command:remote:Command",
    name: /-boot$/,
    seconds: 90,
    kind: "wait for first boot",
    basis: "Flatcar: firmware, Ignition, network, sshd (~45-90 s on the G7)",
  },
  {
    type: "command:remote:Command",
    name: /-k3s$/,
    seconds: 90,
    kind: "K3s install",
    basis: "K3s binary (~70 MB) download, start, node Ready (servers: etcd join)",
  },
  { type: "command:remote:Command", name: /-member$/, seconds: 10, kind: "node labels/taints", basis: "kubectl on the first server" },
  {
    type: "command:local:Command",
    name: /-shutdown$/,
    seconds: 0,
    kind: "clean shutdown (on delete)",
    basis: "no create command: recorded without running anything (its delete powers the guest off)",
  },
  {
    type: "command:remote:Command",
    name: /-membership$/,
    seconds: 0,
    kind: "membership record",
    basis: "no create command: the provider records it without connecting (its delete removes the node)",
  },
  { type: "command:remote:Command", name: /-kubeconfig$/, seconds: 3, kind: "read kubeconfig", basis: "one SSH round trip" },
  {
    type: "command:remote:Command",
    name: /-api-gateway$/,
    seconds: 10,
    kind: "API via load balancer",
    basis: "HAProxy takes a Ready server in after 2 health checks 5 s apart",
  },
  { type: "command:remote:Command", seconds: 30, kind: "remote command", basis: "an SSH session running a script" },
  { type: /^random:/, seconds: 0, kind: "random value", basis: "generated locally" },
  {
    type: "kubernetes:helm.sh/v3:Release",
    name: /rook-ceph-cluster|ceph-cluster/,
    seconds: 600,
    kind: "Helm: Ceph cluster",
    basis: "mons, mgr, OSD prepare on each storage node, then the pools (Rook's own docs: several minutes)",
  },
  {
    type: "kubernetes:helm.sh/v3:Release",
    name: /prometheus|monitoring/,
    seconds: 300,
    kind: "Helm: monitoring",
    basis: "operator, Prometheus and Grafana images, PVCs bound on Ceph",
  },
  {
    type: "kubernetes:helm.sh/v3:Release",
    name: /kured/,
    seconds: 60,
    kind: "Helm: reboot coordinator",
    basis: "one small image pulled on every node at once; the DaemonSet is Ready when each pod's first metrics probe answers",
  },
  {
    type: "kubernetes:helm.sh/v3:Release",
    seconds: 120,
    kind: "Helm release",
    basis: "atomic install: image pulls until every workload is Ready",
  },
  {
    type: "kubernetes:core/v1:PersistentVolumeClaim",
    seconds: 60,
    kind: "volume claim (await Bound)",
    basis: "the provider waits until Ceph CSI has provisioned and bound the volume",
  },
  {
    type: "kubernetes:kafka.strimzi.io/v1:Kafka",
    when: awaited,
    seconds: 300,
    kind: "Kafka (await Ready)",
    basis: "Strimzi starts the brokers (Kafka image on each node, Ceph volumes bound) and the entity operator, then sets Ready",
  },
  {
    type: "kubernetes:cert-manager.io/v1:Certificate",
    when: awaited,
    seconds: 60,
    kind: "certificate (await issued)",
    basis: "HTTP-01 solver pod, cert-manager's self-check, FreeIPA's validation and signing",
  },
  { type: /^kubernetes:/, seconds: 3, kind: "Kubernetes object", basis: "one API call (custom resources are not awaited unless annotated pulumi.com/waitFor)" },
];

/** A Kubernetes object the provider awaits (`pulumi.com/waitFor`, platform/await.ts). */
function awaited(inputs: Record<string, unknown>): boolean {
  const annotations = (inputs.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations;
  return typeof annotations?.["pulumi.com/waitFor"] === "string";
}

/** For a resource type no row names. */
export const DEFAULT_DURATION: DurationRule = { type: "*", seconds: 10, kind: "unlisted type", basis: "default: add a row" };

export interface Estimate {
  seconds: number;
  kind: string;
  /** False when the default was used. */
  listed: boolean;
}

/** Component resources only group their children: they take no time of their own. */
export function estimateDuration(r: { type: string; name: string; custom: boolean; inputs: Record<string, unknown> }): Estimate {
  if (!r.custom) return { seconds: 0, kind: "component", listed: true };
  for (const rule of DURATIONS) {
    const typeMatches = typeof rule.type === "string" ? rule.type === r.type : rule.type.test(r.type);
    if (!typeMatches) continue;
    if (rule.name && !rule.name.test(r.name)) continue;
    if (rule.when && !rule.when(r.inputs)) continue;
    return { seconds: rule.seconds, kind: rule.kind, listed: true };
  }
  return { seconds: DEFAULT_DURATION.seconds, kind: DEFAULT_DURATION.kind, listed: false };
}
