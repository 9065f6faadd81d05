/**
 * How long a blocking command asks the server to wait, read from its own arguments, so the
 * client can give it that long plus the usual reply allowance instead of one fixed limit.
 * Pure; knows command syntax only.
 *
 *   command                                   server timeout            unit
 *   BLPOP BRPOP BZPOPMIN BZPOPMAX             last argument             seconds (float)
 *   BLMOVE BRPOPLPUSH                         last argument             seconds
 *   BLMPOP BZMPOP                             first argument            seconds
 *   XREAD XREADGROUP ... BLOCK ms             the value after BLOCK     ms
 *   WAIT WAITAOF                              last argument             ms
 */
import type { RedisArg } from '../resp/types.js';

/** The server-side timeout in ms (0 = wait forever), or undefined when the command is not one we know. */
export function serverTimeoutMs(name: string, args: readonly RedisArg[]): number | undefined {
  switch (name.toUpperCase()) {
    case 'BLPOP':
    case 'BRPOP':
    case 'BZPOPMIN':
    case 'BZPOPMAX':
    case 'BLMOVE':
    case 'BRPOPLPUSH':
      return seconds(args[args.length - 1]);
    case 'BLMPOP':
    case 'BZMPOP':
      return seconds(args[0]);
    case 'XREAD':
    case 'XREADGROUP': {
      for (let i = 0; i + 1 < args.length; i++) {
        const a = args[i];
        if (typeof a === 'string' && a.toUpperCase() === 'STREAMS') break;
        if (typeof a === 'string' && a.length === 5 && a.toUpperCase() === 'BLOCK') return number(args[i + 1]);
      }
      return undefined;
    }
    case 'WAIT':
    case 'WAITAOF':
      return number(args[args.length - 1]);
    default:
      return undefined;
  }
}

function number(a: RedisArg | undefined): number | undefined {
  const n = typeof a === 'number' ? a : typeof a === 'string' || Buffer.isBuffer(a) ? Number(a.toString()) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function seconds(a: RedisArg | undefined): number | undefined {
  const n = number(a);
  return n === undefined ? undefined : Math.ceil(n * 1000);
}

/**
 * The client-side limit for a blocking command: its server timeout plus `allowance` (the
 * commandTimeout); 0 (no limit) when it blocks forever on purpose, when the allowance is 0,
 * or when its timeout cannot be read.
 */
export function blockingLimitMs(name: string, args: readonly RedisArg[], allowance: number): number {
  const t = serverTimeoutMs(name, args);
  return t === undefined || t === 0 || allowance === 0 ? 0 : t + allowance;
}
