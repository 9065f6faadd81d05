/**
 * The one rule table for commands that must not run where they were issued, and the one check
 * every path calls: the standalone and cluster clients for single commands, pipelines and
 * multi() (through the builders), and the dedicated connection of watch(). Pure: a command and
 * the path in, a typed error (or nothing) out; imports only errors, the command model and keys.
 *
 *   command                         single (shared)   single (watch)   in a batch
 *   connection state (SELECT,       refused           refused          refused
 *     WATCH, MULTI, CLIENT REPLY…)
 *   takes the connection over       refused           refused          refused
 *     (MONITOR, SYNC, Pub/Sub…)
 *   ASKING / READONLY / READWRITE   cluster: refused  allowed          cluster: refused
 *   blocking (BLPOP, XREAD BLOCK…)  sent to the pool  allowed          refused
 *
 * A batch is written in one piece on the shared connection: a blocking command in it would
 * hold every other caller's replies behind it, and a batch cannot be split onto the pool
 * without losing its order (or, for MULTI, its atomicity).
 */
import { CommandRefusedError } from '../errors.js';
import type { RedisArg } from '../resp/types.js';
import type { Command } from './command.js';
import { isBlocking } from './keys.js';

/** Where a command is about to be sent. */
export type CommandPath =
  /** The standalone client's shared, multiplexed connection. */
  | 'client'
  /** The cluster client's shared node connections. */
  | 'cluster'
  /** The dedicated connection of a watch() callback (returned to the pool afterwards). */
  | 'watch';

interface Rule {
  readonly why: string;
  /** For a container (CLIENT): only these subcommands are refused, the rest are fine. */
  readonly subcommands?: ReadonlyMap<string, Rule>;
  /** Refused only on the cluster client: elsewhere the command is the user's to send. */
  readonly clusterOnly?: boolean;
  /** The advice inside watch(), where the transaction commands have their own answer. */
  readonly inWatch?: string;
}

const PUBSUB = 'use client.subscribe() / psubscribe() / ssubscribe() and their unsubscribe methods, which keep the subscriptions across reconnects';
const TRANSACTION = 'use multi().cmd(...).exec(), which writes MULTI…EXEC as one block';
const IN_WATCH = 'return tx.multi()... from the watch() callback instead';

const RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['WATCH', { why: 'WATCH is connection state: use watch(keys, async (tx) => ...) which runs on a dedicated connection', inWatch: 'watch() already watches its keys' }],
  ['UNWATCH', { why: 'UNWATCH is connection state: use watch(keys, ...) which unwatches for you', inWatch: 'return nothing from the callback to unwatch' }],
  ['MULTI', { why: TRANSACTION, inWatch: IN_WATCH }],
  ['EXEC', { why: TRANSACTION, inWatch: IN_WATCH }],
  ['DISCARD', { why: 'use multi() and its discard()', inWatch: 'return nothing from the callback to discard' }],
  ['SELECT', { why: 'SELECT would switch the database under every caller of the connection: use the `db` option' }],
  ['RESET', { why: 'RESET would drop the handshake state (database, name, credentials) of the connection' }],
  ['QUIT', { why: 'use close()' }],
  ['SUBSCRIBE', { why: PUBSUB }],
  ['PSUBSCRIBE', { why: PUBSUB }],
  ['SSUBSCRIBE', { why: PUBSUB }],
  ['UNSUBSCRIBE', { why: PUBSUB }],
  ['PUNSUBSCRIBE', { why: PUBSUB }],
  ['SUNSUBSCRIBE', { why: PUBSUB }],
  ['MONITOR', { why: 'MONITOR takes the connection over (it streams every command the server runs) and is not supported' }],
  ['SYNC', { why: 'SYNC starts replication: the connection would carry the dataset, not replies' }],
  ['PSYNC', { why: 'PSYNC starts replication: the connection would carry the dataset, not replies' }],
  ['ASKING', { why: 'ASKING only means something right before the command it applies to; the cluster client sends it itself', clusterOnly: true }],
  ['READONLY', { why: 'use the readFrom option; the cluster client sends READONLY itself', clusterOnly: true }],
  ['READWRITE', { why: 'use the readFrom option', clusterOnly: true }],
  [
    'CLIENT',
    {
      why: '',
      subcommands: new Map<string, Rule>([
        ['REPLY', { why: 'CLIENT REPLY OFF|SKIP would leave the commands of other callers without replies, and every later reply on the wrong command' }],
      ]),
    },
  ],
]);

const word = (arg: RedisArg): string => (typeof arg === 'string' ? arg : String(arg)).toUpperCase();

// One Map lookup for the common case (a command with no rule): this runs for every command.
function ruleOf(cmd: Command<unknown>, path: CommandPath): Rule | undefined {
  let rule = RULES.get(cmd.name);
  if (rule === undefined) return undefined;
  if (rule.subcommands !== undefined) {
    if (cmd.args.length === 0) return undefined;
    rule = rule.subcommands.get(word(cmd.args[0]!));
    if (rule === undefined) return undefined;
  }
  return rule.clusterOnly === true && path !== 'cluster' ? undefined : rule;
}

function describe(cmd: Command<unknown>): string {
  return RULES.get(cmd.name)?.subcommands !== undefined ? `${cmd.name} ${word(cmd.args[0]!)}` : cmd.name;
}

/**
 * Why `cmd`, sent alone on `path`, must not be sent: a typed error to reject with, or undefined.
 * `cmd.name` is upper case (every command builder upper-cases it). Blocking commands are
 * allowed here: the caller sends them to a dedicated connection.
 */
export function commandRefusal(cmd: Command<unknown>, path: CommandPath): CommandRefusedError | undefined {
  const rule = ruleOf(cmd, path);
  if (rule === undefined) return undefined;
  const where = path === 'watch' ? 'inside watch()' : 'on the shared connection';
  const why = path === 'watch' ? (rule.inWatch ?? rule.why) : rule.why;
  return new CommandRefusedError(cmd.name, `${describe(cmd)} refused ${where}: ${why}`);
}

/**
 * Why the batch `cmds` (a pipeline, or the commands of a transaction) must not be sent on
 * `path`, naming the first offending command and its index; undefined when it may go. The
 * whole batch is refused: nothing of it is written.
 */
export function batchRefusal(cmds: readonly Command<unknown>[], path: CommandPath, kind: 'pipeline' | 'multi'): CommandRefusedError | undefined {
  for (let i = 0; i < cmds.length; i++) {
    const refusal = entryRefusal(cmds[i]!, i, path, kind);
    if (refusal !== undefined) return refusal;
  }
  return undefined;
}

/**
 * Why entry #`index` of a batch must not be sent, by the same rules. In bulk() only that entry
 * is refused (its error takes its place); in a pipeline or transaction the whole batch is.
 */
export function entryRefusal(cmd: Command<unknown>, index: number, path: CommandPath, kind: 'pipeline' | 'multi' | 'bulk'): CommandRefusedError | undefined {
  const rule = ruleOf(cmd, path);
  const unsent = kind === 'bulk' ? 'it was not sent' : 'nothing of the batch was sent';
  if (rule !== undefined) {
    const why = path === 'watch' ? (rule.inWatch ?? rule.why) : rule.why;
    return new CommandRefusedError(cmd.name, `${describe(cmd)} (#${index}) refused in ${kind}(): ${why}; ${unsent}`, index);
  }
  if (isBlocking(cmd.name, cmd.args)) {
    return new CommandRefusedError(
      cmd.name,
      `${describe(cmd)} (#${index}) refused in ${kind}(): a blocking command would hold the replies of every other caller behind it; ` +
        `send it on its own (it then runs on a dedicated connection); ${unsent}`,
      index,
    );
  }
  return undefined;
}
