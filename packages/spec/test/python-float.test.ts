import { describe, expect, it } from 'vitest';
import { formatPythonFloat, parsePythonFloat, pythonStr } from '../src/python-float.js';

describe('formatPythonFloat', () => {
  // Each right-hand side is Python 3's repr() of the left-hand side.
  it.each([
    [1, '1.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [0.1, '0.1'],
    [120, '120.0'],
    [0.001, '0.001'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [1.2345678901234568e17, '1.2345678901234568e+17'],
    [123456.789012, '123456.789012'],
    [1e22, '1e+22'],
    [1e-300, '1e-300'],
    [-2.5, '-2.5'],
    [Number.POSITIVE_INFINITY, 'inf'],
    [Number.NEGATIVE_INFINITY, '-inf'],
    [Number.NaN, 'nan'],
  ])('%d → %s', (value, repr) => {
    expect(formatPythonFloat(value)).toBe(repr);
  });
});

describe('parsePythonFloat', () => {
  it.each([
    ['1', 1],
    [' 2 ', 2],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['1E-3', 0.001],
    ['+1.5', 1.5],
    ['-2', -2],
    ['1_000.000_1', 1000.0001],
    ['inf', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('%j → %d', (text, value) => {
    expect(parsePythonFloat(text)).toBe(value);
  });

  it.each([[''], ['.'], ['e3'], ['1e'], ['0x10'], ['1__0'], ['_1'], ['1_'], ['1 2'], ['١']])(
    '%j is not a float',
    (text) => {
      expect(parsePythonFloat(text)).toBeUndefined();
    },
  );

  it('reads nan', () => {
    expect(parsePythonFloat('NaN')).toBeNaN();
  });
});

describe('pythonStr', () => {
  it('formats JSON scalars as Python str() does', () => {
    expect(pythonStr(true)).toBe('True');
    expect(pythonStr(false)).toBe('False');
    expect(pythonStr(10)).toBe('10');
    expect(pythonStr(1.5)).toBe('1.5');
    expect(pythonStr(1e-5)).toBe('1e-05');
    expect(pythonStr('x')).toBe('x');
  });
});
