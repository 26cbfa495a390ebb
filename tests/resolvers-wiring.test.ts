/**
 * Item 2 (DNS), wiring: the host settings step switches a VM to FreeIPA alone only after FreeIPA's
 * records command ran (FreeIPA installed, every record in); FreeIPA's own step does not wait for it,
 * and nothing in stage 2 waits for the switch. Pods: CoreDNS is pointed at FreeIPA (coredns-custom)
 * only after the same records command; the apps start once CoreDNS rolled onto it. The prod program
 * under the mock engine.
 */
import { machineOutputs } from "./helpers/machine-outputs";
import { Harness, startHarness } from "./helpers/pulumi-harness";
import { stackConfig } from "./helpers/stacks";

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ stack: "prod", config: stackConfig("prod"), outputsFor: machineOutputs });
  await import("../index");
  await h.settle();
});

describe("resolver switch to FreeIPA", () => {
  it("every VM but FreeIPA waits for FreeIPA's records before its resolvers change", () => {
    const records = h.byName("guest-roles-freeipa1-records");
    for (const vm of ["bastion1", "loadbalancer1", "postgresql1", "bootstrap1", "master1", "worker1", "worker2", "worker3"]) {
      expect([vm, h.dependsOn(h.byName(`host-settings-${vm}`), records)]).toEqual([vm, true]);
    }
    expect(h.dependsOn(h.byName("host-settings-freeipa1"), records)).toBe(false);
    // FreeIPA's own settings (chrony restarted, NetworkManager reloaded) wait for its install, which
    // runs after first boot.
    expect(h.dependsOn(h.byName("host-settings-freeipa1"), h.byName("guest-roles-freeipa1-install"))).toBe(true);
  });

  it("delivers FreeIPA alone as each VM's resolver, on the address it reaches", () => {
    // The script travels single-quoted inside `bash -c '...'`: undo that quoting to read it.
    const script = (vm: string) => String(h.byName(`host-settings-${vm}`).inputs.create).replace(/'\\''/g, "'");
    expect(script("worker1")).toContain("DNS_SERVERS=('10.17.4.11')");
    expect(script("bootstrap1")).toContain("DNS_SERVERS=('10.17.3.11')");
    expect(script("freeipa1")).toContain("DNS_SERVERS=('10.17.3.1')");
  });
});

describe("pods' resolver (CoreDNS) to FreeIPA", () => {
  it("coredns-custom is created after FreeIPA's records, on the cluster, and the CoreDNS roll after it", () => {
    const records = h.byName("guest-roles-freeipa1-records");
    const custom = h.byName("cluster-coredns-custom");
    const roll = h.byName("cluster-coredns-roll");
    expect(h.dependsOn(custom, records)).toBe(true);
    expect(h.dependsOn(roll, custom)).toBe(true);
    expect((custom.inputs.data as Record<string, string>)["flatcarmicrocloud.server"]).toContain("forward . 10.17.4.11\n");
    // Nothing else in stage 2 waits for it: the nodes' install does not depend on DNS.
    expect(h.dependsOn(h.byName("cluster-bootstrap1-k3s"), records)).toBe(false);
  });

  it("every app object waits for the roll (the apps name the database VM by its FreeIPA name)", () => {
    const roll = h.byName("cluster-coredns-roll");
    const appObjects = h.all().filter((r) => r.custom && r.name.startsWith("apps-"));
    expect(appObjects.length).toBeGreaterThan(0);
    for (const r of appObjects) expect([r.name, h.dependsOn(r, roll)]).toEqual([r.name, true]);
  });
});
