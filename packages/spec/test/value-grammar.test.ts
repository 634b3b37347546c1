import { describe, expect, it } from 'vitest';
import {
  KolejkaError,
  formatMemory,
  formatTime,
  parseBool,
  parseBigint,
  parseCount,
  parseMemory,
  parseTime,
} from '../src/index.js';
import { parseInteger, parseStrList } from '../src/value-grammar.js';

// Expected values were produced by the original's parsing code under Python 3.11
// (parse_time → timedelta → str(total_seconds()) + "s"; int(round(...)) for memory).
const TIMES: [string | number, string][] = [
  ['1', '1.0s'],
  ['1s', '1.0s'],
  ['1ms', '0.001s'],
  ['500m', '0.5s'],
  ['2M', '120.0s'],
  ['1H', '3600.0s'],
  ['1D', '86400.0s'],
  ['1W', '604800.0s'],
  ['1µs', '1e-06s'],
  ['1µ', '1e-06s'],
  ['100n', '0.0s'],
  ['1n', '0.0s'],
  ['1500n', '2e-06s'],
  ['  2 ', '2.0s'],
  ['.5', '0.5s'],
  ['1e3', '1000.0s'],
  ['1e-3', '0.001s'],
  ['0.0001', '0.0001s'],
  ['0.00001', '1e-05s'],
  ['1_000', '1000.0s'],
  ['1.5s', '1.5s'],
  ['2.5M', '150.0s'],
  ['1 s', '1.0s'],
  ['1Ms', '60.0s'],
  ['0', '0.0s'],
  ['1Hs', '3600.0s'],
  ['3.7', '3.7s'],
  ['0.1', '0.1s'],
  [1, '1.0s'],
  [2.5, '2.5s'],
  [0.0001, '0.0001s'],
  [1e-7, '0.0s'],
  [123456.789012, '123456.789012s'],
  [0.3333333333, '0.333333s'],
  ['1DH', '311040000.0s'],
  ['1ss', '1.0s'],
  ['5mm', '5e-06s'],
];

const BAD_TIMES: [unknown, RegExp][] = [
  ['1e16', /longer than/],
  ['1e400', /not finite/],
  ['1/3', /not a number|suffix/],
  ['abc', /not a number/],
  ['', /no number/],
  ['s', /no number/],
  ['1sec', /unknown suffix "sec"/],
  ['64Mi', /unknown suffix "Mi"/],
  ['1 2', /not a number/],
  ['-1s', /negative/],
  ['1µ ', /./], // trailing space after the suffix is trimmed first: valid, checked below
  [null, /neither a number nor text/],
  [true, /neither a number nor text/],
  [Number.NaN, /not finite/],
];

const MEMORY: [string | number, string][] = [
  ['64M', '67108864b'],
  ['64m', '67108864b'],
  ['1.5G', '1610612736b'],
  ['1KB', '1024b'],
  ['1kk', '1048576b'],
  ['100', '100b'],
  ['1.7', '2b'],
  ['2.5', '2b'],
  ['3.5', '4b'],
  ['0.5', '0b'],
  ['1k', '1024b'],
  ['1b', '1b'],
  ['1B', '1b'],
  ['1T', '1099511627776b'],
  ['1p', '1125899906842624b'],
  ['1P', '1125899906842624b'],
  [' 64 M ', '67108864b'],
  ['1e3', '1000b'],
  ['1e3k', '1024000b'],
  [67108864, '67108864b'],
  [1.5, '2b'],
  [0.5, '0b'],
  ['1_024k', '1048576b'],
  ['1e20', '100000000000000000000b'],
  ['8P', '9007199254740992b'],
];

describe('time', () => {
  it.each(TIMES)('%j is %s', (input, canonical) => {
    expect(formatTime(parseTime(input))).toBe(canonical);
  });

  it.each(BAD_TIMES.filter(([input]) => input !== '1µ '))('%j is refused', (input, message) => {
    expect(() => parseTime(input as string)).toThrow(message);
  });

  it('accepts a suffix followed by whitespace, and throws KolejkaError with a hint', () => {
    expect(parseTime('1µ ')).toBeCloseTo(1e-6, 12);
    const error = captureError(() => parseTime('5 sec'));
    expect(error).toBeInstanceOf(KolejkaError);
    expect(error.code).toBe('KOLEJKA_VALIDATION');
    expect(error.message).toContain('"5 sec" is not a valid time');
    expect(error.message).toContain('"500m" (milliseconds), "2M" (minutes)');
  });

  it('tells minutes (M) from milliseconds (m) and only takes the micro sign U+00B5', () => {
    expect(parseTime('1M')).toBe(60);
    expect(parseTime('1m')).toBe(0.001);
    expect(() => parseTime('1\u03bc')).toThrow(/unknown suffix/);
  });

  it('writes Python float repr, rounded to microseconds like timedelta', () => {
    expect(formatTime(1e16 / 1e6)).toBe('10000000000.0s');
    expect(formatTime(1e-5)).toBe('1e-05s');
    expect(formatTime(2.5e-6)).toBe('2e-06s'); // half to even, as timedelta rounds
    expect(formatTime(3.5e-6)).toBe('4e-06s');
    expect(formatTime(86_399_999_999_999)).toBe('86399999999999.0s');
  });

  it.each(TIMES)('round-trips %j through format and parse', (input) => {
    const canonical = formatTime(parseTime(input));
    expect(formatTime(parseTime(canonical))).toBe(canonical);
  });
});

describe('memory', () => {
  it.each(MEMORY)('%j is %s', (input, canonical) => {
    expect(formatMemory(parseMemory(input))).toBe(canonical);
  });

  it.each([
    ['64Mi', /unknown suffix "Mi"/],
    ['1MiB', /unknown suffix "Mi"/],
    ['', /no number/],
    ['b', /no number/],
    ['abc', /not a number/],
    ['-64M', /negative/],
    ['1e999', /not finite/],
    [Number.POSITIVE_INFINITY, /not finite/],
  ])('%j is refused', (input, message) => {
    expect(() => parseMemory(input)).toThrow(message);
  });

  it('names the grammar in its error', () => {
    expect(() => parseMemory('64MB!')).toThrow(/is not a valid memory size .*"64M", "1.5G"/);
  });

  it('writes sizes beyond 2^53 with every digit, also from a bigint', () => {
    expect(formatMemory(2 ** 60)).toBe('1152921504606846976b');
    expect(formatMemory(12345678901234567890n)).toBe('12345678901234567890b');
  });

  it.each(MEMORY)('round-trips %j through format and parse', (input) => {
    const canonical = formatMemory(parseMemory(input));
    expect(formatMemory(parseMemory(canonical))).toBe(canonical);
  });
});

describe('bigint', () => {
  it.each([
    ['1k', 1e3],
    ['1K', 1e3],
    ['2m', 2e6],
    ['2M', 2e6],
    ['3g', 3e9],
    ['3G', 3e9],
    ['1t', 1e12],
    ['1T', 1e12],
    ['1p', 1e15],
    ['1P', 1e15],
    ['1kk', 1e6],
    ['1.5k', 1500],
    ['1.0005k', 1000], // 1000.5 rounds half to even
    ['42', 42],
    [7, 7],
  ])('%j is %d', (input, expected) => {
    expect(parseBigint(input)).toBe(expected);
  });

  it.each([['1b'], ['1Ki'], [''], ['-1k']])('%j is refused', (input) => {
    expect(() => parseBigint(input)).toThrow(KolejkaError);
  });
});

describe('bool', () => {
  it.each([
    [true, true],
    [false, false],
    ['false', false],
    ['FALSE', false],
    [' no ', false],
    ['No', false],
    ['0', false],
    [0, false],
    ['true', true],
    ['yes', true],
    ['off', true],
    ['', true],
    ['n', true],
    [1, true],
    [0.5, true],
    ['1', true],
  ])('%j is %s', (input, expected) => {
    expect(parseBool(input)).toBe(expected);
  });
});

describe('int', () => {
  it.each([
    [16, 16],
    ['16', 16],
    [' 16 ', 16],
    ['+3', 3],
    ['-3', -3],
    ['1_000', 1000],
    [1.9, 1],
    [-1.9, -1],
  ])('%j is %d', (input, expected) => {
    expect(parseInteger(input)).toBe(expected);
  });

  it.each([['1.5'], ['16k'], [''], ['0x10'], [null], [true], [Number.NaN]])(
    '%j is refused',
    (input) => {
      expect(() => parseInteger(input)).toThrow(/is not a valid integer/);
    },
  );

  it('refuses negative counts', () => {
    expect(parseCount('0')).toBe(0);
    expect(() => parseCount(-1)).toThrow(/negative/);
  });
});

describe('string lists', () => {
  it('splits text on commas, trims and drops empties; keeps lists', () => {
    expect(parseStrList(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
    expect(parseStrList(['x', 'y z'])).toEqual(['x', 'y z']);
    expect(parseStrList('')).toEqual([]);
  });
});

function captureError(run: () => unknown): KolejkaError {
  try {
    run();
  } catch (error) {
    return error as KolejkaError;
  }
  throw new Error('expected an error');
}
