import { KolejkaError, isKolejkaError } from '@kolejka/spec';

/** The text of a string flag; a repeated flag gives a list, and the last one counts. */
export function lastFlagText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const last: unknown = Array.isArray(value) ? (value as unknown[])[value.length - 1] : value;
  return typeof last === 'string' ? last : JSON.stringify(last);
}

/** A flag's (last) value parsed by `parse`; a bad value is a KOLEJKA_VALIDATION error naming the flag. */
export function parseFlag<T>(
  flag: string,
  value: unknown,
  parse: (text: string) => T,
): T | undefined {
  const text = lastFlagText(value);
  if (text === undefined) return undefined;
  try {
    return parse(text);
  } catch (error) {
    if (!isKolejkaError(error)) throw error;
    throw new KolejkaError('KOLEJKA_VALIDATION', `--${flag}: ${error.message}`, { cause: error });
  }
}
