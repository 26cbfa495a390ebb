/**
 * Stage 2 as index.ts sees it: the cluster stages 3-4 deploy onto. Either K3s over SSH on the
 * Flatcar VMs stage 1 built (`K3sCluster`), or the cluster the user already has, through its
 * kubeconfig (`ExistingCluster`: no VM, no SSH, no FreeIPA, so no DNS records and the issuer its
 * `tlsIssuer` names; the user's DNS serves the platform's names). Both yield the same `TargetCluster`, and the same
 * `ClusterFacts` before anything is created.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterFacts, MoreRoom } from "../cluster-facts";
import { StackConfig, VmStackConfig } from "../config";
import { deploys } from "../config/topology";
import { ExistingCluster } from "../existing-cluster";
import { existingClusterFacts } from "../existing-cluster/facts";
import { previousDeployment } from "../infra/deployment-record";
import { AcmeService, InfraStage } from "../infra/stage";
import { clusterDnsFor } from "./cluster-dns";
import { k3sClusterFacts } from "./facts";
import { secondHostRoom } from "./second-host";
import { K3sCluster, NodeNames } from "./index";
import { NodeMirror } from "./registries";
import { RegistryAuth, registryCredentials } from "./registry-credentials";
import { appsRegistryProblems, inClusterRegistryOf, registryEndpoint } from "../config/opt-ins/registry";
import { ConfigError } from "../config/validate";

/** The cluster stages 3-4 deploy onto: its provider and what they wait for. */
export interface TargetCluster {
  provider: k8s.Provider;
  /** Deleted only with the cluster (the K3s stage's token): the platform's and apps' objects go with it. */
  lifetime?: pulumi.Resource;
  /** What the apps wait for besides the platform (pods resolving the VMs' names through FreeIPA). */
  appsAfter: pulumi.Resource[];
  /** FreeIPA's ACME service for cert-manager (VM topologies with FreeIPA). */
  acme?: AcmeService;
  /** The EAB HMAC key of the user's ACME server (an existing cluster's secret `tlsAcmeEabHmacKey`). */
  acmeEabHmacKey?: pulumi.Output<string>;
  /** The registry opt-in's users (`push`, `pull`), made before the cluster: the nodes pull with `pull`. */
  registryAuth?: RegistryAuth;
  /** Stage 2's stack outputs. */
  outputs: {
    apiEndpoint?: string;
    kubeconfig: pulumi.Output<string>;
    /** The cluster's node names: K3s's, or the existing cluster's `existingNodes`. */
    k3sNodes: NodeNames | string[];
    /** The K3s server token (secret); none on an existing cluster. */
    k3sToken?: pulumi.Output<string>;
  };
}

/**
 * What stage 3 needs about the nodes, from the VM topology (K3s) or from the existing cluster's
 * `existingNodes`, known before anything is created; a stack whose `appsRegistry` the facts refuse
 * stops here (a ConfigError naming it).
 */
export function clusterFacts(config: StackConfig): ClusterFacts {
  const facts = config.target === "vms" ? k3sClusterFacts(config.topology) : existingClusterFacts(config.existing.settings, config.domain);
  // An appsRegistry on the in-cluster registry needs the opt-in, the route's port and a certificate the
  // nodes and the builds can check (config/opt-ins/registry.ts): known here, before anything is created.
  const problems = appsRegistryProblems({
    appsRegistry: config.apps.registry,
    registry: config.platform.registry,
    domain: facts.domain,
    httpsPort: facts.ingress.httpsPort,
    noCertificate: facts.tls ? undefined : config.target === "vms" ? "the topology has no FreeIPA VM" : "tlsIssuer is none",
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return facts;
}

/** Where more room for pods would come from (the capacity check's refusals name it). */
export function moreRoom(config: StackConfig): MoreRoom {
  return config.target === "vms" ? secondHostRoom(config.topology) : { kind: "existingNodes" };
}

/**
 * K3s on stage 1's VMs, or the existing cluster; none when `deployUpTo` stops before the cluster
 * (or before the guest roles, which the K3s stage waits for).
 */
export function targetCluster(config: StackConfig, infra: InfraStage | undefined): TargetCluster | undefined {
  if (config.target === "existing") {
    const existing = new ExistingCluster("existing-cluster", { kubeconfig: config.existing.kubeconfig, previous: previousDeployment().apply((p) => p.record) });
    return {
      provider: existing.provider,
      appsAfter: [],
      // The existing cluster's nodes are not this program's: their registries.yaml is the user's (docs/registry.md).
      registryAuth: registryCredentials(config.platform.registry),
      acmeEabHmacKey: config.existing.acmeEabHmacKey,
      outputs: { kubeconfig: existing.kubeconfig, k3sNodes: config.existing.settings.nodes.map((n) => n.name) },
    };
  }
  return infra ? k3sCluster(config, infra) : undefined;
}

function k3sCluster(config: VmStackConfig, infra: InfraStage): TargetCluster | undefined {
  const { reconciled } = infra;
  if (!reconciled || !deploys(config.topology.deployUpTo, "cluster")) return undefined;
  const registryAuth = registryCredentials(config.platform.registry);
  const cluster = new K3sCluster("cluster", {
    nodes: infra.nodes,
    settings: config.cluster.settings,
    sshPrivateKey: config.cluster.sshPrivateKey,
    apiGatewayConfigured: reconciled.loadBalancerBackends,
    // Pods resolve the domain through FreeIPA too, once its records are in.
    clusterDns: clusterDnsFor(config.topology),
    dnsRecordsServed: reconciled.dnsRecords,
    backup: config.backup,
    nodeMirror: nodeMirrorFor(config, infra.acme?.caCertificate, registryAuth),
    token: config.cluster.k3sToken,
  });
  return {
    provider: cluster.provider,
    lifetime: cluster.lifetime,
    // The apps name the database and other VMs by their FreeIPA names, and log in with the
    // database role its after-boot command creates.
    appsAfter: [...cluster.clusterDnsReady, ...reconciled.databaseRoles],
    acme: infra.acme,
    registryAuth,
    outputs: { apiEndpoint: cluster.apiEndpoint, kubeconfig: cluster.kubeconfig, k3sNodes: cluster.nodeNames, k3sToken: cluster.token },
  };
}

/**
 * The nodes' mirror: the user's `registryMirror` (air gap), else the registry opt-in's zot through its
 * route (`registry.mirrors`), whose certificate FreeIPA signs: without FreeIPA the route has no
 * certificate a node could check, so the nodes keep pulling from the public registries (warned).
 * With `appsRegistry` on the in-cluster registry its host is configured too (its `pull` user, FreeIPA's
 * CA), beside the outside mirror or alone (`registry.mirrors: []`).
 * Secret: it carries the mirror's credentials.
 */
export function nodeMirrorFor(config: VmStackConfig, freeipaCa: pulumi.Output<string> | undefined, auth: RegistryAuth | undefined): pulumi.Output<NodeMirror | undefined> {
  const registry = config.platform.registry;
  const endpoint = `https://${registryEndpoint(config.topology.domain, k3sClusterFacts(config.topology).ingress.httpsPort)}`;
  // The apps' images in the in-cluster registry (appsRegistry on its host; clusterFacts checks the opt-in,
  // the port and FreeIPA): the nodes pull them as `pull`, with FreeIPA's CA, whatever the mirrors.
  const appsInCluster = registry && auth && freeipaCa && inClusterRegistryOf(config.apps.registry, config.topology.domain) ? { auth, freeipaCa } : undefined;
  const external = config.cluster.registryMirror;
  if (external) {
    const s = external.settings;
    return pulumi.secret(
      pulumi.all([external.password, appsInCluster?.freeipaCa, appsInCluster?.auth.pull.password]).apply(([password, caPem, pullPassword]): NodeMirror => ({
        endpoint: s.endpoint,
        registries: s.registries,
        prefixRepositories: s.prefixRepositories,
        caPem: s.caPem,
        auth: s.username && password ? { username: s.username, password } : undefined,
        airGap: s.airGap,
        ...(appsInCluster && caPem && pullPassword ? { apps: { endpoint, caPem, auth: { username: appsInCluster.auth.pull.username, password: pullPassword } } } : {}),
      })),
    );
  }
  if (!registry || !auth || (registry.mirrors.length === 0 && !appsInCluster)) return pulumi.output(undefined);
  if (!freeipaCa) {
    void pulumi.log.warn("registry.mirrors: the stack has no FreeIPA, so the registry's route has no certificate the nodes could check; the nodes keep pulling from the public registries");
    return pulumi.output(undefined);
  }
  return pulumi.secret(
    pulumi.all([freeipaCa, auth.pull.password]).apply(([caPem, password]): NodeMirror => ({
      endpoint,
      // None with `registry.mirrors: []`: then only the registry's own host (the apps' images) is configured.
      registries: registry.mirrors,
      // zot keeps each upstream under its name (platform/values/zot.ts, sync destinations).
      prefixRepositories: true,
      caPem,
      auth: { username: auth.pull.username, password },
      // The in-cluster registry cannot serve its own image or the platform's before it runs.
      airGap: false,
    })),
  );
}
