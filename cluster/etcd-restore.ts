/**
 * The etcd restore as an ordered list of SSH steps over the K3s servers (`npm run restore -- etcd`,
 * scripts/restore.js runs them; docs/backups.md). K3s's procedure for a cluster with embedded etcd:
 * stop K3s on every server, `cluster-reset` from the snapshot on one, start it, then the others
 * rejoin with their old etcd data moved aside. Pure: the stack's node routes in, steps out.
 */
import { SshRoute } from "../nodes";

export interface RestoreNode {
  name: string;
  ssh: SshRoute;
}

export interface RestoreStep {
  node: string;
  ssh: SshRoute;
  /** The arguments of cluster/scripts/restore-etcd.sh on that server. */
  args: string[];
  why: string;
}

export interface EtcdRestoreRequest {
  /** The K3s servers in join order (the stack output `k3sNodes.servers`); the first is reset. */
  servers: string[];
  nodes: RestoreNode[];
  /** A snapshot file name (local on the first server, or in the bucket), or an absolute path there. */
  snapshot: string;
  /** Restore even when a server reports a healthy API and etcd. */
  evenIfHealthy: boolean;
}

/** Every step in order, or an error naming what is wrong with the request. */
export function planEtcdRestore(req: EtcdRestoreRequest): RestoreStep[] {
  if (req.servers.length === 0) throw new Error("the stack has no K3s servers (stack output k3sNodes.servers)");
  if (!/^[A-Za-z0-9._/-]+$/.test(req.snapshot) || req.snapshot.includes("..")) {
    throw new Error(`--snapshot "${req.snapshot}" is not a snapshot name or path (letters, digits, . _ - /)`);
  }
  const route = (name: string) => {
    const node = req.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`K3s server ${name} is not in the stack output nodes`);
    return node.ssh;
  };
  const [first, ...others] = req.servers;
  const step = (node: string, args: string[], why: string): RestoreStep => ({ node, ssh: route(node), args, why });
  return [
    // Every server is asked before anything stops: one healthy server means a working cluster.
    ...req.servers.map((s) => step(s, ["preflight", ...(req.evenIfHealthy ? ["--even-if-healthy"] : [])], "refuse a healthy cluster")),
    // The others first, so no server keeps serving the old data while the first one is reset.
    ...[...others, first].map((s) => step(s, ["stop"], "stop K3s")),
    step(first, ["reset", req.snapshot], "cluster-reset from the snapshot, start K3s"),
    ...others.map((s) => step(s, ["rejoin"], "old etcd data aside, join the restored server")),
  ];
}

/** The ssh command line of one step (OpenSSH; the script arrives on stdin, run as root by sudo). */
export function sshArgs(s: RestoreStep): string[] {
  const jump = s.ssh.proxy ? ["-J", `${s.ssh.proxy.user}@${s.ssh.proxy.host}`] : [];
  return ["-o", "BatchMode=yes", ...jump, `${s.ssh.user}@${s.ssh.host}`, "sudo", "-n", "/bin/bash", "-s", "--", ...s.args];
}
