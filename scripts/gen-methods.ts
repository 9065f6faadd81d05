/**
 * Generates src/commands/methods.generated.ts: a typed method for every command and subcommand
 * that Redis 7 and Valkey 8 report in COMMAND DOCS and that has no hand-written method, so
 * `client.objectEncoding(key)`, `client.lpos(key, 'x', 'RANK', 2)` or `cluster.clusterInfo()`
 * exist and autocomplete with the server's own syntax in their doc comment.
 *
 * Parameters follow the docs' arguments: the leading required plain arguments become named,
 * typed parameters (a key is a RedisKey, numbers accept number | string for '+inf' and the
 * like); everything from the first optional, repeated, token or choice argument on is one rest
 * parameter in the server's syntax, checked by the server (shown in the doc comment). A lone
 * trailing repeated argument (`DEL key [key ...]`) becomes a typed rest parameter. Replies are
 * returned as decoded (RespValue); commands whose generic reply shape is wrong for users have a
 * hand-written method in one of the HAND_WRITTEN files below, which this generator skips by name.
 *
 * Not generated: commands that change the shared connection's state (the refusal table in
 * src/commands/connection-state.ts — they keep answering with CommandRefusedError through
 * `call()`), HELLO (protocol and credentials are options), and container commands themselves
 * (their subcommands are generated: OBJECT ENCODING → objectEncoding).
 *
 * Run: `npm run gen:methods` — starts a throwaway redis-server and valkey-server (test harness),
 * reads `COMMAND DOCS` from each with the CLI's --json output, writes the file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisCliWith, startStandalone } from '../test/harness/servers.js';
import { SERVER_FLAVOURS } from '../test/harness/flavour.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'src/commands/methods.generated.ts');
/** Files whose class methods are hand-written: a command with a method there is skipped. */
const HAND_WRITTEN = [
  'src/commands/keyspace-methods.ts',
  'src/commands/server-methods.ts',
  'src/commands/stream-methods.ts',
  'src/commands/methods.ts',
];
/** Refused on a shared connection (connection-state.ts) or covered by options: no method. */
const NOT_GENERATED = new Set([
  'watch', 'unwatch', 'multi', 'exec', 'discard', 'select', 'reset', 'quit', 'hello', 'monitor',
  'sync', 'psync', 'asking', 'readonly', 'readwrite', 'client|reply',
  'subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe',
]);

interface DocArg {
  name: string;
  type: string;
  token?: string;
  flags?: string[];
  arguments?: DocArg[];
}
interface Doc {
  summary?: string;
  since?: string;
  group?: string;
  arguments?: DocArg[];
  subcommands?: Record<string, Doc>;
}

const RESERVED = new Set(['function', 'default', 'delete', 'new', 'arguments', 'class', 'type', 'in', 'for', 'var', 'let', 'const']);

function camel(words: string): string {
  return words
    .split(/[|\-_ ]+/)
    .filter((w) => w.length > 0)
    .map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase()))
    .join('');
}

function paramName(arg: DocArg, used: Set<string>): string {
  let name = camel(arg.name);
  if (!/^[a-z][A-Za-z0-9]*$/.test(name)) name = 'arg';
  if (RESERVED.has(name)) name = `${name}Arg`;
  let unique = name;
  for (let i = 2; used.has(unique); i++) unique = `${name}${i}`;
  used.add(unique);
  return unique;
}

const flagsOf = (a: DocArg): string[] => a.flags ?? [];
const isPlain = (a: DocArg): boolean => a.token === undefined && ['key', 'string', 'pattern', 'integer', 'double', 'unix-time'].includes(a.type);

function tsType(a: DocArg): string {
  if (a.type === 'key') return 'RedisKey';
  if (a.type === 'integer' || a.type === 'double' || a.type === 'unix-time') return 'number | string';
  return 'RedisArg';
}

/** The server's syntax for one argument, as the docs write it: `[EX seconds | PX milliseconds]`. */
function syntax(a: DocArg): string {
  const f = flagsOf(a);
  const inner = (a.arguments ?? []).map(syntax);
  let body =
    a.type === 'oneof' ? inner.join(' | ') : a.type === 'block' ? inner.join(' ') : a.type === 'pure-token' ? (a.token ?? a.name) : a.name;
  if (a.type === 'oneof' && (a.token !== undefined || !f.includes('optional'))) body = `<${body}>`;
  if (a.token !== undefined && a.type !== 'pure-token') body = `${a.token} ${body}`;
  if (f.includes('multiple')) body = `${body} [${f.includes('multiple_token') || a.type === 'oneof' || a.type === 'block' ? body : a.name} ...]`;
  return f.includes('optional') ? `[${body}]` : body;
}

/** Hand-written method names: `  name(` or `  name<T>(` at class-member indentation. */
function handWritten(): Set<string> {
  const names = new Set<string>();
  for (const file of HAND_WRITTEN) {
    for (const m of readFileSync(path.join(ROOT, file), 'utf8').matchAll(/^ {2}(?:async )?([a-z][A-Za-z0-9]*)(?:<[^(]*>)?\(/gm)) names.add(m[1]!);
  }
  return names;
}

interface Entry {
  id: string; // 'object|encoding'
  doc: Doc;
  servers: Set<string>;
}

function method(e: Entry): string {
  const [container, sub] = e.id.split('|') as [string, string | undefined];
  const wire = container.toUpperCase();
  const fixed = sub === undefined ? [] : [`'${sub.toUpperCase()}'`];
  const args = e.doc.arguments ?? [];
  const used = new Set<string>();
  const params: string[] = [];
  const passed: string[] = [...fixed];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (!isPlain(a) || flagsOf(a).length > 0) break;
    const n = paramName(a, used);
    params.push(`${n}: ${tsType(a)}`);
    passed.push(n);
  }
  const rest = args.slice(i);
  if (rest.length === 1 && isPlain(rest[0]!) && flagsOf(rest[0]!).join() === 'multiple') {
    const n = paramName(rest[0]!, used);
    params.push(`...${n}: Array<${tsType(rest[0]!)}>`);
    passed.push(`...${n}`);
  } else if (rest.length > 0) {
    params.push('...args: RedisArg[]');
    passed.push('...args');
  }
  const line = [e.id.replace('|', ' ').toUpperCase(), ...args.map(syntax)].join(' ');
  const only = e.servers.size < SERVER_FLAVOURS.length ? ` Only on ${[...e.servers].join(', ')}.` : '';
  const summary = (e.doc.summary ?? '').replace(/\*\//g, '* /').trim();
  return [
    `  /** ${summary}${summary.endsWith('.') ? '' : '.'}${only}\n   *\n   * \`${line.replace(/`/g, "'")}\` */`,
    `  ${camel(e.id)}(${params.join(', ')}): Apply<F, RespValue> {`,
    `    return this._cmd('${wire}', [${passed.join(', ')}]);`,
    '  }',
  ].join('\n');
}

async function docsOf(flavour: (typeof SERVER_FLAVOURS)[number]): Promise<{ version: string; docs: Record<string, Doc> }> {
  const server = await startStandalone({ flavour });
  try {
    const docs = JSON.parse(await redisCliWith({ flavour }, server.port, '--json', 'COMMAND', 'DOCS')) as Record<string, Doc>;
    const info = await redisCliWith({ flavour }, server.port, 'INFO', 'server');
    const version = /(?:valkey|redis)_version:(\S+)/.exec(info)?.[1] ?? '?';
    return { version: `${flavour} ${version}`, docs };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const entries = new Map<string, Entry>();
  const versions: string[] = [];
  for (const flavour of SERVER_FLAVOURS) {
    const { version, docs } = await docsOf(flavour);
    versions.push(version);
    for (const [name, doc] of Object.entries(docs)) {
      const leaves = doc.subcommands === undefined ? [[name, doc] as const] : Object.entries(doc.subcommands);
      for (const [id, d] of leaves) {
        const e = entries.get(id) ?? { id, doc: d, servers: new Set<string>() };
        e.servers.add(flavour);
        entries.set(id, e);
      }
    }
  }
  const skip = handWritten();
  const generated = [...entries.values()]
    .filter((e) => !NOT_GENERATED.has(e.id) && !skip.has(camel(e.id)) && !e.id.endsWith('|help'))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const text = `// generated by scripts/gen-methods.ts from ${versions.join(' and ')} — do not edit
/**
 * A method for every command of the servers above that has no hand-written method (see the
 * generator for the rules). Sits between the hand-written ServerMethods (over KeyspaceMethods,
 * which provides _cmd) and StreamMethods / CommandMethods, so every executor — client, cluster,
 * pipeline, multi, watch — has them. ${generated.length} methods.
 */
import type { RedisArg, RespValue } from '../resp/types.js';
import type { RedisKey } from './command.js';
import type { Apply, ResultKind } from './keyspace-methods.js';
import { ServerMethods } from './server-methods.js';

export abstract class GeneratedMethods<F extends ResultKind> extends ServerMethods<F> {
${generated.map(method).join('\n')}
}

/** Every command name (lower case, 'container|sub') that has a generated method. */
export const GENERATED_COMMANDS: readonly string[] = ${JSON.stringify(generated.map((e) => e.id))};
`;
  writeFileSync(OUT, text);
  console.log(`wrote ${path.relative(ROOT, OUT)}: ${generated.length} methods (${entries.size} commands known, ${skip.size} hand-written names)`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
