/**
 * Scripts (EVALSHA) and functions (FCALL) as values, and the NOSCRIPT / missing-function repair
 * (loads.ts) that the send path in connection/send.ts applies on every connection. What each
 * connection holds is tracked per generation (known.ts): a reconnect forgets it. Commands are
 * tagged by scriptCommand / functionCommand: Command.script ({ sha, lua }) and Command.library
 * ({ name, code }). Must not import connections, the client or the cluster.
 */
export { defineScript, scriptCommand, type Script, type ScriptDefinition } from './script.js';
export {
  defineLibrary,
  functionCommand,
  asFunctionList,
  type Library,
  type RunFunctionOptions,
  type FunctionInfo,
  type FunctionLibraryInfo,
} from './library.js';
