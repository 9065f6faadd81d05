/**
 * Typed methods for server, Pub/Sub publishing, scripting and function commands (raw EVAL/FCALL
 * forms, and the managed runScript / runFunction that load what the server lacks). A link of
 * the method chain between KeyspaceMethods (which provides _run/_cmd) and the generated methods,
 * kept apart so each file owns one family. Must not import connection, client or cluster modules.
 */
import type { RedisArg, RespValue } from '../resp/types.js';
import type { Command } from './command.js';
import { KeyspaceMethods, type Apply, type RedisKey, type ResultKind } from './keyspace-methods.js';
import { asArray, asClientList, asText } from './transforms.js';
import { grammar } from './options.js';
import { scriptCommand, type Script } from '../scripts/script.js';
import { asFunctionList, functionCommand, type FunctionLibraryInfo, type Library, type RunFunctionOptions } from '../scripts/library.js';

const FUNCTION_LOAD = grammar('FUNCTION', 'REPLACE', { replace: (v) => (v === true ? ['REPLACE'] : undefined) });
const FUNCTION_LIST = grammar('FUNCTION', 'LIBRARYNAME=1 WITHCODE', {
  libraryName: (v) => (typeof v === 'string' ? ['LIBRARYNAME', v] : undefined),
  withCode: (v) => (v === true ? ['WITHCODE'] : undefined),
});

const ok = (r: RespValue): 'OK' => r as 'OK';
const int = (r: RespValue): number => r as number;

export abstract class ServerMethods<F extends ResultKind> extends KeyspaceMethods<F> {
  // ── server ───────────────────────────────────────────────────────────────────────────
  /** PING: 'PONG', or `message` echoed. */
  ping(message?: string): Apply<F, string> {
    return this._cmd('PING', message === undefined ? [] : [message], (r) => r as string);
  }
  /** ECHO: `message` back. */
  echo(message: string): Apply<F, string> {
    return this._cmd('ECHO', [message], (r) => r as string);
  }
  /** The INFO text as the server sends it (section names narrow it). */
  info(...sections: string[]): Apply<F, string> {
    return this._cmd('INFO', sections, asText);
  }
  /** CLIENT LIST as one record per connection (`{ id, addr, name, cmd, ... }`); filters as the server takes them: `clientList('TYPE', 'normal')`. */
  clientList(...filters: RedisArg[]): Apply<F, Array<Record<string, string>>> {
    return this._cmd('CLIENT', ['LIST', ...filters], asClientList);
  }
  /** CLIENT INFO of this connection as a record. */
  clientInfo(): Apply<F, Record<string, string>> {
    return this._cmd('CLIENT', ['INFO'], (r) => asClientList(r)[0] ?? {});
  }
  /** TIME: the server's clock. */
  time(): Apply<F, { seconds: number; microseconds: number }> {
    return this._cmd('TIME', [], (r) => {
      const [s, us] = r as [string, string];
      return { seconds: Number(s), microseconds: Number(us) };
    });
  }
  /** PUBLISH: resolves with the number of subscribers that received it (on this node, in a cluster). */
  publish(channel: string, message: RedisArg): Apply<F, number> {
    return this._cmd('PUBLISH', [channel, message], int);
  }
  /** SPUBLISH (Redis 7+): to a shard channel, on the owner of its slot. */
  spublish(shardChannel: string, message: RedisArg): Apply<F, number> {
    return this._cmd('SPUBLISH', [shardChannel, message], int);
  }

  // ── scripting (raw forms; see runScript / runFunction for the managed ones) ───────────
  /** `eval(lua, [keys], [args])` or, as in ioredis, `eval(lua, numkeys, ...keys, ...args)`. */
  eval(script: string, keys: readonly RedisKey[], args?: readonly RedisArg[]): Apply<F, RespValue>;
  eval(script: string, numkeys: number, ...keysAndArgs: RedisArg[]): Apply<F, RespValue>;
  eval(script: string, keys: readonly RedisKey[] | number, ...rest: unknown[]): Apply<F, RespValue> {
    return this._cmd<RespValue>('EVAL', scriptArgs(script, keys, rest));
  }
  /** EVALSHA: run a loaded script by SHA1; a NOSCRIPT reply is an error (runScript repairs it for you). */
  evalsha(sha: string, keys: readonly RedisKey[], args?: readonly RedisArg[]): Apply<F, RespValue>;
  evalsha(sha: string, numkeys: number, ...keysAndArgs: RedisArg[]): Apply<F, RespValue>;
  evalsha(sha: string, keys: readonly RedisKey[] | number, ...rest: unknown[]): Apply<F, RespValue> {
    return this._cmd<RespValue>('EVALSHA', scriptArgs(sha, keys, rest));
  }
  /** FCALL: call a loaded function (runFunction loads its library when missing). */
  fcall(fn: string, keys: readonly RedisKey[], args?: readonly RedisArg[]): Apply<F, RespValue>;
  fcall(fn: string, numkeys: number, ...keysAndArgs: RedisArg[]): Apply<F, RespValue>;
  fcall(fn: string, keys: readonly RedisKey[] | number, ...rest: unknown[]): Apply<F, RespValue> {
    return this._cmd<RespValue>('FCALL', scriptArgs(fn, keys, rest));
  }
  /** FCALL_RO: call a read-only function (may run on a replica). */
  fcallReadonly(fn: string, keys: readonly RedisKey[], args?: readonly RedisArg[]): Apply<F, RespValue>;
  fcallReadonly(fn: string, numkeys: number, ...keysAndArgs: RedisArg[]): Apply<F, RespValue>;
  fcallReadonly(fn: string, keys: readonly RedisKey[] | number, ...rest: unknown[]): Apply<F, RespValue> {
    return this._cmd<RespValue>('FCALL_RO', scriptArgs(fn, keys, rest));
  }

  // ── scripts and functions, managed: loaded when the server lacks them (see src/scripts) ──
  /**
   * Runs a script made by defineScript: EVALSHA, or EVALSHA_RO for a read-only script. The body
   * is sent once per connection; after SCRIPT FLUSH or a restart it is loaded again by itself.
   */
  runScript(script: Script, keys: readonly RedisKey[] = [], args: readonly RedisArg[] = []): Apply<F, RespValue> {
    let cmd: Command<RespValue>;
    try {
      cmd = scriptCommand(script, keys, args);
    } catch (error) {
      return this._fail(error as Error);
    }
    return this._run(cmd);
  }
  /**
   * Calls function `fn` of a library made by defineLibrary (FCALL, or FCALL_RO with
   * `readOnly`). When the server does not have the function, the library is loaded
   * (FUNCTION LOAD REPLACE) and the call retried once.
   */
  runFunction(
    library: Library,
    fn: string,
    keys: readonly RedisKey[] = [],
    args: readonly RedisArg[] = [],
    options?: RunFunctionOptions,
  ): Apply<F, RespValue> {
    return this._run(functionCommand(library, fn, keys, args, options));
  }
  /** SCRIPT LOAD; resolves with the SHA1. */
  scriptLoad(lua: string): Apply<F, string> {
    return this._cmd('SCRIPT', ['LOAD', lua], asText);
  }
  /** SCRIPT EXISTS: for each SHA1, whether the server has that script. */
  scriptExists(...shas: string[]): Apply<F, boolean[]> {
    return this._cmd('SCRIPT', ['EXISTS', ...shas], (r) => asArray(r).map((x) => x === 1 || x === true));
  }
  /** SCRIPT FLUSH: remove every cached script. */
  scriptFlush(mode?: 'SYNC' | 'ASYNC'): Apply<F, 'OK'> {
    return this._cmd('SCRIPT', mode ? ['FLUSH', mode] : ['FLUSH'], ok);
  }
  /** FUNCTION LOAD [REPLACE]; resolves with the library name. */
  functionLoad(code: string, options?: { replace?: boolean }): Apply<F, string> {
    return this._withOptions('FUNCTION', ['LOAD'], FUNCTION_LOAD, options === undefined ? [] : [options], asText, [code]);
  }
  /** FUNCTION LIST, shaped the same under RESP2 and RESP3. */
  functionList(options?: { libraryName?: string; withCode?: boolean }): Apply<F, FunctionLibraryInfo[]> {
    return this._withOptions('FUNCTION', ['LIST'], FUNCTION_LIST, options === undefined ? [] : [options], asFunctionList);
  }
  /** FUNCTION DELETE: remove a library. */
  functionDelete(library: string): Apply<F, 'OK'> {
    return this._cmd('FUNCTION', ['DELETE', library], ok);
  }
  /** FUNCTION FLUSH: remove every library. */
  functionFlush(mode?: 'SYNC' | 'ASYNC'): Apply<F, 'OK'> {
    return this._cmd('FUNCTION', mode ? ['FLUSH', mode] : ['FLUSH'], ok);
  }
}

/** EVAL-family arguments from our form (key and argument arrays) or the server's (numkeys, then both). */
function scriptArgs(head: string, keys: readonly RedisKey[] | number, rest: readonly unknown[]): RedisArg[] {
  if (typeof keys === 'number') return [head, keys, ...(rest as RedisArg[])];
  const args = (rest[0] ?? []) as readonly RedisArg[];
  return [head, keys.length, ...keys, ...args];
}
