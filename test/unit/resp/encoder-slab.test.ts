/**
 * CommandWriter's slabs grow from FIRST_SLAB to SLAB_SIZE (issue 15: a 64 KiB slab kept by
 * every idle node connection was most of a 1,000-node cluster client's memory). What must hold:
 * an idle writer keeps a small slab, a batch that fits in SLAB_SIZE is still one chunk with the
 * exact bytes, handed-out chunks are never rewritten by a growth, and a busy writer ends at
 * SLAB_SIZE slabs.
 */
import { describe, expect, it } from 'vitest';
import { CommandWriter, FIRST_SLAB, SLAB_SIZE, encodeCommand, type Chunk } from '../../../src/resp/encoder.js';

function buffers(chunks: readonly Chunk[]): Buffer[] {
  return chunks.map((c) => {
    if (typeof c === 'string') throw new Error('unexpected string chunk');
    return c;
  });
}

const setCmd = (i: number): [string, string[]] => ['SET', [`key:${i}`, `value-${i}-${'x'.repeat(i % 50)}`]];

describe('CommandWriter slab growth', () => {
  it('an idle writer holds a FIRST_SLAB slab after a handshake-sized command', () => {
    const writer = new CommandWriter();
    writer.add('HELLO', [3, 'SETNAME', 'app']);
    const [chunk] = buffers(writer.take());
    expect(chunk!.equals(encodeCommand('HELLO', [3, 'SETNAME', 'app']))).toBe(true);
    expect(chunk!.buffer.byteLength).toBe(FIRST_SLAB);
  });

  it('keeps a batch up to SLAB_SIZE in one chunk while growing, bytes exact', () => {
    const writer = new CommandWriter();
    const expected: Buffer[] = [];
    let size = 0;
    for (let i = 0; size < 40_000; i++) {
      const [name, args] = setCmd(i);
      writer.add(name, args);
      const one = encodeCommand(name, args);
      expected.push(one);
      size += one.length;
    }
    const chunks = buffers(writer.take());
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.equals(Buffer.concat(expected))).toBe(true);
    expect(chunks[0]!.buffer.byteLength).toBe(SLAB_SIZE);
  });

  it('never rewrites a chunk handed out before a growth', () => {
    const writer = new CommandWriter();
    writer.add('GET', ['first']);
    const [first] = buffers(writer.take());
    const snapshot = Buffer.from(first!);
    for (let i = 0; i < 3000; i++) writer.add(...setCmd(i));
    const later = buffers(writer.take());
    expect(first!.equals(snapshot)).toBe(true);
    expect(later.every((c) => c.buffer !== first!.buffer)).toBe(true);
  });

  it('a busy writer reaches SLAB_SIZE slabs and keeps every chunk within it', () => {
    const writer = new CommandWriter();
    const expected: Buffer[] = [];
    for (let i = 0; i < 10_000; i++) {
      const [name, args] = setCmd(i);
      writer.add(name, args);
      expected.push(encodeCommand(name, args));
    }
    const chunks = buffers(writer.take());
    expect(Buffer.concat(chunks).equals(Buffer.concat(expected))).toBe(true);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(SLAB_SIZE);
    expect(chunks.at(-1)!.buffer.byteLength).toBe(SLAB_SIZE);
  });
});
