import { describe, expect, it } from 'vitest';
import { defineLibrary, defineScript, functionCommand, scriptCommand, asFunctionList } from '../../../src/scripts/index.js';
import { ArgumentTypeError, LibraryHeaderError } from '../../../src/errors.js';
import { sha1 } from '../connection/fake-connection.js';

describe('defineScript', () => {
  it('computes the SHA1 the server computes, over UTF-8', () => {
    // The value a redis-server 7.0 answered to SCRIPT LOAD "return 1".
    expect(defineScript({ lua: 'return 1' }).sha).toBe('e0e1f9fabfc9d4800c877a703b823ac0578ff8db');
    const lua = "return 'héllo ✓'";
    expect(defineScript({ lua }).sha).toBe(sha1(lua));
  });

  it('builds EVALSHA tagged with the script, EVALSHA_RO when read-only', () => {
    const s = defineScript({ lua: 'return 1', keys: 1 });
    const cmd = scriptCommand(s, ['k'], ['a', 2]);
    expect(cmd).toMatchObject({ name: 'EVALSHA', args: [s.sha, 1, 'k', 'a', 2], script: { sha: s.sha, lua: 'return 1' } });
    const ro = defineScript({ lua: 'return 1', readOnly: true });
    expect(scriptCommand(ro, [], []).name).toBe('EVALSHA_RO');
  });

  it('refuses a call with the wrong number of keys, and bad definitions', () => {
    const s = defineScript({ lua: 'return 1', keys: 2 });
    expect(() => scriptCommand(s, ['only-one'], [])).toThrow(/takes 2 key\(s\), got 1/);
    expect(() => defineScript({ lua: '' })).toThrow(ArgumentTypeError);
    expect(() => defineScript({ lua: 'return 1', keys: -1 })).toThrow(ArgumentTypeError);
  });
});

describe('defineLibrary', () => {
  const code = "#!lua name=mylib\nredis.register_function('f', function() return 1 end)";

  it('reads the name from the header', () => {
    expect(defineLibrary(code)).toEqual({ name: 'mylib', code });
    expect(defineLibrary('#!lua   name=a_1  \nx').name).toBe('a_1');
  });

  it('throws a LibraryHeaderError saying what is wrong', () => {
    const missing = (): unknown => defineLibrary("redis.register_function('f', function() return 1 end)");
    expect(missing).toThrow(LibraryHeaderError);
    expect(missing).toThrow(/no #! header line.*#!lua name=mylib/);
    expect(() => defineLibrary('#!lua\nx')).toThrow(expect.objectContaining({ kind: 'missing-name' }));
    expect(() => defineLibrary('#!lua name=my-lib\nx')).toThrow(expect.objectContaining({ kind: 'invalid-name' }));
    expect(() => defineLibrary(' #!lua name=x\n')).toThrow(expect.objectContaining({ kind: 'missing-header' }));
  });

  it('builds FCALL / FCALL_RO tagged with the library', () => {
    const lib = defineLibrary(code);
    expect(functionCommand(lib, 'f', ['k'], ['v'])).toMatchObject({ name: 'FCALL', args: ['f', 1, 'k', 'v'], library: { name: 'mylib', code } });
    expect(functionCommand(lib, 'f', [], [], { readOnly: true }).name).toBe('FCALL_RO');
  });
});

describe('asFunctionList', () => {
  const expected = [
    {
      libraryName: 'lib1',
      engine: 'LUA',
      functions: [
        { name: 'f1', description: null, flags: [] },
        { name: 'f2', description: 'reads', flags: ['no-writes', 'allow-stale'] },
      ],
    },
  ];

  it('shapes a RESP3 reply', () => {
    const reply = [
      {
        library_name: 'lib1',
        engine: 'LUA',
        functions: [
          { name: 'f1', description: null, flags: [] },
          { name: 'f2', description: 'reads', flags: ['no-writes', 'allow-stale'] },
        ],
      },
    ];
    expect(asFunctionList(reply)).toEqual(expected);
  });

  it('shapes a RESP2 reply, with the code when asked', () => {
    const reply = [
      [
        'library_name', 'lib1', 'engine', 'LUA', 'functions',
        [
          ['name', 'f1', 'description', null, 'flags', []],
          ['name', 'f2', 'description', 'reads', 'flags', ['no-writes', 'allow-stale']],
        ],
        'library_code', '#!lua name=lib1',
      ],
    ];
    expect(asFunctionList(reply)).toEqual([{ ...expected[0], code: '#!lua name=lib1' }]);
  });
});
