/**
 * Commands whose effect is connection state. On a shared, multiplexed connection they would
 * leak into every other caller's commands, so the clients refuse them and say what to use.
 */
const REFUSED: Readonly<Record<string, string>> = {
  WATCH: 'WATCH is connection state: use watch(keys, async (tx) => ...) which runs on a dedicated connection',
  UNWATCH: 'UNWATCH is connection state: use watch(keys, ...) which unwatches for you',
  MULTI: 'use multi().cmd(...).exec(), which writes MULTI…EXEC as one block',
  EXEC: 'use multi().cmd(...).exec(), which writes MULTI…EXEC as one block',
  DISCARD: 'use multi() and its discard()',
  SELECT: 'SELECT would switch the database under every caller of the shared connection: use the `db` option',
  SUBSCRIBE: 'pub/sub is not supported on the shared connection yet',
  PSUBSCRIBE: 'pub/sub is not supported on the shared connection yet',
  SSUBSCRIBE: 'pub/sub is not supported on the shared connection yet',
  MONITOR: 'MONITOR takes over the connection and is not supported',
  QUIT: 'use close()',
  RESET: 'RESET would drop the handshake state of the shared connection',
};

/** Only a cluster client sends these itself; on a standalone connection they are the user's. */
const CLUSTER_ONLY: Readonly<Record<string, string>> = {
  ASKING: 'ASKING only means something right before the command it applies to; the cluster client sends it itself',
  READONLY: 'use the readFrom option; the cluster client sends READONLY itself',
  READWRITE: 'use the readFrom option',
};

/** Why `name` may not run on a shared connection, or undefined when it may. */
export function sharedConnectionRefusal(name: string, cluster = false): string | undefined {
  const why = REFUSED[name] ?? (cluster ? CLUSTER_ONLY[name] : undefined);
  return why === undefined ? undefined : `${name} refused on the shared connection: ${why}`;
}
