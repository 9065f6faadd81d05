/**
 * The one interface every client under test is driven through, and the targets it connects
 * to. Adapters translate these calls into each client's own API and nothing more, so the
 * scenarios measure the clients, not the glue. Imports nothing.
 */

export interface Endpoint {
  host: string;
  port: number;
}

/** A command of a workload as plain data, built before timing starts. */
export type Cmd = { kind: 'set'; key: string; value: string } | { kind: 'get'; key: string };

export type Target =
  | { kind: 'standalone'; host: string; port: number }
  | {
      kind: 'cluster';
      seeds: readonly Endpoint[];
      /** 'host:port' as the cluster announces it -> where a client must really connect. */
      natMap?: Readonly<Record<string, Endpoint>>;
    };

export interface Adapter {
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  ping(): Promise<unknown>;
  /**
   * One explicit, non-atomic batch. Rejects when the client refuses the batch or any reply
   * is an error (see checkReplies), so a half-failed batch never counts as a result.
   */
  batch(cmds: readonly Cmd[]): Promise<void>;
  close(): Promise<void>;
}

export interface ClientSpec {
  /** Row label in every table. */
  readonly name: string;
  /** 'baseline' rows are ceilings, never "best other". */
  readonly role: 'subject' | 'other' | 'baseline';
  /** Package name whose installed version the header prints. */
  readonly pkg: string;
  readonly clusterCapable: boolean;
  open(target: Target): Promise<Adapter>;
}

/** Thrown by adapters for a reply that is an error inside a batch. */
export class BatchReplyError extends Error {
  override readonly name = 'BatchReplyError';
  constructor(
    readonly failed: number,
    readonly total: number,
    readonly first: string,
  ) {
    super(`${failed} of ${total} replies were errors, first: ${first}`);
  }
}

/** Checks a batch's replies: count and no error values. */
export function checkReplies(replies: readonly unknown[] | null | undefined, expected: number): void {
  if (replies == null) throw new Error('batch returned no replies');
  if (replies.length !== expected) throw new Error(`batch returned ${replies.length} replies for ${expected} commands`);
  let failed = 0;
  let first = '';
  for (const r of replies) {
    if (r instanceof Error) {
      if (failed === 0) first = r.message;
      failed++;
    }
  }
  if (failed > 0) throw new BatchReplyError(failed, expected, first);
}
