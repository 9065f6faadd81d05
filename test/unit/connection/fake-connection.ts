/**
 * A connection double for the script senders: a tiny in-memory server that knows scripts,
 * function libraries and MULTI/EXEC, answers in order like a real connection, and records every
 * write so tests can check what went out together.
 */
import { createHash } from 'node:crypto';
import { PipelineError, ReplyError } from '../../../src/errors.js';
import type { Command } from '../../../src/commands/command.js';
import type { RespValue } from '../../../src/resp/types.js';
import type { ScriptConnection } from '../../../src/connection/send.js';

export const sha1 = (s: string): string => createHash('sha1').update(s, 'utf8').digest('hex');

export class FakeConnection implements ScriptConnection {
  generation = 1;
  /** Every sendBatch / send, as the list of command names (with subcommand) written together. */
  readonly writes: string[][] = [];
  readonly scripts = new Map<string, string>();
  /** library name → function names */
  readonly libraries = new Map<string, string[]>();
  /** Refuses writes such as FUNCTION LOAD, like a replica. */
  replica = false;
  /** Makes the next sendBatch fail as a whole. */
  failNext: Error | undefined;
  /** Runs before the command at this position of the next write (e.g. a flush from elsewhere). */
  beforeCommand: ((name: string) => void) | undefined;
  #queue: Command<unknown>[] | undefined;

  send<T>(cmd: Command<T>): Promise<T> {
    return this.sendBatch([cmd as Command<unknown>]).then(([r]) => {
      if (r instanceof Error) throw r;
      return r as T;
    });
  }

  sendBatch(cmds: readonly Command<unknown>[]): Promise<unknown[]> {
    this.writes.push(cmds.map(label));
    if (this.failNext !== undefined) {
      const cause = this.failNext;
      this.failNext = undefined;
      return Promise.reject(new PipelineError(`Batch failed: ${cause.message}`, 0, cmds.length, cause));
    }
    const out = cmds.map((c) => {
      this.beforeCommand?.(label(c));
      const r = this.#exec(c);
      return r instanceof Error || c.transform === undefined ? r : c.transform(r);
    });
    return Promise.resolve(out);
  }

  #exec(c: Command<unknown>): RespValue {
    if (c.name === 'MULTI') {
      this.#queue = [];
      return 'OK';
    }
    if (c.name === 'EXEC') {
      const q = this.#queue ?? [];
      this.#queue = undefined;
      return q.map((x) => this.#run(x));
    }
    if (this.#queue !== undefined) {
      this.#queue.push(c);
      return 'QUEUED';
    }
    return this.#run(c);
  }

  #run(c: Command<unknown>): RespValue {
    const a = c.args.map(String);
    switch (label(c)) {
      case 'SCRIPT LOAD': {
        if (a[1]!.includes('syntax error')) return new ReplyError('ERR Error compiling script (new function): user_script:1: syntax error');
        const sha = sha1(a[1]!);
        this.scripts.set(sha, a[1]!);
        return sha;
      }
      case 'SCRIPT FLUSH':
        this.scripts.clear();
        return 'OK';
      case 'EVALSHA':
      case 'EVALSHA_RO':
        return this.scripts.has(a[0]!) ? `ran ${a[0]!.slice(0, 6)} ${a.slice(2).join(' ')}`.trim() : new ReplyError('NOSCRIPT No matching script. Please use EVAL.');
      case 'FUNCTION LOAD': {
        if (this.replica) return new ReplyError("READONLY You can't write against a read only replica.");
        const replace = a[1] === 'REPLACE';
        const code = a[replace ? 2 : 1]!;
        const name = /name=(\w+)/.exec(code)![1]!;
        if (this.libraries.has(name) && !replace) return new ReplyError(`ERR Library '${name}' already exists`);
        if (code.includes('syntax error')) return new ReplyError('ERR Error compiling function');
        this.libraries.set(name, [...code.matchAll(/register_function\('(\w+)'/g)].map((m) => m[1]!));
        return name;
      }
      case 'FUNCTION FLUSH':
        this.libraries.clear();
        return 'OK';
      case 'FCALL':
      case 'FCALL_RO':
        for (const fns of this.libraries.values()) if (fns.includes(a[0]!)) return `called ${a[0]!}`;
        return new ReplyError('ERR Function not found');
      case 'INCR':
        return 1;
      default:
        return 'OK';
    }
  }
}

function label(c: Command<unknown>): string {
  return c.name === 'SCRIPT' || c.name === 'FUNCTION' ? `${c.name} ${String(c.args[0])}` : c.name;
}
