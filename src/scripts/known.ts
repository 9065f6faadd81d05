/**
 * Which scripts and libraries each connection is believed to hold, so the script body travels
 * once per connection rather than with every call. Scripts live in the server process, and a
 * reconnect may land on a restarted server or another node: a belief only holds for the
 * connection generation it was formed in, and is dropped as soon as the generation moves.
 * A belief can still be wrong (SCRIPT FLUSH, FUNCTION DELETE from elsewhere); send.ts repairs
 * those cases, so this cache only has to be right in the common case.
 * Pure bookkeeping: no I/O.
 */
import type { LibraryRef } from '../commands/command.js';

/** What known.ts needs from a connection: its generation, bumped by every handshake. */
export interface GenerationSource {
  readonly generation: number;
}

interface Holdings {
  generation: number;
  readonly shas: Set<string>;
  /** Library name → the code we loaded under it, so a changed definition is loaded again. */
  readonly libraries: Map<string, string>;
}

const byConnection = new WeakMap<GenerationSource, Holdings>();

function holdingsOf(conn: GenerationSource): Holdings {
  const generation = conn.generation;
  let h = byConnection.get(conn);
  if (h === undefined) {
    h = { generation, shas: new Set(), libraries: new Map() };
    byConnection.set(conn, h);
  } else if (h.generation !== generation) {
    h.generation = generation;
    h.shas.clear();
    h.libraries.clear();
  }
  return h;
}

export function holdsScript(conn: GenerationSource, sha: string): boolean {
  return holdingsOf(conn).shas.has(sha);
}

export function markScript(conn: GenerationSource, sha: string): void {
  holdingsOf(conn).shas.add(sha);
}

export function forgetScript(conn: GenerationSource, sha: string): void {
  holdingsOf(conn).shas.delete(sha);
}

export function holdsLibrary(conn: GenerationSource, library: LibraryRef): boolean {
  return holdingsOf(conn).libraries.get(library.name) === library.code;
}

export function markLibrary(conn: GenerationSource, library: LibraryRef): void {
  holdingsOf(conn).libraries.set(library.name, library.code);
}

export function forgetLibrary(conn: GenerationSource, library: LibraryRef): void {
  holdingsOf(conn).libraries.delete(library.name);
}
