/**
 * What the pods' resolver is told about the topology's names (cluster/cluster-dns.ts), rendered from
 * the prod and dev stacks and variants of them without Pulumi.
 */
import { clusterDnsFor, corednsBlockHash, renderCorednsServerBlock } from "../cluster/cluster-dns";
import { Topology } from "../config/topology";
import { parseTopology } from "../config/validate";
import { dnsRecords } from "../infra/roles/freeipa";
import { rawStack } from "./helpers/stacks";

const prod = parseTopology(rawStack("prod"), "prod");
const dev = parseTopology(rawStack("dev"), "dev");

function withVms(topology: Topology, edit: (vms: Topology["vms"]) => void): Topology {
  const t = structuredClone(topology);
  edit(t.vms);
  return t;
}

describe("clusterDnsFor", () => {
  it("prod: the domain and both VM networks' reverse zones, to FreeIPA's address on the cluster network", () => {
    expect(clusterDnsFor(prod)).toEqual({
      zones: ["cefaslocalserver.com", "3.17.10.in-addr.arpa", "4.17.10.in-addr.arpa"],
      upstreams: ["10.17.4.11"],
    });
  });

  it("names exactly the reverse zones FreeIPA serves (its records command creates them), none of the LAN's", () => {
    const spec = clusterDnsFor(prod);
    expect(spec?.zones.slice(1)).toEqual(dnsRecords(prod).reverseZones.map((z) => z.replace(/\.$/, "")));
    expect(spec?.zones.some((z) => z.includes("168.192"))).toBe(false);
  });

  it("dev (no FreeIPA): nothing, CoreDNS keeps K3s's defaults", () => {
    expect(clusterDnsFor(dev)).toBeUndefined();
  });

  it("a FreeIPA without a leg on the cluster network: the addresses the K3s nodes reach it on", () => {
    const t = withVms(prod, (vms) => {
      const ipa = vms.find((v) => v.name === "freeipa1") as Topology["vms"][number];
      ipa.nics = ipa.nics.filter((n) => n.network !== "kube_network_03");
    });
    // Only bootstrap1 shares kube_network_02 with it; CoreDNS's health checks skip it elsewhere.
    expect(clusterDnsFor(t)?.upstreams).toEqual(["10.17.3.11"]);
  });

  it("a FreeIPA replica is a second upstream", () => {
    const t = withVms(prod, (vms) => {
      const replica = structuredClone(vms.find((v) => v.name === "freeipa1") as Topology["vms"][number]);
      replica.name = "freeipa2";
      replica.nics = replica.nics.map((n) => ({ ...n, address: n.address.replace(/\.11$/, ".31") }));
      vms.push(replica);
    });
    expect(clusterDnsFor(t)?.upstreams).toEqual(["10.17.4.11", "10.17.4.31"]);
  });

  it("fails clearly when no K3s node reaches FreeIPA", () => {
    const t = withVms(prod, (vms) => {
      const ipa = vms.find((v) => v.name === "freeipa1") as Topology["vms"][number];
      ipa.nics = ipa.nics.filter((n) => n.network !== "kube_network_03" && n.network !== "kube_network_02");
      ipa.nics.push({ ...ipa.nics[0], network: "br0", address: "192.168.0.40" });
    });
    expect(() => clusterDnsFor(t)).toThrow(/no K3s node reaches FreeIPA \(freeipa1.cefaslocalserver.com\)/);
  });

  it("leaves a reverse zone that holds the pod or service range to K3s's own block", () => {
    const t = structuredClone(prod);
    t.networks = [...t.networks, { ...t.networks[1], name: "wide", cidr: "10.0.0.0/8" }];
    expect(clusterDnsFor(t)?.zones).toEqual(["cefaslocalserver.com", "3.17.10.in-addr.arpa", "4.17.10.in-addr.arpa"]);
  });
});

describe("renderCorednsServerBlock", () => {
  const spec = clusterDnsFor(prod) as NonNullable<ReturnType<typeof clusterDnsFor>>;

  it("one server block for every FreeIPA zone on port 53, forwarding to FreeIPA, cached like K3s's own", () => {
    expect(renderCorednsServerBlock(spec)).toBe(
      [
        "# Written by FlatcarMicroCloud (Pulumi, stage 2): FreeIPA's zones go to FreeIPA, as on the VMs.",
        "cefaslocalserver.com:53 3.17.10.in-addr.arpa:53 4.17.10.in-addr.arpa:53 {",
        "    errors",
        "    cache 30",
        "    forward . 10.17.4.11",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("its hash changes exactly when the block does (what rolls the CoreDNS pods)", () => {
    const block = renderCorednsServerBlock(spec);
    expect(corednsBlockHash(block)).toMatch(/^[0-9a-f]{64}$/);
    expect(corednsBlockHash(renderCorednsServerBlock(clusterDnsFor(prod) as typeof spec))).toBe(corednsBlockHash(block));
    expect(corednsBlockHash(renderCorednsServerBlock({ ...spec, upstreams: ["10.17.4.31"] }))).not.toBe(corednsBlockHash(block));
  });

  it("refuses what CoreDNS could not parse or forward to", () => {
    expect(() => renderCorednsServerBlock({ zones: [], upstreams: ["10.0.0.1"] })).toThrow(/zones and upstreams/);
    expect(() => renderCorednsServerBlock({ zones: ["a b"], upstreams: ["10.0.0.1"] })).toThrow(/not a DNS zone name/);
    expect(() => renderCorednsServerBlock({ zones: ["example.com"], upstreams: ["ipa.example.com"] })).toThrow(/not an IPv4 address/);
  });
});
