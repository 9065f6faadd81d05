/**
 * A tiny RESP2 request/reply over a raw socket, for the harness only: "is this server
 * up?", and reading CLUSTER INFO / CLUSTER NODES / ROLE while the slotline client may be
 * broken or under development. It must never import from src/. Replies come from a
 * server we started, so the reader is small and trusts its input's shape.
 */
import net from 'node:net';

/** An error reply (-ERR ...) kept as a value, so a pipeline of probes keeps its order. */
export class ProbeReplyError extends Error {
  override readonly name = 'ProbeReplyError';
}

export type ProbeReply = string | number | null | ProbeReply[] | ProbeReplyError;

export interface ProbeOptions {
  host?: string;
  /** Bound for connect + all replies. */
  timeoutMs?: number;
  /** Sends AUTH first (servers started with --requirepass); a refused AUTH rejects. */
  password?: string;
}

function encode(commands: readonly (readonly string[])[]): Buffer {
  const parts: string[] = [];
  for (const args of commands) {
    parts.push(`*${args.length}\r\n`);
    for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
  }
  return Buffer.from(parts.join(''));
}

interface Parsed {
  value: ProbeReply;
  next: number;
}

/** Parses one reply at `at`, or returns undefined when the buffer holds only part of it. */
function parseReply(buf: Buffer, at: number): Parsed | undefined {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const type = buf[at];
  const line = buf.toString('utf8', at + 1, eol);
  const afterLine = eol + 2;
  switch (type) {
    case 0x2b /* + */:
      return { value: line, next: afterLine };
    case 0x2d /* - */:
      return { value: new ProbeReplyError(line), next: afterLine };
    case 0x3a /* : */:
      return { value: Number(line), next: afterLine };
    case 0x24 /* $ */: {
      const length = Number(line);
      if (length < 0) return { value: null, next: afterLine };
      const end = afterLine + length;
      if (buf.length < end + 2) return undefined;
      return { value: buf.toString('utf8', afterLine, end), next: end + 2 };
    }
    case 0x2a /* * */: {
      const count = Number(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: ProbeReply[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, next);
        if (item === undefined) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`probe: unexpected RESP type byte 0x${(type ?? 0).toString(16)}`);
  }
}

/**
 * Sends all commands on one fresh connection and resolves with one reply per command
 * (error replies as ProbeReplyError values). With `password`, AUTH goes first in the same
 * write; its reply is not returned, and an error reply to it rejects. Rejects on connect
 * errors, a closed socket, or when `timeoutMs` (default 2000) passes.
 */
export async function probe(
  port: number,
  commands: readonly (readonly string[])[],
  options: ProbeOptions = {},
): Promise<ProbeReply[]> {
  if (options.password === undefined) return exchange(port, commands, options);
  const [auth, ...replies] = await exchange(port, [['AUTH', options.password], ...commands], options);
  if (auth instanceof ProbeReplyError) throw auth;
  return replies;
}

function exchange(port: number, commands: readonly (readonly string[])[], options: ProbeOptions): Promise<ProbeReply[]> {
  const { host = '127.0.0.1', timeoutMs = 2000 } = options;
  return new Promise((resolve, reject) => {
    let buffer: Buffer = Buffer.alloc(0);
    const replies: ProbeReply[] = [];
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(replies);
    };
    const timer = setTimeout(
      () => finish(new Error(`probe: no full reply from ${host}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('connect', () => socket.write(encode(commands)));
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      try {
        let offset = 0;
        while (replies.length < commands.length) {
          const parsed = parseReply(buffer, offset);
          if (parsed === undefined) break;
          replies.push(parsed.value);
          offset = parsed.next;
        }
        buffer = buffer.subarray(offset);
      } catch (error) {
        finish(error as Error);
        return;
      }
      if (replies.length === commands.length) finish(undefined);
    });
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error(`probe: ${host}:${port} closed the connection`)));
  });
}

/** One command; an error reply rejects. */
export async function probeOne(port: number, args: readonly string[], options?: ProbeOptions): Promise<ProbeReply> {
  const [reply] = await probe(port, [args], options);
  if (reply instanceof ProbeReplyError) throw reply;
  return reply ?? null;
}

/** Whether the server answers PING with PONG (after AUTH when a password is given). */
export async function answersPing(port: number, password?: string, options?: ProbeOptions): Promise<boolean> {
  const commands = password === undefined ? [['PING']] : [['AUTH', password], ['PING']];
  try {
    const replies = await probe(port, commands, { timeoutMs: 500, ...options });
    return replies[replies.length - 1] === 'PONG';
  } catch {
    return false;
  }
}
