/**
 * The `logs` opt-in (issue 20 item 3): one stack config key holding an object; absent = no logging
 * stack. Pure: the raw value in, the settings out, every problem named by its key (`logs.<field>`).
 *
 *   logs:
 *     stack: elk              # elk (ECK: Elasticsearch + Kibana) or loki (Loki single binary, Grafana)
 *     retentionDays: 7        # logs older than this are deleted (ILM delete phase / Loki's compactor)
 *     volumeGiB: 20           # the store's Ceph volume (per Elasticsearch node)
 *     elasticsearchNodes: 1   # elk only: Elasticsearch nodes (1, or 3 and more for a quorum)
 *     elasticsearchMemoryGiB: 2  # elk only: each node's memory request = limit; heap is half of it
 */
import { Collector } from "../validate";

export const LOGS_KEY = "logs";
export const LOGS_STACKS = ["elk", "loki"] as const;
export type LogsStack = (typeof LOGS_STACKS)[number];

export interface LogsSettings {
  stack: LogsStack;
  retentionDays: number;
  /** Size of the store's volume, per Elasticsearch node for elk. */
  volumeGiB: number;
  /** elk only (defaults otherwise unused). */
  elasticsearch: { nodes: number; memoryGiB: number };
}

export const LOGS_DEFAULTS = {
  stack: "elk" as LogsStack,
  retentionDays: 7,
  volumeGiB: 20,
  elasticsearchNodes: 1,
  // ECK's and the eck-elasticsearch chart's default (2Gi request = limit, heap 1 GiB).
  elasticsearchMemoryGiB: 2,
} as const;

const FIELDS = ["stack", "retentionDays", "volumeGiB", "elasticsearchNodes", "elasticsearchMemoryGiB"] as const;
const ELK_ONLY: readonly string[] = ["elasticsearchNodes", "elasticsearchMemoryGiB"];

/** `logs`, or undefined when the key is absent (the opt-in is off). */
export function parseLogs(c: Collector, raw: unknown): LogsSettings | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    c.fail(LOGS_KEY, `must be an object such as { stack: elk, retentionDays: 7 } (got ${JSON.stringify(raw)}); leave the key out for no logging stack`);
    return undefined;
  }
  const value = raw as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    if (!(FIELDS as readonly string[]).includes(key)) c.fail(`${LOGS_KEY}.${key}`, `is not a field of logs (${FIELDS.join(", ")})`);
  }
  const d = LOGS_DEFAULTS;
  const stack = value.stack === undefined ? d.stack : c.oneOf(`${LOGS_KEY}.stack`, value.stack, LOGS_STACKS);
  const retentionDays = c.positiveInt(`${LOGS_KEY}.retentionDays`, value.retentionDays, d.retentionDays);
  const volumeGiB = c.positiveInt(`${LOGS_KEY}.volumeGiB`, value.volumeGiB, d.volumeGiB);
  const nodes = c.positiveInt(`${LOGS_KEY}.elasticsearchNodes`, value.elasticsearchNodes, d.elasticsearchNodes);
  const memoryGiB = c.positiveInt(`${LOGS_KEY}.elasticsearchMemoryGiB`, value.elasticsearchMemoryGiB, d.elasticsearchMemoryGiB);

  if (stack === "loki") {
    for (const key of ELK_ONLY) {
      if (value[key] !== undefined) c.fail(`${LOGS_KEY}.${key}`, "applies to stack elk only (Loki runs one single-binary pod)");
    }
  }
  if (stack === "elk" && nodes === 2) {
    c.fail(`${LOGS_KEY}.elasticsearchNodes`, "2 master-eligible nodes tolerate no failure (a quorum needs a majority); use 1, or 3 and more");
  }
  if (stack === undefined) return undefined;
  return { stack, retentionDays, volumeGiB, elasticsearch: { nodes, memoryGiB } };
}
