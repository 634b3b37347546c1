import { formatPythonFloat } from './python-float.js';

/**
 * JSON text exactly as the original writes spec files (`json.dump(..., sort_keys=True,
 * indent=2, ensure_ascii=False)`): keys sorted by code point (so `"10"` before `"2"`),
 * 2-space indent, `": "` after keys, non-ASCII kept, floats as Python prints them, no
 * trailing newline. Written by hand because JS objects put integer-like keys first.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '');
}

function write(value: unknown, indent: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      return writeNumber(value);
    case 'object':
      return Array.isArray(value)
        ? writeArray(value, indent)
        : writeObject(value as Record<string, unknown>, indent);
    case 'undefined':
    case 'function':
    case 'symbol':
      break;
  }
  throw new TypeError(`cannot write a ${typeof value} as JSON`);
}

function writeNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(value) && !Object.is(value, -0)) return BigInt(value).toString();
  return formatPythonFloat(value);
}

function writeArray(items: unknown[], indent: string): string {
  if (items.length === 0) return '[]';
  const inner = `${indent}  `;
  return `[\n${items.map((item) => inner + write(item, inner)).join(',\n')}\n${indent}]`;
}

function writeObject(object: Record<string, unknown>, indent: string): string {
  const entries = Object.entries(object)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => compareCodePoints(a, b));
  if (entries.length === 0) return '{}';
  const inner = `${indent}  `;
  const lines = entries.map(
    ([key, item]) => `${inner}${JSON.stringify(key)}: ${write(item, inner)}`,
  );
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/** Python orders strings by code point; JS `<` by UTF-16 unit, which differs above U+FFFF. */
export function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const difference = (left[i]?.codePointAt(0) ?? 0) - (right[i]?.codePointAt(0) ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}
