/**
 * The public surface of slotline: what a user calls, or names in a type. Nothing else is part of
 * the API; tests reach internals through their source paths.
 *
 * @packageDocumentation
 */
export { createClient, Client, type ClientEvents, type CallOptions } from './client/client.js';
export type { ClientOptions, ReconnectOptions, ReconnectStrategy, OptionAliases } from './connection/options.js';
export type { ClientCacheOptions } from './cache/options.js';
export type { CacheStats } from './cache/store.js';
export { createCluster, Cluster, type ClusterEvents } from './cluster/cluster.js';
export type { TopologyDiff } from './cluster/topology.js';
export { createSentinel, SentinelClient } from './sentinel/client.js';
export type { SentinelOptions } from './sentinel/options.js';
export type { ClusterOptions, NatMap, NodeOptions, ReadFrom } from './cluster/options.js';
export type { ClusterStats } from './cluster/topology.js';
export type { ClusterScanOptions } from './cluster/scan.js';
export type { ScanIteratorOptions, CollectionScanOptions, HashEntry } from './commands/scan-iterators.js';
export type { KeySpread } from './cluster/spread.js';
export { keySlot } from './cluster/slot.js';
// Returned by cluster.slotMap and the 'refresh' event: a type to name, not a class to build.
export type { SlotMap, NodeAddress, NodeInfo, ShardInfo } from './cluster/slot-map.js';
export type { Pipeline, Multi, ExecOptions, CommandTuple } from './batch/builders.js';
export type { BulkCommand, BulkOptions, BulkReply, BulkResult } from './batch/bulk.js';
export type { WatchTransaction, WatchOptions, WatchCallback } from './batch/watch.js';
export type { RedisKey, PreparedCommand, ReplyTransform } from './commands/command.js';
export type { SetOptions, ScanOptions, SetToken, ScanToken, ExpireMode, Word } from './commands/keyspace-methods.js';
export type { ZAddOptions, ZRangeOptions, ListSide, ZRangeToken, ZAddFlag } from './commands/methods.js';
export type { XAddOptions, XReadOptions } from './commands/stream-methods.js';
export type { ScoredMember, StreamEntry, StreamMessages } from './commands/transforms.js';
export {
  defineScript,
  defineLibrary,
  type Script,
  type ScriptDefinition,
  type Library,
  type RunFunctionOptions,
  type FunctionInfo,
  type FunctionLibraryInfo,
} from './scripts/index.js';
export type { RedisArg, RespValue, VerbatimString } from './resp/types.js';
export {
  SlotlineError,
  ReplyError,
  ExecAbortError,
  MultiRefusedError,
  ProtocolError,
  ConnectionError,
  TimeoutError,
  PipelineError,
  AbortError,
  WatchConflictError,
  CrossSlotError,
  ClusterError,
  ArgumentTypeError,
  CommandRefusedError,
  UsageError,
  InvalidOptionError,
  LibraryHeaderError,
  SentinelError,
  BulkError,
  type BulkStopReason,
  PubSubOverflowError,
  type SentinelProblem,
  type SlotlineErrorCode,
  type ArgumentProblem,
  type LibraryHeaderProblem,
  type ReplyErrorKind,
  type ConnectionErrorReason,
  type Redirect,
} from './errors.js';
export { channels as diagnosticsChannels } from './diagnostics.js';
export type { CommandTraceContext, BatchTraceContext, BatchTiming, ConnectTraceContext, TracePeer } from './diagnostics.js';
export type { PubSubMessage, SubscriptionKind } from './pubsub/frames.js';
export type { PubSubListener } from './pubsub/registry.js';
export type { Subscription, SubscriptionOptions, ResubscribedEvent, ChannelArg } from './pubsub/hub.js';
export type { PubSubMethods } from './pubsub/api.js';
