/**
 * Scripts (EVALSHA with NOSCRIPT handling) and functions (FCALL with missing-function handling).
 * What a client needs, per connection, whichever kind of client it is:
 *
 *   sendOne<T>(conn, cmd: Command<T>): Promise<T>
 *       like conn.send(cmd). With cmd.script / cmd.library set, loads first when this connection
 *       generation is not known to hold it (same write), and on NOSCRIPT / "function not found"
 *       loads and retries once.
 *
 *   sendPipeline(conn, cmds: readonly Command<unknown>[]): Promise<unknown[]>
 *       like conn.sendBatch(cmds): one result per command in order, error replies in place.
 *       Loads go in front in the same write; entries answered NOSCRIPT / "function not found"
 *       are loaded and re-run once, AFTER the rest of the batch, results put back in place.
 *       Without any cmd.script / cmd.library it is exactly conn.sendBatch(cmds).
 *
 *   sendTransaction(conn, cmds: readonly Command<unknown>[], block: readonly Command<unknown>[]): Promise<unknown[]>
 *       like conn.sendBatch(block) for block = [...anything, MULTI, ...cmds, EXEC]
 *       (e.g. transactionBlock(cmds) from batch/transaction.ts). Note the order: cmds, then block
 *       (a block not ending with EXEC is refused, which catches the two swapped). Loads are inserted right after
 *       MULTI and stripped from the replies (QUEUED entries and EXEC array), so the result goes
 *       straight to readTransaction(replies, cmds). EXEC never meets NOSCRIPT.
 *
 * `conn` is anything with Connection's `send`, `sendBatch` and `generation` (ScriptConnection).
 * What each connection holds is tracked per generation (known.ts): a reconnect forgets it.
 * Commands are tagged by scriptCommand / functionCommand (what runScript / runFunction build);
 * the tags are Command.script ({ sha, lua }) and Command.library ({ name, code }).
 */
export { defineScript, scriptCommand, type Script, type ScriptDefinition } from './script.js';
export {
  defineLibrary,
  functionCommand,
  asFunctionList,
  type Library,
  type RunFunctionOptions,
  type FunctionInfo,
  type FunctionLibraryInfo,
} from './library.js';
export { sendOne, sendPipeline, sendTransaction, type ScriptConnection } from './send.js';
