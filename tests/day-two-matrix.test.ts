/**
 * docs/day-two.md's change matrix, one test per row. Each row names a change, applied here to the
 * committed prod (or dev) stack config; its outcome is checked against what a real `pulumi up` does:
 * - refused rows: the day-two check (infra/deployment-record.ts) on the records of the config before
 *   and after must name the key;
 * - the others: that check must pass, and stage 1 and 2 recorded before and after under the mock
 *   engine, with the providers' replace rules applied (plan/day-two-model.ts), must re-create
 *   exactly the VM the row names (its domain only), give exactly that VM a new root disk, or
 *   neither ("in place").
 * A last test holds the table to the program: every stack config key and every VM field has a row.
 */
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "fs";
import { join } from "path";
import { K3sCluster } from "../cluster";
import { ALERT_CONFIG_KEYS, ALERT_SECRET_KEYS, parseAlertSettings } from "../config/alerts";
import { BACKUP_CONFIG_KEYS, BACKUP_SECRET_KEYS, parseBackupSettings, RawBackupSecrets } from "../config/backup";
import { CLUSTER_CONFIG_KEYS, parseClusterSettings } from "../config/cluster";
import { EXISTING_CLUSTER_CONFIG_KEYS } from "../config/existing-cluster";
import { ONE_HOST_KEYS } from "../config/hosts";
import { CONFIG_KEYS } from "../config/load";
import { parsePlatformSettings, PLATFORM_CONFIG_KEYS } from "../config/platform";
import { parseRoleSettings, ROLE_CONFIG_KEYS } from "../config/roles";
import { SECRET_CONFIG_KEYS } from "../config/secret";
import { deploys, Topology } from "../config/topology";
import { parseRegistryMirror } from "../config/registry-mirror";
import { Collector, parseTopology } from "../config/validate";
import { switchProblem } from "../existing-cluster";
import { Infra } from "../infra";
import { DeploymentRecord, dayTwoProblems } from "../infra/deployment-record";
import { GuestRoles } from "../infra/guest-roles";
import { HostSettingsDelivery } from "../infra/host-settings";
import { plannedDeployment } from "../infra/machines";
import { dayTwo, DayTwoResult } from "../plan/day-two-model";
import { pemBlock } from "../plan/stack-config";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { machineOutputs, TOKEN } from "./helpers/machine-outputs";
import { k3sTokenProblems } from "../infra/k3s-token-day-two";
import { stackConfig } from "./helpers/stacks";
import { bridgeClusterNetwork, listHosts, secondHost, seedHost } from "./helpers/two-hosts";

type Raw = Record<string, unknown>;
/** An off-host backup target; the secret keys count as set with --secret (backupSecretsOf). */
const BACKUP_TARGET = {
  backupS3Endpoint: "https://s3.example.net",
  backupS3Bucket: "fmc-backups",
  backupS3AccessKeyId: "AKIAFMCTEST",
  backupS3SecretAccessKey: "test-secret-key",
  backupPassphrase: "a long test passphrase 0123",
};
/**
 * The PostgreSQL and FreeIPA VMs' backups commands run their scripts again (`update`), and each K3s server's install
 * step gets its new config.yaml (K3s's etcd snapshot keys: `update`, a restart of K3s, one server at
 * a time); the agents' steps are untouched. Replaced by nothing.
 */
const backupsCommandUpdates = (r: DayTwoResult) => {
  expect(r.changes.get("guest-roles-postgresql1-backups")?.change).toBe("update");
  expect(r.changes.get("guest-roles-freeipa1-backups")?.change).toBe("update");
  expect(["bootstrap1", "master1"].map((n) => r.changes.get(`cluster-${n}-k3s`)?.change)).toEqual(["update", "update"]);
  expect(["worker1", "worker2", "worker3"].map((n) => r.changes.get(`cluster-${n}-k3s`)?.change ?? "same")).toEqual(["same", "same", "same"]);
};
const backupSecretsOf = (raw: Raw): RawBackupSecrets =>
  Object.fromEntries(BACKUP_SECRET_KEYS.filter((k) => typeof raw[k] === "string").map((k) => [k, { value: raw[k] as string, secret: true }]));
const SSH_KEY = pemBlock("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAA");
const K3S_NODES = ["bootstrap1", "master1", "worker1", "worker2", "worker3"];

interface Row {
  id: string;
  outcome: string;
}

function tableRows(): Row[] {
  const doc = readFileSync(join(__dirname, "..", "docs", "day-two.md"), "utf8");
  return doc
    .split("\n")
    .filter((l) => /^\| [a-zA-Z0-9]+ \|/.test(l) && !l.startsWith("| id |"))
    .map((l) => {
      const cells = l.split("|").map((c) => c.trim());
      return { id: cells[1], outcome: cells[3] };
    });
}

/** A K3s agent on the second host (tests/helpers/two-hosts.ts). */
const WORKER4 = { name: "worker4", role: "k3s-agent", os: "flatcar", vcpus: 4, memoryMiB: 6400, rootDiskGiB: 40, host: "proliant2", nics: [{ network: "kube_network_03", address: "10.17.4.27" }] };
/**
 * prod in `hosts` form on the seed's host (`pools` of its disks), with `more` hosts after it; then
 * the cluster network is a bridge onto the LAN both hosts share, so K3s nodes may run on either.
 */
const onHosts =
  (pools: 1 | 2, ...more: Raw[]) =>
  (r: Raw) => {
    listHosts(r, [seedHost(pools), ...more]);
    if (more.length > 0) bridgeClusterNetwork(r);
  };
const withWorker4 = (r: Raw) => {
  onHosts(1, secondHost())(r);
  r.vms = [...(r.vms as Raw[]), structuredClone(WORKER4)];
};
const hostsOf = (r: Raw) => r.hosts as Raw[];
/** A NAT network of the second host (networks[3]), no VM on it. */
const withPro2Nat = (r: Raw) => {
  r.networks = [...(r.networks as Raw[]), { name: "pro2_nat", mode: "nat", host: "proliant2", cidr: "10.17.6.0/24" }];
};
/** The libvirt objects (and providers) a result changes, other than those `keep` names. */
const libvirtChanges = (r: DayTwoResult, keep: (name: string) => boolean = () => false) =>
  [...r.changes.values()].filter((c) => (c.type.startsWith("libvirt:") || c.type === "pulumi:providers:libvirt") && c.change !== "same" && !keep(c.name)).map((c) => `${c.name}: ${c.change}`);

const vmIndex = (raw: Raw, name: string) => (raw.vms as { name: string }[]).findIndex((v) => v.name === name);
const vmOf = (raw: Raw, name: string) => (raw.vms as Record<string, unknown>[])[vmIndex(raw, name)] as Record<string, unknown> & { nics: Record<string, unknown>[] };

/**
 * Each row's change, on a copy of the stack config; `from` sets up the stack the change starts from
 * when it is not the committed one (recorded as its own "before"); `previous` rewrites the record the
 * last run left (as an earlier program wrote it).
 */
const CHANGES: Record<
  string,
  {
    stack?: "dev";
    from?: (raw: Raw) => void;
    legacy?: true;
    previous?: (record: DeploymentRecord) => DeploymentRecord;
    edit: (raw: Raw) => void;
    also?: (r: DayTwoResult) => void;
    /** The check that refuses the row, when it is not the day-two record's. */
    refusedBy?: (before: Parsed) => string[];
    /** A row about a stack without VMs (an existing cluster): its test lives in this file, named `row <id>`. */
    checkedIn?: string;
  }
> = {
  domain: { edit: (r) => (r.domain = "example.internal") },
  // A remote URI needs k3sApiHost; the load balancer's address is the API host already.
  libvirtUri: { edit: (r) => Object.assign(r, { libvirtUri: "qemu+ssh://root@localhost/system", k3sApiHost: "10.17.3.12" }) },
  hostName: { edit: (r) => (r.hostName = "proliant2") },
  hostAddresses: { edit: (r) => (r.hostAddresses = [...((r.hostAddresses as string[] | undefined) ?? []), "192.168.0.19"]) },
  hostCapacity: { edit: (r) => (r.hostMemoryGiB = Number(r.hostMemoryGiB) + 8) },
  storagePoolCapacity: { edit: (r) => (r.storagePoolCapacityGiB = 2000) },
  storagePoolPath: { edit: (r) => (r.storagePoolPath = "/var/lib/libvirt/images/elsewhere") },
  sshPublicKey: { edit: (r) => (r.sshPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJvdGF0ZWRrZXlyb3RhdGVka2V5cm90YXRlZGtleQ rotated") },
  adminUser: { edit: (r) => (r.adminUser = "operator") },
  // Valid only with every K3s node on the new network: a leg on kube_network_02 for those without.
  clusterNetwork: {
    edit: (r) => {
      let host = 40;
      for (const vm of r.vms as { role: string; nics: { network: string; address: string }[] }[]) {
        if (vm.role.startsWith("k3s-") && !vm.nics.some((n) => n.network === "kube_network_02")) vm.nics.push({ network: "kube_network_02", address: `10.17.3.${host++}` });
      }
      r.clusterNetwork = "kube_network_02";
    },
  },
  fallbackNtpServers: { stack: "dev", edit: (r) => (r.fallbackNtpServers = ["192.0.2.123"]) },
  protectStatefulDisks: { edit: (r) => (r.protectStatefulDisks = false) },
  networkAdded: { edit: (r) => (r.networks = [...(r.networks as unknown[]), { name: "kube_network_04", mode: "nat", cidr: "10.17.5.0/24" }]) },
  networkCidr: { edit: (r) => ((r.networks as Record<string, unknown>[])[1].cidr = "10.17.2.0/23") },
  sshPrivateKey: { edit: (r) => (r.sshPrivateKey = pemBlock("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAB")) },
  k3sVersion: { edit: (r) => (r.k3sVersion = "v1.36.6+k3s1") },
  k3sServers: { edit: (r) => (r.k3sServers = ["master1", "bootstrap1"]) },
  k3sApiHost: { edit: (r) => (r.k3sApiHost = "10.17.4.12") },
  k3sNodeChangesPerUp: { edit: (r) => (r.k3sNodeChangesPerUp = 2) },
  appsRegistryInCluster: { edit: () => undefined, checkedIn: "tests/registry-builds-day-two.test.ts" },
  registryOn: { edit: () => undefined, checkedIn: "tests/registry-day-two.test.ts" },
  registryOff: { edit: () => undefined, checkedIn: "tests/registry-day-two.test.ts" },
  registrySettings: { edit: () => undefined, checkedIn: "tests/registry-day-two.test.ts" },
  // Every node's install step updates in place (its stdin carries the files), none is replaced.
  registryMirror: {
    edit: (r) => (r.registryMirror = { endpoint: "https://mirror.lan:5000", airGap: true }),
    also: (r) => {
      const nodes = ["bootstrap1", "master1", "worker1", "worker2", "worker3"];
      expect(nodes.map((n) => [n, r.changes.get(`cluster-${n}-k3s`)?.change])).toEqual(nodes.map((n) => [n, "update"]));
      expect([...r.changes.values()].filter((c) => c.name.startsWith("cluster-") && c.change === "replace")).toEqual([]);
    },
  },
  platform: { edit: (r) => Object.assign(r, { prometheusRetention: "30d", kafkaRetentionHours: 24, cephObjectStore: true, rebootWindow: "sa,su 02:00-06:00" }) },
  wireguardPeers: {
    edit: (r) => (r.wireguardPeers = [{ name: "laptop", publicKey: "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=", allowedIps: ["10.17.99.2/32"] }]),
  },
  wireguardPort: { edit: (r) => (r.wireguardPort = 51821) },
  sshJumpHost: { edit: (r) => (r.sshJumpHost = r.sshJumpHost === "bastion1" ? "none" : "bastion1") },
  postgres: { edit: (r) => (r.postgresBackupTime = "03:30") },
  vcpus: { edit: (r) => (vmOf(r, "worker3").vcpus = Number(vmOf(r, "worker3").vcpus) - 1) },
  memoryMiB: { edit: (r) => (vmOf(r, "bootstrap1").memoryMiB = Number(vmOf(r, "bootstrap1").memoryMiB) - 256) },
  rootDiskGiB: { edit: (r) => (vmOf(r, "worker3").rootDiskGiB = Number(vmOf(r, "worker3").rootDiskGiB) + 10) },
  dataDiskGiB: { edit: (r) => (vmOf(r, "worker3").dataDiskGiB = Number(vmOf(r, "worker3").dataDiskGiB) + 10) },
  mac: { edit: (r) => (vmOf(r, "worker3").nics[0].mac = "52:54:00:00:00:33") },
  address: { edit: (r) => (vmOf(r, "worker2").nics[0].address = "10.17.4.35") },
  labels: { edit: (r) => (vmOf(r, "worker1").labels = { tier: "edge" }) },
  // From prod in the hosts list (its one host), a second host with a new agent on it: the K3s
  // nodes now span two hosts, so every node gets its zone label in place.
  zoneLabels: {
    from: (r) => {
      const host = { name: "proliant1", libvirtUri: r.libvirtUri ?? "qemu:///system", threads: r.hostVcpus, memoryGiB: r.hostMemoryGiB, reservedMemoryGiB: r.hostReservedMemoryGiB, addresses: r.hostAddresses, pools: [{ name: "disk1", path: r.storagePoolPath ?? "/var/lib/libvirt/images/flatcarmicrocloud-prod" }] };
      for (const key of ONE_HOST_KEYS) delete r[key];
      r.hosts = [host];
      // A cluster network that can span hosts: a bridge onto a LAN segment (config/network-span.ts).
      r.networks = (r.networks as Record<string, unknown>[]).map((n) => (n.name === r.clusterNetwork ? { name: n.name, mode: "bridge", bridge: "br-kube", cidr: n.cidr, gateway: "10.17.4.1" } : n));
    },
    edit: (r) => {
      const hosts = r.hosts as Record<string, unknown>[];
      hosts.push({ ...hosts[0], name: "proliant2", libvirtUri: "qemu+ssh://root@192.168.0.30/system", addresses: ["192.168.0.30"] });
      r.k3sApiHost ??= "10.17.3.12";
      const worker4 = structuredClone(vmOf(r, "worker3"));
      Object.assign(worker4, { name: "worker4", host: "proliant2", nics: [{ network: "kube_network_03", address: "10.17.4.27" }] });
      delete worker4.dataDiskGiB;
      (r.vms as unknown[]).push(worker4);
    },
    also: (r) => {
      for (const node of ["bootstrap1", "worker1"]) {
        expect([node, r.changes.get(`cluster-${node}-member`)?.change, r.changes.get(`cluster-${node}-k3s`)?.change]).toEqual([node, "update", "update"]);
      }
    },
  },
  twoNodes: {
    edit: (r) => {
      vmOf(r, "worker2").vcpus = Number(vmOf(r, "worker2").vcpus) - 1;
      vmOf(r, "worker3").vcpus = Number(vmOf(r, "worker3").vcpus) - 1;
    },
  },
  serverDisk: { edit: (r) => (vmOf(r, "bootstrap1").nics[0].mac = "52:54:00:00:00:14") },
  singleServer: { stack: "dev", edit: (r) => (vmOf(r, "server1").nics[0].mac = "52:54:00:00:00:11") },
  statefulIdentity: { edit: (r) => (vmOf(r, "freeipa1").nics[0].mac = "52:54:00:00:00:12") },
  name: { edit: (r) => (vmOf(r, "worker3").name = "worker4") },
  removed: { edit: (r) => (r.vms = (r.vms as { name: string }[]).filter((v) => v.name !== "worker3")) },
  // A mirror's copy of the same release: the base volume's `source` is ForceNew but ignored.
  imageUrl: {
    edit: (r) =>
      Object.assign(r, { flatcarImageUrl: "https://mirror.example.net/flatcar/flatcar_production_qemu_image.img", rockyImageUrl: "https://mirror.example.net/rocky/Rocky-GenericCloud.qcow2" }),
  },
  vmCpuMode: { edit: (r) => (r.vmCpuMode = "host-model") },
  deployUpToRaised: {
    from: (r) => (r.deployUpTo = "vms"),
    edit: (r) => (r.deployUpTo = "platform"),
    // The later stages are created; nothing of stage 1 changes.
    also: (r) => {
      expect(r.created).toEqual(expect.arrayContaining(["cluster-token", "cluster-bootstrap1-k3s", "host-settings-worker3"]));
      expect([...r.changes.values()].filter((c) => c.type.startsWith("libvirt:") && c.change !== "same")).toEqual([]);
    },
  },
  deployUpToLowered: { edit: (r) => (r.deployUpTo = "cluster") },
  deployUpToApps: { edit: (r) => (r.deployUpTo = "platform") },
  // A program before the apps stage recorded `platform` for everything (no `stages` in its record).
  deployUpToAppsLegacy: {
    previous: ({ stages: _known, ...record }) => ({ ...record, deployUpTo: "platform" }),
    edit: (r) => (r.deployUpTo = "platform"),
  },
  deployUpToVms: { edit: (r) => (r.deployUpTo = "vms") },
  // The same config, first deployed by a program before the Ceph state disk existed.
  cephStateDisk: {
    legacy: true,
    edit: () => undefined,
    also: (r) => {
      // (The old program had no state volumes: here they stand unattached in the "before".) The
      // state step runs again on worker1's new domain; worker2 and worker3 wait for a later run.
      expect(r.changes.get("cluster-worker1-ceph-state")?.change).toBe("replace");
      expect(["worker2", "worker3"].map((w) => r.changes.get(`cluster-${w}-ceph-state`)?.change)).toEqual(["same", "same"]);
      expect(r.changes.get("infra-worker1")?.replaceKeys).toEqual(["disks"]);
      // Drained before the old VM goes, uncordoned after the state is on its disk; K3s stays.
      expect(r.deletedBefore.get("infra-worker1")).toEqual(expect.arrayContaining(["cluster-worker1-member"]));
      // (Its uninstall script, taken from the new boot step's output, updates; nothing replaces it.)
      expect(["cluster-worker1-k3s", "cluster-worker1-membership"].map((n) => r.changes.get(n)?.change)).not.toContain("replace");
    },
  },
  cephStateDiskGiB: { edit: (r) => (r.cephStateDiskGiB = 30) },
  alerts: {
    edit: (r) =>
      Object.assign(r, {
        alertEmailTo: ["ops@example.net"],
        alertEmailFrom: "alertmanager@example.net",
        alertSmtpSmarthost: "smtp.example.net:587",
        alertSmtpUsername: "alertmanager",
        alertSmtpPassword: "smtp-password",
        alertSmtpRequireTls: true,
        alertWebhookUrl: "https://hooks.example.net/alerts",
      }),
  },
  backupOn: { edit: (r) => Object.assign(r, BACKUP_TARGET), also: backupsCommandUpdates },
  backupTarget: {
    from: (r) => Object.assign(r, BACKUP_TARGET),
    also: backupsCommandUpdates,
    edit: (r) =>
      Object.assign(r, {
        backupS3Endpoint: "https://backup.example.net:9443",
        backupS3Bucket: "fmc-other",
        backupS3Region: "eu-west-1",
        backupS3PathStyle: false,
        backupS3AccessKeyId: "AKIAROTATED",
        backupS3SecretAccessKey: "rotated-secret-key",
        backupPassphrase: "another long passphrase 1234",
      }),
  },
  backupSchedules: {
    from: (r) => Object.assign(r, BACKUP_TARGET),
    also: backupsCommandUpdates,
    edit: (r) =>
      Object.assign(r, {
        backupPostgresqlFullSchedule: "sa 02:00",
        backupPostgresqlDiffSchedule: "every 12h",
        backupPostgresqlRetentionDays: 30,
        backupEtcdSchedule: "every 2h",
        backupEtcdRetentionDays: 3,
        backupFreeipaSchedule: "su 04:00",
        backupFreeipaRetentionDays: 30,
        backupVolumesSchedule: "every 12h",
        backupVolumesRetentionDays: 14,
      }),
  },
  backupOff: {
    from: (r) => Object.assign(r, BACKUP_TARGET),
    also: backupsCommandUpdates,
    edit: (r) => {
      for (const key of [...BACKUP_CONFIG_KEYS, ...BACKUP_SECRET_KEYS]) delete r[key];
    },
  },
  // The token the cluster runs with (the harness's generated one): no input of any step changes.
  k3sTokenPinned: {
    edit: (r) => (r.k3sToken = TOKEN),
    also: (r) => expect(K3S_NODES.map((n) => r.changes.get(`cluster-${n}-k3s`)?.change ?? "same")).toEqual(K3S_NODES.map(() => "same")),
  },
  k3sTokenChanged: {
    edit: (r) => (r.k3sToken = "an0therClusterToken0an0therClusterToken0an0ther"),
    refusedBy: (before) => k3sTokenProblems({ record: { ...before.record, k3sToken: "generated" }, k3sToken: TOKEN }, "an0therClusterToken0an0therClusterToken0an0ther"),
  },
  // Touches no stage 1-2 input; the Helm side: tests/platform-day-two.test.ts.
  chartMirror: { edit: (r) => (r.chartMirror = "http://127.0.0.1:8879") },
  // The same; the Helm and CRD side: tests/platform-day-two.test.ts.
  chartVersions: { from: (r) => (r.chartVersions = { traefik: "41.1.1" }), edit: (r) => delete r.chartVersions },
  // The program's own check, before anything on the cluster (existing-cluster/index.ts).
  kubeconfig: { edit: () => undefined, refusedBy: (before) => [switchProblem(before.record)].filter((p): p is string => p !== undefined) },
  existingCluster: { edit: () => undefined, checkedIn: "tests/platform-day-two.test.ts" },
  volumeBackupTarget: { edit: () => undefined, checkedIn: "tests/platform-volume-backups.test.ts" },
  volumeBackupSchedule: { edit: () => undefined, checkedIn: "tests/platform-volume-backups.test.ts" },
  volumeBackupsOff: { edit: () => undefined, checkedIn: "tests/platform-volume-backups.test.ts" },
  volumeBackupsOn: { edit: () => undefined, checkedIn: "tests/platform-volume-backups.test.ts" },
  buildsOn: { edit: () => undefined, checkedIn: "tests/platform-builds-day-two.test.ts" },
  buildsOff: { edit: () => undefined, checkedIn: "tests/platform-builds-day-two.test.ts" },
  buildsSettings: { edit: () => undefined, checkedIn: "tests/platform-builds-day-two.test.ts" },
  logsOn: { edit: () => undefined, checkedIn: "tests/platform-logs.test.ts" },
  logsOff: { edit: () => undefined, checkedIn: "tests/platform-logs.test.ts" },
  logsStack: { edit: () => undefined, checkedIn: "tests/platform-logs.test.ts" },
  logsRetention: { edit: () => undefined, checkedIn: "tests/platform-logs.test.ts" },
  gitopsOn: { edit: () => undefined, checkedIn: "tests/platform-gitops.test.ts" },
  gitopsOff: { edit: () => undefined, checkedIn: "tests/platform-gitops.test.ts" },
  gitopsRepository: { edit: () => undefined, checkedIn: "tests/platform-gitops.test.ts" },
  gitopsDefaultProject: { edit: () => undefined, checkedIn: "tests/platform-gitops.test.ts" },
  optInHosts: { edit: () => undefined, checkedIn: "tests/route-hosts.test.ts" },
  // Hosts and pools: from prod's VMs in `hosts` form (tests/helpers/two-hosts.ts).
  hostsList: { edit: onHosts(1), also: (r) => expect(libvirtChanges(r)).toEqual([]) },
  hostAdded: {
    from: onHosts(1),
    edit: (r) => hostsOf(r).push(secondHost()),
    also: (r) => {
      expect(r.created.sort()).toEqual(["infra-host-preflight-proliant2/disk1", "infra-host-proliant2", "infra-pool-proliant2/disk1"]);
      expect([...r.updated, ...r.replaced, ...r.deleted]).toEqual([]);
    },
  },
  hostVm: {
    from: onHosts(1, secondHost()),
    edit: (r) => (r.vms = [...(r.vms as Raw[]), structuredClone(WORKER4)]),
    also: (r) => {
      // Only creates: worker4's objects and what its host now needs (its network, its base images).
      expect(libvirtChanges(r, (n) => n.startsWith("infra-worker4") || n.startsWith("infra-proliant2/"))).toEqual([]);
      expect(r.created).toEqual(expect.arrayContaining(["infra-worker4", "infra-worker4-root", "infra-proliant2/kube_network_03", "cluster-worker4-k3s"]));
      expect(libvirtChanges(r).every((c) => c.endsWith(": create"))).toBe(true);
      expect(h.byName("rowhostVm-infra-worker4").provider).toContain("::rowhostVm-infra-host-proliant2::");
      expect(h.byName("rowhostVm-infra-worker4-root").provider).toContain("::rowhostVm-infra-host-proliant2::");
    },
  },
  poolAdded: { from: onHosts(1), edit: (r) => ((hostsOf(r)[0].pools as Raw[]).push({ name: "disk2", path: "/srv/disk2/flatcarmicrocloud-prod" })) },
  hostMove: { from: onHosts(1, secondHost()), edit: (r) => (vmOf(r, "worker3").host = "proliant2") },
  poolMove: { from: onHosts(2), edit: (r) => (vmOf(r, "worker3").pool = "disk2") },
  dataPoolMove: { from: onHosts(2), edit: (r) => (vmOf(r, "worker3").dataPool = "disk2") },
  poolPath: {
    from: (r) => {
      onHosts(2)(r);
      vmOf(r, "worker2").dataPool = "disk2";
    },
    edit: (r) => ((hostsOf(r)[0].pools as Raw[])[1].path = "/srv/disk3/flatcarmicrocloud-prod"),
  },
  poolRemoved: {
    from: (r) => {
      onHosts(2)(r);
      vmOf(r, "worker3").dataPool = "disk2";
    },
    edit: (r) => {
      (hostsOf(r)[0].pools as Raw[]).pop();
      r.vms = (r.vms as { name: string }[]).filter((v) => v.name !== "worker3");
    },
  },
  hostRemoved: {
    from: withWorker4,
    edit: (r) => {
      hostsOf(r).pop();
      r.vms = (r.vms as { name: string }[]).filter((v) => v.name !== "worker4");
    },
  },
  hostRemovedEmpty: {
    from: onHosts(1, secondHost()),
    edit: (r) => hostsOf(r).pop(),
    also: (r) => expect(r.deleted.sort()).toEqual(["infra-host-preflight-proliant2/disk1", "infra-host-proliant2", "infra-pool-proliant2/disk1"]),
  },
  // (Every VM then defaults to proliant2, a remote host: the API host must be given.)
  hostOrder: { from: onHosts(1, secondHost()), edit: (r) => Object.assign(r, { hosts: hostsOf(r).reverse(), k3sApiHost: "10.17.3.12" }) },
  hostRenamed: {
    from: withWorker4,
    edit: (r) => {
      hostsOf(r)[1].name = "proliant3";
      vmOf(r, "worker4").host = "proliant3";
    },
  },
  // The first host's name is the K3s nodes' zone once they span two hosts.
  hostRenamedFirst: { from: withWorker4, edit: (r) => (hostsOf(r)[0].name = "seed1") },
  hostRenamedUnlabelled: { from: onHosts(1), edit: (r) => (hostsOf(r)[0].name = "seed1"), also: (r) => expect(libvirtChanges(r)).toEqual([]) },
  networkHost: {
    from: (r) => {
      withWorker4(r);
      withPro2Nat(r);
      vmOf(r, "worker4").nics.push({ network: "pro2_nat", address: "10.17.6.27" });
      // Room on the seed's host for worker4 too, which the network's move takes along.
      Object.assign(hostsOf(r)[0], { threads: 32, memoryGiB: 48 });
    },
    edit: (r) => {
      (r.networks as Raw[])[3].host = "proliant1";
      vmOf(r, "worker4").host = "proliant1";
    },
  },
  networkHostEmpty: {
    from: (r) => {
      onHosts(1, secondHost())(r);
      withPro2Nat(r);
    },
    edit: (r) => ((r.networks as Raw[])[3].host = "proliant1"),
    also: (r) => {
      expect(r.deleted).toEqual(["infra-proliant2/pro2_nat"]);
      expect(r.created).toEqual(["infra-pro2_nat"]);
      expect(libvirtChanges(r, (n) => n.endsWith("pro2_nat"))).toEqual([]);
    },
  },
  hostBridges: { from: withWorker4, edit: (r) => ((r.networks as Raw[])[2].hostBridges = { proliant2: "br0" }) },
  hostBridgesEmpty: {
    from: onHosts(1, secondHost()),
    edit: (r) => ((r.networks as Raw[])[2].hostBridges = { proliant2: "br0" }),
    also: (r) => expect([...r.created, ...r.updated, ...r.replaced, ...r.deleted]).toEqual([]),
  },
  tlsIssuer: { edit: () => undefined, checkedIn: "tests/platform-day-two.test.ts" },
  // The vpa opt-in touches no stage 1-2 input; the platform and apps side: tests/platform-vpa.test.ts.
  vpaOn: { edit: (r) => (r.vpa = { platform: true }) },
  vpaOff: { from: (r) => (r.vpa = { platform: true }), edit: (r) => delete r.vpa },
  vpaPlatform: { from: (r) => (r.vpa = { platform: true }), edit: (r) => (r.vpa = { platform: false }) },
};

interface Parsed {
  topology: Topology;
  raw: Raw;
  record: DeploymentRecord;
  cluster: ReturnType<typeof parseClusterSettings>;
  roles: ReturnType<typeof parseRoleSettings>;
  /** Storage VMs with their Ceph state disk attached. */
  stateDisks: string[];
  backup: ReturnType<typeof parseBackupSettings>;
}

/**
 * The config parsed, and its record and Ceph state disks as index.ts plans them after `previous`;
 * `legacy`: as a program before the state disk left them (none attached, none recorded).
 */
function parse(raw: Raw, stack: string, previous?: DeploymentRecord, legacy = false): Parsed {
  const topology = parseTopology(raw, stack);
  const roles = parseRoleSettings(raw, topology);
  const cluster = parseClusterSettings(raw, topology);
  parsePlatformSettings(raw, topology);
  const backup = parseBackupSettings(raw, backupSecretsOf(raw), stack);
  parseAlertSettings(raw, Object.fromEntries(ALERT_SECRET_KEYS.filter((k) => typeof raw[k] === "string").map((k) => [k, { value: raw[k] as string, secret: true }])));
  const planned = plannedDeployment(previous, topology, roles, { servers: cluster.servers, agents: cluster.agents, k3sNodeChangesPerUp: cluster.k3sNodeChangesPerUp });
  if (legacy) {
    const machines = Object.fromEntries(Object.entries(planned.record.machines).map(([name, m]) => [name, { ...m, cephStateDiskGiB: undefined }]));
    return { topology, raw, roles, cluster, record: { ...planned.record, machines }, stateDisks: [], backup };
  }
  return { topology, raw, roles, cluster, record: planned.record, stateDisks: planned.stateDisks.attached, backup };
}

/** Stage 1 and 2 as index.ts wires them (as far as `deployUpTo` goes), under `prefix`. */
function build(prefix: string, p: Parsed): void {
  const sshPrivateKey = pulumi.secret(String(p.raw.sshPrivateKey));
  const credentials = p.backup.target
    ? pulumi.secret({ accessKeyId: String(p.raw.backupS3AccessKeyId), secretAccessKey: String(p.raw.backupS3SecretAccessKey), passphrase: String(p.raw.backupPassphrase) })
    : undefined;
  const roles = new GuestRoles(`${prefix}-guest-roles`, { topology: p.topology, settings: p.roles, backup: { settings: p.backup, credentials } });
  const jump = p.roles.sshJumpHost;
  const infra = new Infra(`${prefix}-infra`, { topology: p.topology, roleFragments: (vm) => roles.fragmentsFor(vm), sshJumpHost: jump, cephStateDisks: p.stateDisks });
  if (!deploys(p.topology.deployUpTo, "guest-roles")) return;
  const reconciled = roles.reconcile({ nodes: infra.nodes, sshPrivateKey });
  new HostSettingsDelivery(`${prefix}-host-settings`, { topology: p.topology, nodes: infra.nodes, sshPrivateKey });
  if (!deploys(p.topology.deployUpTo, "cluster")) return;
  const token = typeof p.raw.k3sToken === "string" ? pulumi.secret(p.raw.k3sToken) : undefined;
  // The nodes' registry mirror as cluster/target.ts passes it (no credentials in these rows).
  const mirror = parseRegistryMirror(new Collector(), p.raw.registryMirror, false);
  const nodeMirror = mirror && { endpoint: mirror.endpoint, registries: mirror.registries, prefixRepositories: mirror.prefixRepositories, caPem: mirror.caPem, airGap: mirror.airGap };
  new K3sCluster(`${prefix}-cluster`, { nodes: infra.nodes, settings: p.cluster, sshPrivateKey, apiGatewayConfigured: reconciled.loadBalancerBackends, backup: { settings: p.backup, credentials }, token, nodeMirror });
}

const rows = tableRows();
const base: Record<string, Parsed> = {};
const after: Record<string, Parsed | Error> = {};
/** The stacks rows with `from` start from. */
const from: Record<string, Parsed> = {};
/** The prefix each such stack was recorded under (rows starting from the same config share one). */
const fromPrefix = new Map<string, string>();
const fromPrefixOf: Record<string, string> = {};
let cpuModeAll: Parsed;
let h: Harness;

// Every row's program is recorded here: under load on 2 shared cores this took over 240 s (the
// fresh-root run of .ci/run, scripts/fresh-root.sh), and over 600 s at a load average of 20 (eight
// suites at once), so the setup gets 20 minutes.
beforeAll(async () => {
  h = await startHarness({ stack: "prod", outputsFor: machineOutputs });
  for (const stack of ["prod", "dev"] as const) {
    base[stack] = parse({ sshPrivateKey: SSH_KEY, ...stackConfig(stack) }, stack);
    build(`base${stack}`, base[stack]);
  }
  for (const row of rows) {
    const change = CHANGES[row.id];
    if (!change) continue;
    const raw = structuredClone(base[change.stack ?? "prod"].raw);
    if (change.from || change.legacy) {
      change.from?.(raw);
      from[row.id] = parse(structuredClone(raw), change.stack ?? "prod", undefined, change.legacy);
      // Only the day-two check reads a refused row's stacks; the others' are recorded once per config.
      const key = JSON.stringify([change.stack, change.legacy, raw]);
      if (!row.outcome.startsWith("refused") && !fromPrefix.has(key)) {
        fromPrefix.set(key, `from${row.id}`);
        build(`from${row.id}`, from[row.id]);
      }
      fromPrefixOf[row.id] = fromPrefix.get(key) ?? `from${row.id}`;
    }
    change.edit(raw);
    const previous = (from[row.id] ?? base[change.stack ?? "prod"]).record;
    try {
      after[row.id] = parse(raw, change.stack ?? "prod", change.previous ? change.previous(previous) : previous);
    } catch (e) {
      after[row.id] = e as Error;
      continue;
    }
    if (!row.outcome.startsWith("refused") && !change.checkedIn) build(`row${row.id}`, after[row.id] as Parsed);
  }
  // vmCpuMode taken on purpose: k3sNodeChangesPerUp raised to every K3s node for that run.
  cpuModeAll = parse({ ...structuredClone(base.prod.raw), vmCpuMode: "host-model", k3sNodeChangesPerUp: 5 }, "prod", base.prod.record);
  build("cpuModeAll", cpuModeAll);
  await h.settle();
}, 1_200_000);

describe.each(rows)("docs/day-two.md row $id", (row) => {
  it(`${row.outcome}`, () => {
    const change = CHANGES[row.id];
    expect(change).toBeDefined();
    const before = from[row.id] ?? base[change.stack ?? "prod"];
    const beforePrefix = from[row.id] ? fromPrefixOf[row.id] : `base${change.stack ?? "prod"}`;
    if (change.checkedIn) {
      expect(readFileSync(join(__dirname, "..", change.checkedIn), "utf8")).toContain(`row ${row.id}"`);
      return;
    }
    const now = after[row.id];
    if (now instanceof Error) throw now;
    const problems = change.refusedBy
      ? change.refusedBy(before)
      : dayTwoProblems(change.previous ? change.previous(before.record) : before.record, now.record, now.topology, { ...now.cluster });
    const refused = /^refused: (.+)$/.exec(row.outcome);
    if (refused) {
      expect(problems.some((p) => p.startsWith(`${refused[1]}`))).toBe(true);
      return;
    }
    expect(problems).toEqual([]);
    const r = dayTwo(h.all(), h.all(), beforePrefix, `row${row.id}`);
    const vmNames = now.topology.vms.map((v) => v.name);
    const domainsReplaced = vmNames.filter((v) => ["replace", "create"].includes(r.changes.get(`infra-${v}`)?.change ?? ""));
    const rootsReplaced = vmNames.filter((v) => ["replace", "create"].includes(r.changes.get(`infra-${v}-root`)?.change ?? ""));
    const dataReplaced = [...r.changes.values()].filter((c) => c.type === "libvirt:index/volume:Volume" && /-ceph-(osd|state)$/.test(c.name) && c.change === "replace");
    expect(dataReplaced).toEqual([]);
    // No row replaces a network, the pool, a base image or a disk beyond what its outcome names.
    const libvirtReplaced = [...r.changes.values()].filter((c) => c.type.startsWith("libvirt:") && c.change === "replace" && !c.type.endsWith("domain:Domain") && !/-(root|ignition|cloudinit)$/.test(c.name));
    expect(libvirtReplaced.map((c) => c.name)).toEqual([]);
    change.also?.(r);
    const m = /^(re-creates VM|new machine) (\S+)$/.exec(row.outcome);
    if (row.outcome === "in place") {
      expect({ domainsReplaced, rootsReplaced }).toEqual({ domainsReplaced: [], rootsReplaced: [] });
    } else if (m?.[1] === "re-creates VM") {
      expect({ domainsReplaced, rootsReplaced }).toEqual({ domainsReplaced: [m[2]], rootsReplaced: [] });
    } else if (m?.[1] === "new machine") {
      expect({ domainsReplaced, rootsReplaced }).toEqual({ domainsReplaced: [m[2]], rootsReplaced: [m[2]] });
    } else {
      throw new Error(`unknown outcome "${row.outcome}"`);
    }
  });
});

it("vmCpuMode with k3sNodeChangesPerUp raised: every VM re-created on its own disks, in one run", () => {
  expect(dayTwoProblems(base.prod.record, cpuModeAll.record, cpuModeAll.topology, { ...cpuModeAll.cluster })).toEqual([]);
  const r = dayTwo(h.all(), h.all(), "baseprod", "cpuModeAll");
  const vmNames = cpuModeAll.topology.vms.map((v) => v.name);
  expect(vmNames.filter((v) => r.changes.get(`infra-${v}`)?.change === "replace")).toEqual(vmNames);
  expect(r.changes.get(`infra-${vmNames[0]}`)?.replaceKeys).toEqual(["cpu"]);
  expect([...r.changes.values()].filter((c) => c.type.startsWith("libvirt:index/volume") && c.change !== "same")).toEqual([]);
});

it("has a row for every stack config key and every VM field", () => {
  const doc = readFileSync(join(__dirname, "..", "docs", "day-two.md"), "utf8");
  const keys = [...CONFIG_KEYS, ...CLUSTER_CONFIG_KEYS, ...ROLE_CONFIG_KEYS, ...PLATFORM_CONFIG_KEYS, ...BACKUP_CONFIG_KEYS, ...BACKUP_SECRET_KEYS, ...ALERT_CONFIG_KEYS, ...ALERT_SECRET_KEYS, ...EXISTING_CLUSTER_CONFIG_KEYS, ...SECRET_CONFIG_KEYS];
  const platformPrefixes = ["prometheus", "kafka"];
  for (const key of keys) {
    if (platformPrefixes.some((p) => key.startsWith(p))) continue;
    expect([key, doc.includes(`\`${key}`)]).toEqual([key, true]);
  }
  for (const field of ["name", "vcpus", "memoryMiB", "rootDiskGiB", "dataDiskGiB", "host", "pool", "dataPool", "nics[].mac", "nics[].address", "labels", "taints"]) {
    expect([field, doc.includes(`\`${field}\``)]).toEqual([field, true]);
  }
  expect(rows.length).toBe(Object.keys(CHANGES).length);
});
