/**
 * The etcd restore as an ordered list of SSH steps over the K3s nodes (`npm run restore -- etcd`,
 * scripts/restore.js runs them; docs/backups.md). K3s's procedure for a cluster with embedded etcd:
 * stop K3s on every server, `cluster-reset` from the snapshot on one, start it, then the others
 * rejoin with their old etcd data moved aside. Onto a rebuilt stack (`rebuilt`: new machines that
 * run a new, empty cluster under the lost cluster's token, stack config `k3sToken`), K3s's
 * "restoring to new hosts" plus what new machines need: the snapshot's node-password Secrets
 * (the lost machines' passwords) deleted, the other servers join without any of the rebuilt
 * cluster's certificates, the agents restart onto the restored CA. Pure: the stack's node routes
 * in, steps out.
 */
import { SshRoute } from "../nodes";

export interface RestoreNode {
  name: string;
  ssh: SshRoute;
}

export interface RestoreStep {
  node: string;
  ssh: SshRoute;
  /** The arguments of the step's script on that server. */
  args: string[];
  why: string;
  /**
   * The script the step runs when not cluster/scripts/restore-etcd.sh: a later stage's steps
   * (platform/ceph-restore.ts adds restore-ceph's to a rebuilt stack's restore).
   */
  script?: string;
}

export interface EtcdRestoreRequest {
  /** The K3s servers in join order (the stack output `k3sNodes.servers`); the first is reset. */
  servers: string[];
  /** The K3s agents (`k3sNodes.agents`): restarted onto the restored cluster when `rebuilt`. */
  agents?: string[];
  nodes: RestoreNode[];
  /** A snapshot file name (local on the first server, or in the bucket), or an absolute path there. */
  snapshot: string;
  /** Restore even when a server reports a healthy API and etcd. */
  evenIfHealthy: boolean;
  /**
   * The stack was rebuilt (new machines, a new cluster created after the snapshot): a healthy
   * cluster is restored only when it is younger than the snapshot, whose time K3s puts in its name.
   */
  rebuilt?: boolean;
}

/**
 * The unix time in a K3s snapshot's name (`<name>-<node>-<unix seconds>`, `.zip` when compressed:
 * K3s pkg/etcd/snapshot.go), or undefined.
 */
export function snapshotTime(snapshot: string): number | undefined {
  const m = /-(\d{9,11})(\.zip)?$/.exec(snapshot.split("/").pop() ?? "");
  return m ? Number(m[1]) : undefined;
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
  const agents = req.agents ?? [];
  const step = (node: string, args: string[], why: string): RestoreStep => ({ node, ssh: route(node), args, why });
  let guard: string[] = req.evenIfHealthy ? ["--even-if-healthy"] : [];
  if (req.rebuilt && !req.evenIfHealthy) {
    const at = snapshotTime(req.snapshot);
    if (at === undefined) {
      throw new Error(`--rebuilt: "${req.snapshot}" does not end in K3s's snapshot time (<name>-<node>-<unix seconds>[.zip]), so a rebuilt cluster cannot be told from the one the snapshot is of; pass --even-if-healthy to restore anyway`);
    }
    guard = ["--rebuilt-after", String(at)];
  }
  const rebuilt = req.rebuilt === true;
  return [
    // Every server is asked before anything stops: one healthy server means a working cluster.
    ...req.servers.map((s) => step(s, ["preflight", ...guard], rebuilt ? "refuse a healthy cluster older than the snapshot" : "refuse a healthy cluster")),
    // The others first, so no server keeps serving the old data while the first one is reset.
    ...[...others, first].map((s) => step(s, ["stop"], "stop K3s")),
    step(first, ["reset", req.snapshot], "cluster-reset from the snapshot, start K3s"),
    ...(rebuilt ? [step(first, ["forget-node-passwords", ...req.servers, ...agents], "the lost machines' node passwords out, so the new machines register")] : []),
    ...others.map((s) => (rebuilt ? step(s, ["rejoin", "--fresh-server"], "K3s's server directory aside, join the restored server") : step(s, ["rejoin"], "old etcd data aside, join the restored server"))),
    ...(rebuilt ? agents.map((a) => step(a, ["restart-agent"], "restart onto the restored cluster's CA")) : []),
  ];
}

/** The ssh command line of one step (OpenSSH; the script arrives on stdin, run as root by sudo). */
export function sshArgs(s: RestoreStep): string[] {
  const jump = s.ssh.proxy ? ["-J", `${s.ssh.proxy.user}@${s.ssh.proxy.host}`] : [];
  return ["-o", "BatchMode=yes", ...jump, `${s.ssh.user}@${s.ssh.host}`, "sudo", "-n", "/bin/bash", "-s", "--", ...s.args];
}
