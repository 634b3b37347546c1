/**
 * Python's `float()` parser and `repr(float)` printer. The original platform writes times
 * as `str(seconds) + "s"`, so `"1.0s"`, `"0.001s"`, `"1e-05s"` and `"1e+16s"` must come out
 * byte for byte as Python prints them.
 */

// What `float(str)` accepts (after strip): digits may be grouped with single underscores.
const DIGITS = String.raw`\d(?:_?\d)*`;
const DECIMAL = new RegExp(
  String.raw`^[+-]?(?:(?:${DIGITS})?\.${DIGITS}|${DIGITS}\.?)(?:[eE][+-]?${DIGITS})?$`,
);
const SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;

/** Parses text the way Python's `float()` does; `undefined` when Python would raise. */
export function parsePythonFloat(text: string): number | undefined {
  const trimmed = text.trim();
  if (DECIMAL.test(trimmed)) return Number(trimmed.replaceAll('_', ''));
  if (SPECIAL.test(trimmed)) {
    const negative = trimmed.startsWith('-');
    if (/nan/i.test(trimmed)) return Number.NaN;
    return negative ? -Infinity : Infinity;
  }
  return undefined;
}

/** Formats a number exactly as Python's `repr(float(x))`. */
export function formatPythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  // toExponential() without an argument gives the shortest round-trip digits, as repr does.
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const sign = value < 0 ? '-' : '';
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1) || '0';
    return `${sign}${whole}.${fraction}`;
  }
  const scaled = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const exponentSign = exponent < 0 ? '-' : '+';
  return `${sign}${scaled}e${exponentSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** Python's `str(x)` for the JSON scalars the original coerces to strings (args, environment). */
export function pythonStr(value: string | number | boolean): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return Number.isInteger(value) && Math.abs(value) < 1e16
    ? String(value)
    : formatPythonFloat(value);
}
