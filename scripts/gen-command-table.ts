/**
 * Generates src/commands/table.generated.ts from real servers: starts a throwaway
 * `redis-server`, then a `valkey-server`, each on a free 127.0.0.1 port (no persistence), asks
 * each `COMMAND INFO` over a raw socket in RESP2, merges the two lists (see main) and writes one
 * compact line per command and subcommand. The table is
 * loaded at startup, so it holds numbers and short strings only; src/commands/keys.ts turns
 * rows into typed records lazily.
 *
 * Run: `npx tsx scripts/gen-command-table.ts` (or `npm run gen:commands`).
 * Env: REDIS_SERVER=/path/to/redis-server, VALKEY_SERVER=/path/to/valkey-server (default
 * /usr/bin/<name>, then PATH).
 * Imports nothing from src/: the generator must run even when the library does not build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/commands/table.generated.ts');

// Bit i of a row's flags is COMMAND_FLAGS[i]. Known flags keep a fixed order so regenerating
// against another server version does not renumber them; unknown ones are appended.
const KNOWN_COMMAND_FLAGS = [
  'write', 'readonly', 'denyoom', 'module', 'admin', 'pubsub', 'noscript', 'blocking',
  'loading', 'stale', 'skip_monitor', 'skip_slowlog', 'asking', 'fast', 'no_auth',
  'may_replicate', 'sentinel', 'only_sentinel', 'no_mandatory_keys', 'protected',
  'no_async_loading', 'no_multi', 'movablekeys', 'allow_busy', 'module_no_cluster',
];
const KNOWN_KEY_SPEC_FLAGS = [
  'RO', 'RW', 'OW', 'RM', 'access', 'update', 'insert', 'delete', 'not_key', 'incomplete',
  'variable_flags',
];

type Resp = string | number | null | Error | Resp[];

// ---- a tiny RESP2 reader: the whole reply is in one buffer once `parse` stops returning undefined

function parse(buf: Buffer, pos: number): { value: Resp; end: number } | undefined {
  if (pos >= buf.length) return undefined;
  const lineEnd = buf.indexOf('\r\n', pos);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buf[pos]!);
  const line = buf.toString('utf8', pos + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new Error(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
    }
    case '*': {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      const items: Resp[] = [];
      let at = next;
      for (let i = 0; i < len; i++) {
        const r = parse(buf, at);
        if (r === undefined) return undefined;
        items.push(r.value);
        at = r.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

function encode(args: readonly string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

/** Sends one command and resolves with its complete reply. */
function ask(socket: net.Socket, args: readonly string[]): Promise<Resp> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const r = parse(buf, 0);
      if (r === undefined) return;
      socket.off('data', onData);
      socket.off('error', reject);
      if (r.value instanceof Error) reject(r.value);
      else resolve(r.value);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(encode(args));
  });
}

// ---- server lifecycle

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startServer(bin: string): Promise<{ child: ChildProcess; socket: net.Socket }> {
  // Another process may grab the port between our probe and the server's bind: retry a few times.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    let exited = false;
    child.once('exit', () => (exited = true));
    child.once('error', () => (exited = true));
    const deadline = Date.now() + 5000;
    for (let i = 0; i < 100 && !exited && Date.now() < deadline; i++) {
      try {
        return { child, socket: await connect(port) };
      } catch {
        await delay(50);
      }
    }
    if (!exited) child.kill('SIGKILL');
  }
  throw new Error(`could not start ${bin}`);
}

// ---- rows

interface KeySpecInfo {
  flags: string[];
  begin: Record<string, Resp>;
  find: Record<string, Resp>;
}

/** RESP2 flat key/value array → record. */
function record(v: Resp): Record<string, Resp> {
  const out: Record<string, Resp> = {};
  if (!Array.isArray(v)) return out;
  for (let i = 0; i + 1 < v.length; i += 2) out[String(v[i])] = v[i + 1]!;
  return out;
}

function strings(v: Resp): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

function bitmask(names: readonly string[], order: string[], what: string): number {
  let mask = 0;
  for (const n of names) {
    let bit = order.indexOf(n);
    if (bit === -1) {
      order.push(n);
      bit = order.length - 1;
      console.warn(`note: new ${what} flag '${n}' appended as bit ${bit}`);
    }
    if (bit > 30) throw new Error(`too many ${what} flags for a 31-bit mask`);
    mask |= 1 << bit;
  }
  return mask;
}

function keySpecRow(spec: KeySpecInfo, specFlagOrder: string[]): string {
  const flags = bitmask(spec.flags, specFlagOrder, 'key spec');
  const bsType = String(spec.begin['type']);
  const bs = record(spec.begin['spec'] ?? []);
  let begin: number | string = -1;
  let startFrom = 0;
  if (bsType === 'index') begin = Number(bs['index']);
  else if (bsType === 'keyword') {
    begin = String(bs['keyword']);
    startFrom = Number(bs['startfrom']);
  }
  const fkType = String(spec.find['type']);
  const fk = record(spec.find['spec'] ?? []);
  let find = 'u';
  let a = 0;
  let b = 0;
  let c = 0;
  if (fkType === 'range') {
    find = 'r';
    a = Number(fk['lastkey']);
    b = Number(fk['keystep']);
    c = Number(fk['limit']);
  } else if (fkType === 'keynum') {
    find = 'n';
    a = Number(fk['keynumidx']);
    b = Number(fk['firstkey']);
    c = Number(fk['keystep']);
  }
  if (begin === -1) find = 'u';
  return JSON.stringify([flags, begin, startFrom, find, a, b, c]);
}

function byName(x: Resp, y: Resp): number {
  const a = Array.isArray(x) ? String(x[0]) : '';
  const b = Array.isArray(y) ? String(y[0]) : '';
  return a < b ? -1 : a > b ? 1 : 0;
}

function commandRows(entry: Resp, flagOrder: string[], specFlagOrder: string[], out: string[]): void {
  if (!Array.isArray(entry)) return;
  const [name, arity, flags, first, last, step, , tips, keySpecs, subcommands] = entry;
  const specs = Array.isArray(keySpecs)
    ? keySpecs.map((s) => {
        const r = record(s);
        return { flags: strings(r['flags'] ?? []), begin: record(r['begin_search'] ?? []), find: record(r['find_keys'] ?? []) };
      })
    : [];
  const tipList = strings(tips ?? []);
  out.push(
    `[${[
      JSON.stringify(String(name).toLowerCase()),
      Number(arity),
      '0x' + bitmask(strings(flags ?? []), flagOrder, 'command').toString(16),
      Number(first),
      Number(last),
      Number(step),
      tipList.length === 0 ? 0 : JSON.stringify(tipList),
      specs.length === 0 ? 0 : `[${specs.map((s) => keySpecRow(s, specFlagOrder)).join(',')}]`,
    ].join(',')}],`,
  );
  if (Array.isArray(subcommands)) {
    for (const sub of [...subcommands].sort(byName)) commandRows(sub, flagOrder, specFlagOrder, out);
  }
}

function render(version: string, rows: string[], flagOrder: string[], specFlagOrder: string[]): string {
  return `// generated by scripts/gen-command-table.ts from ${version} — do not edit
/* eslint-disable */
/**
 * Every command and subcommand the servers report in COMMAND INFO, one row each, sorted by name.
 * Subcommands are named 'container|sub' (e.g. 'client|list') and follow their container.
 *
 *   row:      [name, arity, flags, firstKey, lastKey, keyStep, tips, keySpecs]
 *   flags:    bit i set = COMMAND_FLAGS[i]
 *   tips:     0 or the server's tips, e.g. "request_policy:all_shards"
 *   keySpecs: 0 or [[specFlags, begin, startFrom, find, a, b, c], ...]
 *     specFlags  bit i set = KEY_SPEC_FLAGS[i]
 *     begin      number: begin_search index (argv position, 0 = command name)
 *                string: begin_search keyword, searched from argv[startFrom] (negative: from the end, backwards)
 *                -1: unknown (keys found by a hand-written rule)
 *     find 'r'   range:  a = lastkey, b = keystep, c = limit
 *     find 'n'   keynum: a = keynumidx, b = firstkey, c = keystep
 *     find 'u'   unknown
 */
export const SERVER_VERSION = ${JSON.stringify(version)};

export const COMMAND_FLAGS = ${JSON.stringify(flagOrder)} as const;

export const KEY_SPEC_FLAGS = ${JSON.stringify(specFlagOrder)} as const;

export type KeySpecRow = readonly [flags: number, begin: number | string, startFrom: number, find: 'r' | 'n' | 'u', a: number, b: number, c: number];

export type CommandRow = readonly [
  name: string,
  arity: number,
  flags: number,
  firstKey: number,
  lastKey: number,
  keyStep: number,
  tips: readonly string[] | 0,
  keySpecs: readonly KeySpecRow[] | 0,
];

export const COMMANDS: readonly CommandRow[] = [
${rows.join('\n')}
];
`;
}

/** The servers asked, in order; a command both know takes the row of the last one that knows it. */
const SERVERS = [
  { name: 'redis-server', env: 'REDIS_SERVER', version: /redis_version:([^\r\n]+)/ },
  { name: 'valkey-server', env: 'VALKEY_SERVER', version: /valkey_version:([^\r\n]+)/ },
] as const;

function binaryOf(server: (typeof SERVERS)[number]): string {
  const given = process.env[server.env];
  if (given !== undefined) return given;
  return existsSync(`/usr/bin/${server.name}`) ? `/usr/bin/${server.name}` : server.name;
}

/** One server's rows, by command name ('container|sub' for subcommands), in COMMAND INFO order. */
async function rowsOf(bin: string, version: RegExp, flagOrder: string[], specFlagOrder: string[]): Promise<{ version: string; rows: Map<string, string> }> {
  const { child, socket } = await startServer(bin);
  try {
    const info = await ask(socket, ['INFO', 'server']);
    const found = version.exec(String(info))?.[1] ?? 'unknown';
    const all = await ask(socket, ['COMMAND', 'INFO']);
    if (!Array.isArray(all) || all.length === 0) throw new Error(`COMMAND INFO of ${bin} returned no commands`);
    const lines: string[] = [];
    for (const entry of [...all].sort(byName)) commandRows(entry, flagOrder, specFlagOrder, lines);
    const rows = new Map<string, string>();
    for (const line of lines) rows.set(JSON.parse(line.slice(1, line.indexOf(',')) as string) as string, line);
    return { version: found, rows };
  } finally {
    socket.destroy();
    child.kill('SIGTERM');
  }
}

/**
 * Every server's commands in one table. A command only one server has keeps that server's row
 * (the other would refuse it, so its keys never matter there); a command both have and describe
 * differently takes the later server's row, and the difference is printed for review.
 */
async function main(): Promise<void> {
  const flagOrder = [...KNOWN_COMMAND_FLAGS];
  const specFlagOrder = [...KNOWN_KEY_SPEC_FLAGS];
  const merged = new Map<string, string>();
  const versions: string[] = [];
  for (const server of SERVERS) {
    const { version, rows } = await rowsOf(binaryOf(server), server.version, flagOrder, specFlagOrder);
    versions.push(`${server.name} ${version}`);
    let added = 0;
    for (const [name, row] of rows) {
      const before = merged.get(name);
      if (before === undefined) added++;
      else if (before !== row) console.log(`note: ${name} differs; ${server.name} ${version}'s row kept\n  was ${before}\n  now ${row}`);
      merged.set(name, row);
    }
    console.log(`${server.name} ${version}: ${rows.size} commands, ${added} not known before`);
  }
  // Sorted by name with every subcommand after its container, as each server's list was.
  const rows = [...merged.keys()].sort(byContainer).map((name) => merged.get(name)!);
  writeFileSync(OUT, render(versions.join(' + '), rows, flagOrder, specFlagOrder));
  console.log(`wrote ${rows.length} commands to ${path.relative(process.cwd(), OUT)}`);
}

function byContainer(a: string, b: string): number {
  const [ca, sa = ''] = a.split('|');
  const [cb, sb = ''] = b.split('|');
  if (ca !== cb) return ca! < cb! ? -1 : 1;
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
