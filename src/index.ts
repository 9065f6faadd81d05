/**
 * The public surface of slotline. Nothing else is part of the API.
 */
export { createClient, Client, type ClientEvents } from './client/client.js';
export type { ClientOptions, ReconnectOptions } from './connection/options.js';
export { createCluster, Cluster, type ClusterEvents } from './cluster/cluster.js';
export type { ClusterOptions, NatMap } from './cluster/options.js';
export type { ClusterStats } from './cluster/topology.js';
export type { ClusterScanOptions } from './cluster/scan.js';
export { keySpread, type KeySpread } from './cluster/spread.js';
export { keySlot } from './cluster/slot.js';
export { SlotMap, type NodeAddress, type NodeInfo, type ShardInfo } from './cluster/slot-map.js';
export { Pipeline, Multi, type ExecOptions, type CommandTuple } from './batch/builders.js';
export { WatchTransaction, type WatchOptions, type WatchCallback } from './batch/watch.js';
export type { SetOptions, ScanOptions, RedisKey } from './commands/keyspace-methods.js';
export type { ZAddOptions, ZRangeOptions, XAddOptions, XReadOptions, ListSide } from './commands/methods.js';
export type { ScoredMember, StreamEntry, StreamMessages } from './commands/transforms.js';
export type { Command } from './commands/command.js';
export {
  defineScript,
  defineLibrary,
  LibraryHeaderError,
  type Script,
  type ScriptDefinition,
  type Library,
  type LibraryHeaderProblem,
  type RunFunctionOptions,
  type FunctionInfo,
  type FunctionLibraryInfo,
} from './scripts/index.js';
export type { RedisArg, RespValue } from './resp/types.js';
export { VerbatimString } from './resp/types.js';
export {
  SlotlineError,
  ReplyError,
  ExecAbortError,
  MultiRefusedError,
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
