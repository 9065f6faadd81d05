/**
 * The public surface of slotline. Nothing else is part of the API.
 */
export { createClient, Client, type ClientEvents } from './client/client.js';
export type { ClientOptions, ReconnectOptions } from './connection/options.js';
export { Pipeline, Multi, type ExecOptions, type CommandTuple } from './batch/builders.js';
export { WatchTransaction, type WatchOptions, type WatchCallback } from './batch/watch.js';
export type { SetOptions, ScanOptions, RedisKey } from './commands/keyspace-methods.js';
export type { ZAddOptions, ZRangeOptions, XAddOptions, XReadOptions, ListSide } from './commands/methods.js';
export type { ScoredMember, StreamEntry, StreamMessages } from './commands/transforms.js';
export type { Command } from './commands/command.js';
export type { RedisArg, RespValue } from './resp/types.js';
export { VerbatimString } from './resp/types.js';
export {
  SlotlineError,
  ReplyError,
  ExecAbortError,
  ProtocolError,
  ConnectionError,
  TimeoutError,
  PipelineError,
  WatchConflictError,
  CrossSlotError,
  ClusterError,
  ArgumentTypeError,
  type ReplyErrorKind,
  type ConnectionErrorReason,
  type Redirect,
} from './errors.js';
export { channels as diagnosticsChannels } from './diagnostics.js';
