/**
 * Stage 2 as index.ts sees it: the cluster stages 3-4 deploy onto. Either K3s over SSH on the
 * Flatcar VMs stage 1 built (`K3sCluster`), or the cluster the user already has, through its
 * kubeconfig (`ExistingCluster`: no VM, no SSH, no FreeIPA, so no DNS records and the issuer its
 * `tlsIssuer` names; the user's DNS serves the platform's names). Both yield the same `TargetCluster`, and the same
 * `ClusterFacts` before anything is created.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterFacts } from "../cluster-facts";
import { StackConfig, VmStackConfig } from "../config";
import { deploys } from "../config/topology";
import { ExistingCluster } from "../existing-cluster";
import { existingClusterFacts } from "../existing-cluster/facts";
import { previousDeployment } from "../infra/deployment-record";
import { AcmeService, InfraStage } from "../infra/stage";
import { clusterDnsFor } from "./cluster-dns";
import { k3sClusterFacts } from "./facts";
import { K3sCluster, NodeNames } from "./index";

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
 * `existingNodes`, known before anything is created.
 */
export function clusterFacts(config: StackConfig): ClusterFacts {
  return config.target === "vms" ? k3sClusterFacts(config.topology) : existingClusterFacts(config.existing.settings, config.domain);
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
      acmeEabHmacKey: config.existing.acmeEabHmacKey,
      outputs: { kubeconfig: existing.kubeconfig, k3sNodes: config.existing.settings.nodes.map((n) => n.name) },
    };
  }
  return infra ? k3sCluster(config, infra) : undefined;
}

function k3sCluster(config: VmStackConfig, infra: InfraStage): TargetCluster | undefined {
  const { reconciled } = infra;
  if (!reconciled || !deploys(config.topology.deployUpTo, "cluster")) return undefined;
  const cluster = new K3sCluster("cluster", {
    nodes: infra.nodes,
    settings: config.cluster.settings,
    sshPrivateKey: config.cluster.sshPrivateKey,
    apiGatewayConfigured: reconciled.loadBalancerBackends,
    // Pods resolve the domain through FreeIPA too, once its records are in.
    clusterDns: clusterDnsFor(config.topology),
    dnsRecordsServed: reconciled.dnsRecords,
    backup: config.backup,
  });
  return {
    provider: cluster.provider,
    lifetime: cluster.lifetime,
    // The apps name the database and other VMs by their FreeIPA names, and log in with the
    // database role its after-boot command creates.
    appsAfter: [...cluster.clusterDnsReady, ...reconciled.databaseRoles],
    acme: infra.acme,
    outputs: { apiEndpoint: cluster.apiEndpoint, kubeconfig: cluster.kubeconfig, k3sNodes: cluster.nodeNames, k3sToken: cluster.token },
  };
}
