import { describe, expect, it } from 'vitest';
import { parseIni } from '../src/config/ini.js';

describe('parseIni (Python configparser rules)', () => {
  it('reads sections, both delimiters, comments, lower-cased keys and continuations', () => {
    const ini = parseIni(
      [
        '# a comment',
        '[default]',
        'config = dev',
        '; another comment',
        '[dev]',
        'Server: http://localhost:8000/',
        'USERNAME = alice',
        'password = a = b : c',
        'tags = one,',
        '  two',
        '',
        '[empty]',
      ].join('\n'),
    );
    expect(ini.get('default')).toEqual({ config: 'dev' });
    expect(ini.get('dev')).toEqual({
      server: 'http://localhost:8000/',
      username: 'alice',
      password: 'a = b : c',
      tags: 'one,\ntwo',
    });
    expect(ini.get('empty')).toEqual({});
    expect(ini.has('DEFAULT')).toBe(false);
  });

  it('lets every section inherit [DEFAULT] and interpolates %(key)s and %%', () => {
    const ini = parseIni(
      [
        '[DEFAULT]',
        'host = kolejka.example',
        '[client]',
        'server = https://%(host)s/x',
        'password = 100%%sure',
      ].join('\n'),
    );
    expect(ini.get('client')).toEqual({
      host: 'kolejka.example',
      server: 'https://kolejka.example/x',
      password: '100%sure',
    });
  });

  it.each([
    ['key = value', 'line 1: a key before any [section] header'],
    ['[a]\n[a]', 'line 2: section [a] appears twice'],
    ['[a]\nx = 1\nX = 2', 'line 3: key "x" appears twice'],
    ['[a]\njust text', 'line 2: "just text" is not "key = value"'],
    ['[a]\np = 50%', 'line 2: "%" must be written "%%"'],
    ['[a]\np = %(nope)s', 'line 2: %(nope)s names no key of the section'],
    ['[a]\nx = %(y)s\ny = %(x)s', 'nest too deeply'],
  ])('refuses %j with a clear error', (text, message) => {
    expect(() => parseIni(text, '/etc/kolejka/kolejka.conf')).toThrow(message);
  });
});
