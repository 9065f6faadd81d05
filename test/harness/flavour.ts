/**
 * Which server the harness runs: Redis (`redis-server`, `redis-cli`) or Valkey
 * (`valkey-server`, `valkey-cli`). The default comes from SLOTLINE_SERVER (`redis` unless set),
 * so `npm test` can run the whole suite once per server; a test that needs one server in
 * particular (e.g. a Valkey-only behaviour) names it in the start options. Imports nothing.
 */
export type ServerFlavour = 'redis' | 'valkey';

export const SERVER_FLAVOURS: readonly ServerFlavour[] = ['redis', 'valkey'];

/** The flavour of this run, from SLOTLINE_SERVER; an unknown value is an error, not a default. */
export function defaultFlavour(): ServerFlavour {
  const value = process.env['SLOTLINE_SERVER'] ?? 'redis';
  if (value !== 'redis' && value !== 'valkey') {
    throw new Error(`SLOTLINE_SERVER must be 'redis' or 'valkey', not '${value}'`);
  }
  return value;
}

export function serverBinary(flavour: ServerFlavour = defaultFlavour()): string {
  return `${flavour}-server`;
}

export function cliBinary(flavour: ServerFlavour = defaultFlavour()): string {
  return `${flavour}-cli`;
}
