/**
 * Scripts as values. defineScript hashes the Lua once, locally, so a call never needs the server
 * to tell us the SHA1; scriptCommand turns a call into EVALSHA/EVALSHA_RO tagged with the script,
 * which lets any sender (send.ts, a cluster node) load it when the server lacks it.
 * Pure: no connection, no I/O. Imports only the command model.
 */
import { createHash } from 'node:crypto';
import { ArgumentTypeError } from '../errors.js';
import type { Command, RedisKey, ScriptRef } from '../commands/command.js';
import type { RedisArg, RespValue } from '../resp/types.js';

/** What `defineScript` takes. */
export interface ScriptDefinition {
  /** The Lua source, sent to the server once per connection (SCRIPT LOAD), then called by SHA1. */
  lua: string;
  /** How many keys every call passes. When set, a call with another count is refused (ArgumentTypeError) before anything is sent. */
  keys?: number;
  /**
   * Run with EVALSHA_RO: the server refuses any write from the script, and a cluster client may
   * send it to a replica. Leave unset for scripts that write.
   */
  readOnly?: boolean;
}

/** A Lua script as a value, made by `defineScript`: its source and SHA1; run it with `runScript`. */
export interface Script extends ScriptRef {
  readonly keys: number | undefined;
  readonly readOnly: boolean;
}

/** A script as a value: its SHA1 is computed here, and `runScript` sends EVALSHA, loading the body once per connection when the server lacks it. `defineScript({ lua: "return redis.call('GET', KEYS[1])", keys: 1 })`. */
export function defineScript(definition: ScriptDefinition): Script {
  const { lua, keys, readOnly } = definition;
  if (typeof lua !== 'string' || lua.length === 0) throw new ArgumentTypeError('defineScript', 0, lua, 'shape', '(definition): `lua` must be a non-empty string');
  if (keys !== undefined && (!Number.isInteger(keys) || keys < 0)) {
    throw new ArgumentTypeError('defineScript', 0, keys, 'shape', `(definition): \`keys\` must be a non-negative integer, got ${String(keys)}`);
  }
  // The server hashes the bytes it receives; the encoder writes strings as UTF-8.
  const sha = createHash('sha1').update(lua, 'utf8').digest('hex');
  return Object.freeze({ lua, sha, keys, readOnly: readOnly === true });
}

/** The EVALSHA (or EVALSHA_RO) command for one call of `script`. */
export function scriptCommand(script: Script, keys: readonly RedisKey[], args: readonly RedisArg[]): Command<RespValue> {
  if (script.keys !== undefined && keys.length !== script.keys) {
    throw new ArgumentTypeError('runScript', 1, keys, 'count', `(keys): the script takes ${script.keys} key(s), got ${keys.length}`);
  }
  return {
    name: script.readOnly ? 'EVALSHA_RO' : 'EVALSHA',
    args: [script.sha, keys.length, ...keys, ...args],
    script: { sha: script.sha, lua: script.lua },
  };
}
