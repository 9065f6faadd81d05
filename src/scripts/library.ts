/**
 * Function libraries as values. defineLibrary reads the library name from the code's
 * `#!<engine> name=<name>` header (what FUNCTION LOAD requires), functionCommand turns a call into
 * FCALL/FCALL_RO tagged with the library so a sender can load it when the server lacks the
 * function, and asFunctionList shapes FUNCTION LIST under RESP2 and RESP3 alike.
 * Pure: no connection, no I/O.
 */
import { LibraryHeaderError } from '../errors.js';
import type { Command, LibraryRef, RedisKey } from '../commands/command.js';
import { asRecordList } from '../commands/transforms.js';
import type { RedisArg, RespValue } from '../resp/types.js';

/** A function library made by `defineLibrary`: its name and code, loaded on demand by `runFunction`. */
export type Library = LibraryRef;

/** Options of `runFunction()`. */
export interface RunFunctionOptions {
  /** Call with FCALL_RO: the function must be declared with the `no-writes` flag. */
  readOnly?: boolean;
}

/** Library names the server accepts (letters, digits, underscore). */
const NAME = /^[A-Za-z0-9_]+$/;

/** A function library as a value, from code that starts with a `#!lua name=mylib` header (checked here: LibraryHeaderError). Nothing is sent until `runFunction` needs it. */
export function defineLibrary(code: string): Library {
  if (typeof code !== 'string' || !code.startsWith('#!')) {
    throw new LibraryHeaderError('missing-header', 'the code has no #! header line');
  }
  const end = code.indexOf('\n');
  const header = (end === -1 ? code : code.slice(0, end)).trim();
  let name: string | undefined;
  for (const part of header.split(/\s+/).slice(1)) {
    if (part.startsWith('name=')) name = part.slice('name='.length);
  }
  if (name === undefined || name === '') throw new LibraryHeaderError('missing-name', `the header '${header}' has no name=`);
  if (!NAME.test(name)) throw new LibraryHeaderError('invalid-name', `library name '${name}' may only hold letters, digits and _`);
  return Object.freeze({ name, code });
}

/** The FCALL (or FCALL_RO) command for one call of `fn` from `library`. */
export function functionCommand(
  library: Library,
  fn: string,
  keys: readonly RedisKey[],
  args: readonly RedisArg[],
  options?: RunFunctionOptions,
): Command<RespValue> {
  return {
    name: options?.readOnly === true ? 'FCALL_RO' : 'FCALL',
    args: [fn, keys.length, ...keys, ...args],
    library: { name: library.name, code: library.code },
  };
}

/** A function of a library, as FUNCTION LIST reports it. */
export interface FunctionInfo {
  readonly name: string;
  readonly description: string | null;
  readonly flags: string[];
}

/** A library, as FUNCTION LIST reports it (`functionList()`). */
export interface FunctionLibraryInfo {
  readonly libraryName: string;
  readonly engine: string;
  readonly functions: FunctionInfo[];
  /** Only with `functionList({ withCode: true })`. */
  readonly code?: string;
}

const text = (v: RespValue | undefined): string => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

export function asFunctionList(reply: RespValue): FunctionLibraryInfo[] {
  return asRecordList(reply).map((lib) => {
    const functions = Array.isArray(lib['functions']) ? lib['functions'] : [];
    const info: FunctionLibraryInfo = {
      libraryName: text(lib['library_name']),
      engine: text(lib['engine']),
      functions: functions.map((f) => {
        const rec = f as Record<string, RespValue>;
        const flags = rec['flags'];
        return {
          name: text(rec['name']),
          description: rec['description'] === null || rec['description'] === undefined ? null : text(rec['description']),
          flags: Array.isArray(flags) ? flags.map((x) => text(x)) : flags instanceof Set ? [...flags].map((x) => text(x)) : [],
        };
      }),
    };
    return lib['library_code'] === undefined ? info : { ...info, code: text(lib['library_code']) };
  });
}
