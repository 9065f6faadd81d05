/**
 * A simulated Redis Cluster for the scale bench: N primaries, each a loopback port, all served
 * by this one child process on one event loop. It speaks just enough RESP2/RESP3 for slotline:
 * HELLO 2/3, CLIENT SETNAME/SETINFO/INFO/ID, PING, READONLY/READWRITE/ASKING, GET, SET, MGET,
 * DEL, CLUSTER SHARDS/SLOTS/MYID, QUIT. Keys are checked against the slot owner (MOVED) and for
 * a single slot (CROSSSLOT), with its own CRC16, independent of the client's.
 *
 * The 16,384 slots are split unevenly (seeded weights 1..4, so some nodes own four times what
 * others own, as after real rebalancing), in contiguous ranges. The parent drives it over IPC:
 *   { op: 'move', slots, to }  the slots now belong to node `to`: their old owner answers MOVED
 *   { op: 'stats' }            counters per port (connections accepted, commands, CLUSTER SHARDS)
 *   { op: 'reset' }            counters to zero
 * and it exits when the parent goes away (IPC disconnect), so no run leaves it behind.
 *
 * Run as a child: `tsx fake-cluster.ts <nodes> [seed]`; first message: { ready: true, ports }.
 */
import net from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SLOTS = 16384;

// ── CRC16/XMODEM as Redis uses it, and hash tags ───────────────────────────────────────

const CRC_TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c = i << 8;
  for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  CRC_TABLE[i] = c;
}

export function slotOf(key: Buffer): number {
  let start = 0;
  let end = key.length;
  const open = key.indexOf(0x7b); // {
  if (open !== -1) {
    const close = key.indexOf(0x7d, open + 1); // }
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ key[i]!) & 0xff]!;
  return crc % SLOTS;
}

// ── replies ───────────────────────────────────────────────────────────────────────────

type Reply = string | number | Buffer | null | Reply[] | { simple: string } | { error: string } | { map: Array<[string, Reply]> };

function encode(r: Reply, proto: 2 | 3, out: string[] | Buffer[]): void {
  const o = out as Array<string | Buffer>;
  if (r === null) o.push(proto === 3 ? '_\r\n' : '$-1\r\n');
  else if (typeof r === 'number') o.push(`:${r}\r\n`);
  else if (typeof r === 'string') o.push(`$${Buffer.byteLength(r)}\r\n${r}\r\n`);
  else if (Buffer.isBuffer(r)) o.push(`$${r.length}\r\n`, r, '\r\n');
  else if (Array.isArray(r)) {
    o.push(`*${r.length}\r\n`);
    for (const x of r) encode(x, proto, out);
  } else if ('simple' in r) o.push(`+${r.simple}\r\n`);
  else if ('error' in r) o.push(`-${r.error}\r\n`);
  else {
    o.push(proto === 3 ? `%${r.map.length}\r\n` : `*${r.map.length * 2}\r\n`);
    for (const [k, v] of r.map) {
      encode(k, proto, out);
      encode(v, proto, out);
    }
  }
}

const OK = { simple: 'OK' };

// ── request parsing: arrays of bulk strings only (all a client sends) ──────────────────

/** Parses whole commands from `buf` at `pos`; returns the commands and where the rest begins. */
function parse(buf: Buffer): { cmds: Buffer[][]; rest: number } | { error: string } {
  const cmds: Buffer[][] = [];
  let pos = 0;
  outer: while (pos < buf.length) {
    if (buf[pos] !== 0x2a) return { error: 'Protocol error: expected *' };
    const eol = buf.indexOf('\r\n', pos);
    if (eol === -1) break;
    const n = Number(buf.toString('latin1', pos + 1, eol));
    let p = eol + 2;
    const args: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      if (p >= buf.length) break outer;
      if (buf[p] !== 0x24) return { error: 'Protocol error: expected $' };
      const e = buf.indexOf('\r\n', p);
      if (e === -1) break outer;
      const len = Number(buf.toString('latin1', p + 1, e));
      if (e + 2 + len + 2 > buf.length) break outer;
      args.push(buf.subarray(e + 2, e + 2 + len));
      p = e + 2 + len + 2;
    }
    cmds.push(args);
    pos = p;
  }
  return { cmds, rest: pos };
}

// ── the cluster ───────────────────────────────────────────────────────────────────────

export interface PortStats {
  accepted: number;
  open: number;
  commands: number;
  shards: number;
  slots: number;
}

/** Seeded xorshift: the same uneven split every run. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** Slot ranges per node: weights 1..4, every node at least one slot. */
export function unevenSplit(nodes: number, seed: number): Int32Array {
  const rnd = random(seed);
  const weights = Array.from({ length: nodes }, () => 1 + 3 * rnd());
  const total = weights.reduce((a, b) => a + b, 0);
  const owner = new Int32Array(SLOTS);
  let start = 0;
  let acc = 0;
  for (let i = 0; i < nodes; i++) {
    acc += weights[i]!;
    const end = i === nodes - 1 ? SLOTS : Math.max(start + 1, Math.min(SLOTS - (nodes - 1 - i), Math.round((acc / total) * SLOTS)));
    owner.fill(i, start, end);
    start = end;
  }
  return owner;
}

class FakeCluster {
  readonly ports: number[] = [];
  readonly ids: string[] = [];
  readonly stats: PortStats[] = [];
  readonly owner: Int32Array;
  readonly data = new Map<string, Buffer>();
  readonly servers: net.Server[] = [];
  #clientIds = 0;
  #shardsReply: Reply | undefined;
  #slotsReply: Reply | undefined;

  constructor(nodes: number, seed: number) {
    this.owner = unevenSplit(nodes, seed);
    for (let i = 0; i < nodes; i++) {
      this.ids.push(i.toString(16).padStart(40, '0'));
      this.stats.push({ accepted: 0, open: 0, commands: 0, shards: 0, slots: 0 });
    }
  }

  async listen(): Promise<void> {
    for (let i = 0; i < this.ids.length; i++) {
      const server = net.createServer((socket) => this.#serve(i, socket));
      server.maxConnections = 5000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      this.servers.push(server);
      this.ports.push((server.address() as net.AddressInfo).port);
    }
  }

  move(slots: readonly number[], to: number): void {
    for (const s of slots) this.owner[s] = to;
    this.#shardsReply = undefined;
    this.#slotsReply = undefined;
  }

  #ranges(): Array<{ node: number; start: number; end: number }> {
    const out: Array<{ node: number; start: number; end: number }> = [];
    let start = 0;
    for (let s = 1; s <= SLOTS; s++) {
      if (s < SLOTS && this.owner[s] === this.owner[start]) continue;
      out.push({ node: this.owner[start]!, start, end: s - 1 });
      start = s;
    }
    return out;
  }

  #shards(): Reply {
    if (this.#shardsReply !== undefined) return this.#shardsReply;
    const perNode = new Map<number, number[]>();
    for (const r of this.#ranges()) {
      const list = perNode.get(r.node) ?? [];
      list.push(r.start, r.end);
      perNode.set(r.node, list);
    }
    const shards: Reply[] = [];
    for (let i = 0; i < this.ids.length; i++) {
      shards.push({
        map: [
          ['slots', perNode.get(i) ?? []],
          [
            'nodes',
            [
              {
                map: [
                  ['id', this.ids[i]!],
                  ['port', this.ports[i]!],
                  ['ip', '127.0.0.1'],
                  ['endpoint', '127.0.0.1'],
                  ['role', 'master'],
                  ['replication-offset', 0],
                  ['health', 'online'],
                ],
              },
            ],
          ],
        ],
      });
    }
    this.#shardsReply = shards;
    return shards;
  }

  #slots(): Reply {
    this.#slotsReply ??= this.#ranges().map((r) => [r.start, r.end, ['127.0.0.1', this.ports[r.node]!, this.ids[r.node]!, []]]);
    return this.#slotsReply;
  }

  #serve(node: number, socket: net.Socket): void {
    const st = this.stats[node]!;
    st.accepted++;
    st.open++;
    socket.setNoDelay(true);
    const conn = { proto: 2 as 2 | 3, id: ++this.#clientIds, name: '' };
    let pending: Buffer | undefined;
    socket.on('data', (chunk: Buffer) => {
      const buf = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
      const parsed = parse(buf);
      if ('error' in parsed) {
        socket.end(`-ERR ${parsed.error}\r\n`);
        return;
      }
      pending = parsed.rest < buf.length ? buf.subarray(parsed.rest) : undefined;
      const out: Array<string | Buffer> = [];
      for (const args of parsed.cmds) {
        st.commands++;
        const reply = this.#exec(node, conn, args);
        encode(reply, conn.proto, out as string[]);
      }
      if (out.length > 0) socket.write(Buffer.concat(out.map((x) => (typeof x === 'string' ? Buffer.from(x) : x))));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => st.open--);
  }

  /** The owner check every keyed command makes: undefined when this node serves all keys. */
  #route(node: number, keys: readonly Buffer[]): Reply | undefined {
    const slot = slotOf(keys[0]!);
    for (let i = 1; i < keys.length; i++) if (slotOf(keys[i]!) !== slot) return { error: "CROSSSLOT Keys in request don't hash to the same slot" };
    const owner = this.owner[slot]!;
    return owner === node ? undefined : { error: `MOVED ${slot} 127.0.0.1:${this.ports[owner]}` };
  }

  #exec(node: number, conn: { proto: 2 | 3; id: number; name: string }, args: Buffer[]): Reply {
    const name = args[0]?.toString('latin1').toLowerCase() ?? '';
    const arity = (n: number): Reply | undefined => (args.length === n ? undefined : { error: `ERR wrong number of arguments for '${name}' command` });
    switch (name) {
      case 'hello': {
        if (args.length > 1) {
          const v = Number(args[1]!.toString());
          if (v !== 2 && v !== 3) return { error: 'NOPROTO unsupported protocol version' };
          conn.proto = v;
        }
        for (let i = 2; i < args.length; i++) {
          const opt = args[i]!.toString().toUpperCase();
          if (opt === 'AUTH') i += 2;
          else if (opt === 'SETNAME') conn.name = args[++i]?.toString() ?? '';
          else return { error: `ERR Syntax error in HELLO option '${opt}'` };
        }
        return {
          map: [
            ['server', 'redis'],
            ['version', '7.0.15'],
            ['proto', conn.proto],
            ['id', conn.id],
            ['mode', 'cluster'],
            ['role', 'master'],
            ['modules', []],
          ],
        };
      }
      case 'client': {
        const sub = args[1]?.toString().toLowerCase();
        if (sub === 'setname' && args.length === 3) {
          conn.name = args[2]!.toString();
          return OK;
        }
        if (sub === 'setinfo') return OK;
        if (sub === 'id') return conn.id;
        if (sub === 'info') return `id=${conn.id} addr=127.0.0.1:0 laddr=127.0.0.1:${this.ports[node]} name=${conn.name} db=0 resp=${conn.proto}\n`;
        return { error: `ERR unknown subcommand '${sub ?? ''}'` };
      }
      case 'ping':
        return args.length > 1 ? args[1]! : { simple: 'PONG' };
      case 'readonly':
      case 'readwrite':
      case 'asking':
        return OK;
      case 'quit':
        return OK;
      case 'get':
        return arity(2) ?? this.#route(node, [args[1]!]) ?? this.data.get(args[1]!.toString('latin1')) ?? null;
      case 'set': {
        const bad = arity(3) ?? this.#route(node, [args[1]!]);
        if (bad !== undefined) return bad;
        this.data.set(args[1]!.toString('latin1'), Buffer.from(args[2]!));
        return OK;
      }
      case 'mget': {
        if (args.length < 2) return arity(2)!;
        const keys = args.slice(1);
        return this.#route(node, keys) ?? keys.map((k) => this.data.get(k.toString('latin1')) ?? null);
      }
      case 'del': {
        if (args.length < 2) return arity(2)!;
        const keys = args.slice(1);
        const bad = this.#route(node, keys);
        if (bad !== undefined) return bad;
        let n = 0;
        for (const k of keys) if (this.data.delete(k.toString('latin1'))) n++;
        return n;
      }
      case 'cluster': {
        const sub = args[1]?.toString().toLowerCase();
        if (sub === 'shards') {
          this.stats[node]!.shards++;
          return this.#shards();
        }
        if (sub === 'slots') {
          this.stats[node]!.slots++;
          return this.#slots();
        }
        if (sub === 'myid') return this.ids[node]!;
        return { error: `ERR unknown subcommand '${sub ?? ''}'` };
      }
      default:
        return { error: `ERR unknown command '${name}'` };
    }
  }
}

// ── the child process's main ────────────────────────────────────────────────────────────

export type ToFake = { op: 'move'; slots: number[]; to: number } | { op: 'stats' } | { op: 'reset' };
export type FromFake = { ready: true; ports: number[] } | { stats: PortStats[] } | { done: true };

async function main(): Promise<void> {
  const nodes = Number(process.argv[2]);
  const seed = Number(process.argv[3] ?? 1);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 5000) throw new Error(`fake-cluster: bad node count ${process.argv[2]}`);
  const cluster = new FakeCluster(nodes, seed);
  await cluster.listen();
  const send = (m: FromFake): void => void process.send?.(m);
  process.on('message', (m: ToFake) => {
    if (m.op === 'move') {
      cluster.move(m.slots, m.to);
      send({ done: true });
    } else if (m.op === 'stats') send({ stats: cluster.stats.map((s) => ({ ...s })) });
    else {
      for (const s of cluster.stats) Object.assign(s, { accepted: 0, commands: 0, shards: 0, slots: 0 });
      send({ done: true });
    }
  });
  // The parent is gone: nothing else will ever stop us.
  process.on('disconnect', () => process.exit(0));
  send({ ready: true, ports: cluster.ports });
}

// Only as a forked child (the parent imports nothing but types from here).
if (process.send !== undefined && process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
