import { describe, expect, it } from 'vitest';
import { canonicalJson, compareCodePoints } from '../src/index.js';
import { fixture } from './fixtures.js';

describe('canonicalJson', () => {
  it('writes byte for byte what Python json.dump(sort_keys=True, indent=2, ensure_ascii=False) does', () => {
    const value = {
      '\u{1F600}': 1,
      '\uffff': 2,
      '10': 3,
      '9': 4,
      'a\u0001b': 'tab\there "q" \\ \u007f \u2028 \u{1F600}',
      x: [],
      y: {},
      z: [1.5, 1e-5, 2.5e-7, -0, 2 ** 60],
    };
    expect(canonicalJson(value)).toBe(fixture('python-json-dump.json'));
  });

  it('orders integer-like keys as text ("10" before "9"), unlike JS objects', () => {
    expect(canonicalJson({ '9': 1, '10': 2 })).toBe('{\n  "10": 2,\n  "9": 1\n}');
  });

  it('drops undefined fields and writes empty containers inline', () => {
    expect(canonicalJson({ a: undefined, b: [], c: {} })).toBe('{\n  "b": [],\n  "c": {}\n}');
  });

  it('compares by code point, so astral characters sort after U+FFFF', () => {
    expect(compareCodePoints('\u{1F600}', '\uffff')).toBeGreaterThan(0);
    expect('\u{1F600}' < '\uffff').toBe(true); // what a plain JS comparison would get wrong
  });
});
