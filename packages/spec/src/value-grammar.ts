import { KolejkaError } from './errors.js';
import { formatPythonFloat, parsePythonFloat } from './python-float.js';

/**
 * The original's value grammar (reference §3.1). A JSON number is taken as is; text is
 * trimmed and every trailing character that is a known suffix is peeled off, multiplying
 * the factors (so suffixes stack: `1ms` = 1 m × 1 s), and the rest is parsed as a Python
 * float (`1e3`, `.5` and ` 2 ` work; `Mi` or `sec` do not).
 */
export type GrammarValue = string | number;

const TIME_SUFFIXES: Readonly<Record<string, number>> = {
  W: 7 * 24 * 3600,
  D: 24 * 3600,
  H: 3600,
  M: 60, // minute: upper case
  s: 1,
  m: 1e-3, // millisecond: lower case
  µ: 1e-6, // U+00B5 MICRO SIGN only, as the original
  n: 1e-9,
};

const BINARY = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
const MEMORY_SUFFIXES: Readonly<Record<string, number>> = {
  ...BINARY,
  ...Object.fromEntries(Object.entries(BINARY).map(([key, factor]) => [key.toUpperCase(), factor])),
};

const DECIMAL = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };
const BIGINT_SUFFIXES: Readonly<Record<string, number>> = {
  ...DECIMAL,
  ...Object.fromEntries(
    Object.entries(DECIMAL).map(([key, factor]) => [key.toUpperCase(), factor]),
  ),
};

const EXAMPLES = {
  time: 'like "1.5s", "500m" (milliseconds), "2M" (minutes) or a number of seconds',
  memory: 'like "64M", "1.5G", "512k" or a number of bytes',
  bigint: 'like "10G", "1500k" or a number',
} as const;

type Kind = keyof typeof EXAMPLES;

function invalid(kind: Kind, value: unknown, why: string): KolejkaError {
  return new KolejkaError(
    'KOLEJKA_VALIDATION',
    `${JSON.stringify(value)} is not a valid ${kind === 'memory' ? 'memory size' : kind} (${why}); use a value ${EXAMPLES[kind]}`,
  );
}

function parseWithSuffixes(
  kind: Kind,
  value: unknown,
  suffixes: Readonly<Record<string, number>>,
): number {
  let result: number | undefined;
  if (typeof value === 'number') {
    result = value;
  } else if (typeof value === 'string') {
    let text = value.trim();
    let factor = 1;
    for (
      let last = text.at(-1);
      last !== undefined && Object.hasOwn(suffixes, last);
      last = text.at(-1)
    ) {
      factor *= suffixes[last] ?? 1;
      text = text.slice(0, -1);
    }
    if (text.trim() === '') throw invalid(kind, value, 'no number');
    const number = parsePythonFloat(text);
    if (number === undefined) {
      const suffix = /^[+-]?[\d.]/.test(text.trim()) ? /[^\d\s.]+$/.exec(text)?.[0] : undefined;
      throw invalid(kind, value, suffix ? `unknown suffix "${suffix}"` : 'not a number');
    }
    result = number * factor;
  } else {
    throw invalid(
      kind,
      value,
      `a ${value === null ? 'null' : typeof value} is neither a number nor text`,
    );
  }
  if (!Number.isFinite(result)) throw invalid(kind, value, 'not finite');
  if (result < 0) throw invalid(kind, value, 'negative');
  return result;
}

/** Python's `round()`: halves go to the even neighbour. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const difference = value - floor;
  if (difference > 0.5) return floor + 1;
  if (difference < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The largest duration the original can hold (Python's `timedelta.max`), in seconds. */
const MAX_TIME_SECONDS = 999_999_999 * 86_400 + 86_399.999999;

/** Parses a duration; returns seconds. `M` is a minute, `m` a millisecond. */
export function parseTime(value: GrammarValue): number {
  const seconds = parseWithSuffixes('time', value, TIME_SUFFIXES);
  if (seconds > MAX_TIME_SECONDS) throw invalid('time', value, 'longer than 999999999 days');
  return seconds;
}

/**
 * Formats seconds canonically: Python `repr` of the seconds then `s` (`"1.0s"`). The
 * original keeps times as `timedelta`, so values are rounded to whole microseconds first.
 */
export function formatTime(seconds: number): string {
  return `${formatPythonFloat(roundHalfEven(seconds * 1e6) / 1e6)}s`;
}

/** Parses a memory size (binary suffixes, either case); returns whole bytes. */
export function parseMemory(value: GrammarValue): number {
  return roundHalfEven(parseWithSuffixes('memory', value, MEMORY_SUFFIXES));
}

/** Formats bytes canonically: `"67108864b"`. Sizes beyond 2^53 print every digit, as Python. */
export function formatMemory(bytes: number | bigint): string {
  const whole = typeof bytes === 'bigint' ? bytes : BigInt(roundHalfEven(bytes));
  return `${whole}b`;
}

/** Parses a counter with decimal suffixes (`"10G"` = 10^10); returns an integer. */
export function parseBigint(value: GrammarValue): number {
  return roundHalfEven(parseWithSuffixes('bigint', value, BIGINT_SUFFIXES));
}

/** Python `int()`: integers and integer text (`"16"`); floats are truncated (`1.9` → 1). */
export function parseInteger(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\s*[+-]?\d(?:_?\d)*\s*$/.test(value)) {
    return Number(value.trim().replaceAll('_', ''));
  }
  throw new KolejkaError(
    'KOLEJKA_VALIDATION',
    `${JSON.stringify(value)} is not a valid integer; use a whole number such as 16`,
  );
}

/** A count (limits, stats, `strip`): an integer as `parseInteger`, never negative. */
export function parseCount(value: unknown): number {
  const parsed = parseInteger(value);
  if (parsed < 0) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `${JSON.stringify(value)} is negative; use 0 or more`,
    );
  }
  return parsed;
}

/** The original's bool: a real boolean is kept; otherwise false only for `false`, `no`, `0`. */
export function parseBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  const text = typeof value === 'number' ? formatNumberLikePython(value) : String(value);
  return !['false', 'no', '0'].includes(text.trim().toLowerCase());
}

function formatNumberLikePython(value: number): string {
  return Number.isInteger(value) ? String(value) : formatPythonFloat(value);
}

/** A list stays a list (items as text); text is split on commas, trimmed, empties dropped. */
export function parseStrList(value: unknown, separator = ','): string[] {
  if (Array.isArray(value)) return value.map((item) => String(item));
  return String(value)
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
