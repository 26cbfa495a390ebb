import { parseTopology, RawStackConfig } from "../config/validate";
import { DEPLOY_STAGES, deploys } from "../config/topology";
import { IMAGES } from "../versions";
import { macFor } from "../config/identity";
import { rawStack, TEST_SSH_KEY, SEED_VMS } from "./helpers/stacks";
import { problemsOf as problemsOfParse } from "./helpers/problems";

type Vm = Record<string, unknown> & { nics: Record<string, unknown>[] };

/** The prod stack with one edit applied to a deep copy. */
function prodWith(edit: (raw: RawStackConfig & { vms: Vm[]; networks: Record<string, unknown>[] }) => void): RawStackConfig {
  const raw = structuredClone(rawStack("prod")) as RawStackConfig & { vms: Vm[]; networks: Record<string, unknown>[] };
  edit(raw);
  return raw;
}

const problemsOf = (raw: RawStackConfig): string[] => problemsOfParse(() => parseTopology(raw, "prod"));

function vm(raw: { vms: Vm[] }, name: string): Vm {
  const found = raw.vms.find((v) => v.name === name);
  if (!found) throw new Error(`no ${name}`);
  return found;
}

describe("the committed stacks", () => {
  it("prod is valid and mirrors the seed", () => {
    const t = parseTopology(rawStack("prod"), "prod");
    expect(t.networks.map((n) => [n.name, n.mode, n.cidr])).toEqual([
      ["br0", "bridge", "192.168.0.0/24"],
      ["kube_network_02", "nat", "10.17.3.0/24"],
      ["kube_network_03", "nat", "10.17.4.0/24"],
    ]);
    expect(t.vms.map((v) => [v.name, v.os, v.nics[0].address])).toEqual(SEED_VMS);
    expect(t.vms.find((v) => v.name === "loadbalancer1")?.nics.map((n) => n.address)).toContain("192.168.0.21");
    expect(t.domain).toBe("cefaslocalserver.com");
    expect(t.hosts).toEqual([expect.objectContaining({ threads: 24, memoryGiB: 35 })]);
  });

  it("dev is valid: one server, one agent, one NAT network", () => {
    const t = parseTopology(rawStack("dev"), "dev");
    expect(t.networks).toHaveLength(1);
    expect(t.networks[0].mode).toBe("nat");
    expect(t.vms.map((v) => v.role).sort()).toEqual(["k3s-agent", "k3s-server"]);
    expect(t.vms.reduce((s, v) => s + v.memoryMiB, 0)).toBeLessThanOrEqual((16 - t.hosts[0].reservedMemoryGiB) * 1024);
    expect(t.warnings).toEqual([]);
  });

  it("derives each NIC's MAC from the VM and network names, the same on every run", () => {
    const t = parseTopology(rawStack("prod"), "prod");
    const master = t.vms.find((v) => v.name === "master1");
    expect(master?.nics[0].mac).toBe(macFor("master1", "kube_network_03"));
    expect(master?.nics[0].mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(parseTopology(rawStack("prod"), "prod")).toEqual(t);
  });
});

describe("validation rules, each naming the key and the problem", () => {
  it("rejects an address outside its network", () => {
    const problems = problemsOf(prodWith((r) => (vm(r, "worker1").nics[0].address = "10.17.3.24")));
    expect(problems).toEqual(["vms[6].nics[0].address: 10.17.3.24 is outside network kube_network_03 (10.17.4.0/24)"]);
  });

  it("rejects a duplicate address", () => {
    const problems = problemsOf(prodWith((r) => (vm(r, "worker2").nics[0].address = "10.17.4.24")));
    expect(problems).toEqual(["vms: duplicate address 10.17.4.24 (worker1 and worker2)"]);
  });

  it("rejects a duplicate hostname", () => {
    const problems = problemsOf(
      prodWith((r) => {
        vm(r, "worker2").name = "worker1";
      }),
    );
    expect(problems).toContain("vms: duplicate hostname worker1 (worker1 and worker1)");
  });

  it("rejects a duplicate MAC", () => {
    const problems = problemsOf(
      prodWith((r) => {
        vm(r, "worker1").nics[0].mac = "52:54:00:aa:bb:cc";
        vm(r, "worker2").nics[0].mac = "52:54:00:AA:BB:CC";
      }),
    );
    expect(problems).toEqual(["vms: duplicate MAC 52:54:00:aa:bb:cc (worker1 on kube_network_03 and worker2 on kube_network_03)"]);
  });

  it("rejects overlapping networks", () => {
    const problems = problemsOf(prodWith((r) => (r.networks[2].cidr = "10.17.0.0/16")));
    expect(problems).toContain('networks: "kube_network_02" (10.17.3.0/24) overlaps "kube_network_03" (10.17.0.0/16)');
  });

  it("rejects a VM network that overlaps K3s's pod or service range", () => {
    const problems = problemsOf(prodWith((r) => (r.networks[2].cidr = "10.42.7.0/24")));
    expect(problems).toContain('networks: "kube_network_03" (10.42.7.0/24) overlaps K3s\'s clusterCidr 10.42.0.0/16');
  });

  it("rejects a host name that is not RFC 1123, like the seed's load_balancer1", () => {
    const problems = problemsOf(prodWith((r) => (vm(r, "loadbalancer1").name = "load_balancer1")));
    expect(problems).toEqual([
      'vms[1].name: "load_balancer1" is not a valid RFC 1123 host name: lowercase letters, digits and inner hyphens only (underscores are not allowed: use "loadbalancer1")',
    ]);
  });

  it("rejects a topology without a K3s server", () => {
    const problems = problemsOf(
      prodWith((r) => {
        for (const v of r.vms) if (v.role === "k3s-server") v.role = "k3s-agent";
      }),
    );
    expect(problems).toEqual(["vms: no VM has role k3s-server: the cluster needs at least one"]);
  });

  it("rejects an unknown role", () => {
    const problems = problemsOf(prodWith((r) => (vm(r, "worker3").role = "k3s-worker")));
    expect(problems).toEqual([
      'vms[8].role: unknown value "k3s-worker"; expected one of bastion, loadbalancer, freeipa, postgresql, k3s-server, k3s-agent',
    ]);
  });

  it("rejects an unknown OS", () => {
    const problems = problemsOf(prodWith((r) => (vm(r, "postgresql1").os = "ubuntu")));
    expect(problems).toEqual(['vms[3].os: unknown value "ubuntu"; expected one of flatcar, rocky']);
  });

  it("rejects a role on the wrong OS", () => {
    const problems = problemsOf(prodWith((r) => (vm(r, "worker3").os = "rocky")));
    expect(problems).toEqual(["vms[8].os: role k3s-agent runs on flatcar, not rocky"]);
  });

  it("rejects a missing or malformed SSH key", () => {
    expect(problemsOf(prodWith((r) => delete r.sshPublicKey))).toEqual(["sshPublicKey: is required"]);
    expect(problemsOf(prodWith((r) => (r.sshPublicKey = "AAAA not a key")))).toEqual([
      'sshPublicKey: is not an OpenSSH public key (expected e.g. "ssh-ed25519 AAAA... comment")',
    ]);
  });

  it("rejects VM vCPUs above the host's threads", () => {
    const problems = problemsOf(prodWith((r) => (vm(r, "worker1").vcpus = 6)));
    expect(problems).toEqual(["hostVcpus: the VMs ask for 25 vCPUs in total but the host has 24"]);
  });

  it("rejects VM memory above what the host offers after qemu, libvirt, the Pulumi run and its own reserve", () => {
    const problems = problemsOf(prodWith((r) => (vm(r, "worker1").memoryMiB = 8192)));
    expect(problems).toEqual([
      "hostMemoryGiB: the VMs ask for 32768 MiB in total but the host offers them 31040 MiB " +
        "(35840 MiB less qemu 1984 MiB (9 VMs), libvirt 256 MiB, Pulumi run 1536 MiB, host OS 1024 MiB (hostReservedMemoryGiB); config/host-memory.ts)",
    ]);
  });

  it("rejects disks that could outgrow the stated storage pool capacity, naming storagePoolCapacityGiB", () => {
    // A default Rocky install's 70 GiB root filesystem: prod's Ceph disks alone are preallocated 660 GiB.
    const problems = problemsOf(prodWith((r) => (r.storagePoolCapacityGiB = 70)));
    expect(problems).toEqual([
      "storagePoolCapacityGiB: the VMs' disks in the storage pool (/var/lib/libvirt/images/flatcarmicrocloud-prod) can take 954 GiB but the pool's filesystem gives the stack 70 GiB " +
        "(preallocated raw 660 GiB (Ceph OSD and state disks), root overlays up to 290 GiB, base images and first-boot files 4.01 GiB; config/host-disk.ts); " +
        'put storagePoolPath on a larger filesystem (README, "Disk space"), or shrink the disks',
    ]);
    expect(parseTopology(prodWith((r) => (r.storagePoolCapacityGiB = "955")), "prod").hosts[0].pools[0].capacityGiB).toBe(955);
    // 0, Pulumi.yaml's default, states nothing.
    expect(parseTopology(prodWith((r) => (r.storagePoolCapacityGiB = "0")), "prod").hosts[0].pools[0].capacityGiB).toBeUndefined();
    expect(problemsOf(prodWith((r) => (r.storagePoolCapacityGiB = "lots")))).toEqual([expect.stringMatching(/^storagePoolCapacityGiB: /)]);
  });

  it("warns, without failing, on an even number of K3s servers (etcd quorum)", () => {
    const t = parseTopology(rawStack("prod"), "prod");
    expect(t.warnings).toEqual([
      "vms: 2 K3s servers (bootstrap1, master1): etcd needs a majority, so an even count tolerates no more failures than 1; use an odd number of servers",
    ]);
    const three = parseTopology(prodWith((r) => (vm(r, "worker1").role = "k3s-server")), "prod");
    expect(three.warnings).toEqual([]);
  });

  it("rejects a NIC on an unknown network", () => {
    const problems = problemsOf(prodWith((r) => (vm(r, "worker1").nics[0].network = "kube_network_04")));
    expect(problems).toEqual(['vms[6].nics[0].network: unknown network "kube_network_04"']);
  });

  it("rejects a K3s node that cannot reach a service it needs (cross-network reachability)", () => {
    // Without its leg on kube_network_03, FreeIPA is unreachable for master1 and the workers.
    const problems = problemsOf(prodWith((r) => (vm(r, "freeipa1").nics = [vm(r, "freeipa1").nics[0]])));
    expect(problems).toContain("vms: master1 shares no network with freeipa1 (freeipa); give one of them a NIC on the other's network");
    expect(problems).toContain("vms: worker1 shares no network with freeipa1 (freeipa); give one of them a NIC on the other's network");
  });

  it("rejects a K3s node off the cluster network", () => {
    const problems = problemsOf(prodWith((r) => (vm(r, "bootstrap1").nics = [vm(r, "bootstrap1").nics[0]])));
    expect(problems).toContain("vms: K3s node bootstrap1 has no NIC on the cluster network kube_network_03");
  });

  it("rejects non-numeric sizes and lists every problem at once", () => {
    const problems = problemsOf(
      prodWith((r) => {
        vm(r, "worker1").memoryMiB = "lots";
        vm(r, "worker2").rootDiskGiB = -5;
      }),
    );
    expect(problems).toEqual([
      'vms[6].memoryMiB: must be a positive whole number (got "lots")',
      "vms[7].rootDiskGiB: must be a positive whole number (got -5)",
    ]);
  });

  it("rejects a non-boolean protectStatefulDisks", () => {
    expect(problemsOf(prodWith((r) => (r.protectStatefulDisks = "maybe")))).toEqual([
      'protectStatefulDisks: must be true or false (got "maybe")',
    ]);
  });

  it("accepts the key a user pastes with its comment", () => {
    expect(() => parseTopology(rawStack("prod", { sshPublicKey: `${TEST_SSH_KEY} extra words` }), "prod")).not.toThrow();
  });
});

describe("cephStateDiskGiB", () => {
  it("defaults to 20 GiB, takes a whole number in range as number or string", () => {
    expect(parseTopology(rawStack("prod"), "prod").cephStateDiskGiB).toBe(20);
    expect(parseTopology(rawStack("prod", { cephStateDiskGiB: 8 }), "prod").cephStateDiskGiB).toBe(8);
    expect(parseTopology(rawStack("prod", { cephStateDiskGiB: "50" }), "prod").cephStateDiskGiB).toBe(50);
  });

  it("rejects a size outside 5-200 GiB or not a whole number, naming the key", () => {
    expect(problemsOf(rawStack("prod", { cephStateDiskGiB: 2 }))).toEqual([expect.stringMatching(/^cephStateDiskGiB: 2 GiB is outside 5-200 GiB/)]);
    expect(problemsOf(rawStack("prod", { cephStateDiskGiB: 500 }))).toEqual([expect.stringMatching(/^cephStateDiskGiB: 500 GiB is outside/)]);
    expect(problemsOf(rawStack("prod", { cephStateDiskGiB: "ten" }))).toEqual(['cephStateDiskGiB: must be a positive whole number (got "ten")']);
  });

  it("rejects a storage node whose OSD disk has the state disk's size (the state step tells them apart by size)", () => {
    const problems = problemsOf(rawStack("prod", { cephStateDiskGiB: 200 }));
    expect(problems).toHaveLength(3);
    for (const p of problems) expect(p).toMatch(/^vms\[\d+\]\.dataDiskGiB: worker\d's Ceph OSD disk has the size of its Ceph state disk \(cephStateDiskGiB, 200 GiB\)/);
  });
});

describe("image mirrors, CPU mode and how far `up` goes", () => {
  it("defaults to the pinned image URLs, host-passthrough and every stage", () => {
    const t = parseTopology(rawStack("prod"), "prod");
    expect(t.imageUrls).toEqual({ flatcar: IMAGES.flatcar.url, rocky: IMAGES.rocky.url });
    expect(t.hosts[0].cpuMode).toBe("host-passthrough");
    expect(t.deployUpTo).toBe("apps");
  });

  it("takes a mirror's URLs, another CPU mode and an earlier last stage", () => {
    const t = parseTopology(
      rawStack("prod", {
        flatcarImageUrl: "http://mirror.lan/flatcar/4593.2.5/flatcar_production_qemu_image.img",
        rockyImageUrl: "https://mirror.lan/rocky.qcow2",
        vmCpuMode: "maximum",
        deployUpTo: "vms",
      }),
      "prod",
    );
    expect(t.imageUrls.flatcar).toBe("http://mirror.lan/flatcar/4593.2.5/flatcar_production_qemu_image.img");
    expect(t.imageUrls.rocky).toBe("https://mirror.lan/rocky.qcow2");
    expect(t.hosts[0].cpuMode).toBe("maximum");
    expect(t.deployUpTo).toBe("vms");
  });

  it("rejects a URL libvirt cannot download, an unknown CPU mode and an unknown stage, naming each key", () => {
    expect(
      problemsOf(
        rawStack("prod", { flatcarImageUrl: "/srv/flatcar.img", rockyImageUrl: "ftp://mirror/rocky.qcow2", vmCpuMode: "host", deployUpTo: "k3s" }),
      ),
    ).toEqual([
      'vmCpuMode: unknown value "host"; expected one of host-passthrough, host-model, maximum',
      'flatcarImageUrl: must be an http(s) URL (got "/srv/flatcar.img")',
      'rockyImageUrl: must be an http(s) URL (got "ftp://mirror/rocky.qcow2")',
      'deployUpTo: unknown value "k3s"; expected one of vms, guest-roles, cluster, platform, apps',
    ]);
  });

  it("runs each stage only with the ones before it", () => {
    expect(DEPLOY_STAGES.filter((s) => deploys("guest-roles", s))).toEqual(["vms", "guest-roles"]);
    expect(DEPLOY_STAGES.filter((s) => deploys("platform", s))).toEqual(["vms", "guest-roles", "cluster", "platform"]);
    expect(DEPLOY_STAGES.filter((s) => deploys("apps", s))).toEqual([...DEPLOY_STAGES]);
    expect(DEPLOY_STAGES.filter((s) => deploys("vms", s))).toEqual(["vms"]);
  });
});
