import { KolejkaError } from '@kolejka/spec';

/** An INI file as Python's configparser reads it: sections of lower-cased keys. */
export type IniFile = Map<string, Record<string, string>>;

/** configparser's special section whose keys every other section inherits. */
const DEFAULTS = 'DEFAULT';
const MAX_INTERPOLATION_DEPTH = 10;

function iniError(file: string, line: number, message: string): KolejkaError {
  return new KolejkaError('KOLEJKA_VALIDATION', `${file}, line ${line}: ${message}`, {
    details: { file, line },
  });
}

/**
 * Parses INI text the way the original reads `kolejka.conf` (Python configparser with its
 * defaults): `[section]` headers; `key = value` or `key: value` with keys lower-cased;
 * `#` and `;` comment lines; indented lines continue the previous value; keys of
 * `[DEFAULT]` are inherited by every section; `%(key)s` refers to another key of the
 * section and `%%` is a literal `%`. Duplicate sections or keys are errors, as there.
 */
export function parseIni(text: string, file = 'config'): IniFile {
  const raw = new Map<string, Map<string, { value: string; line: number }>>();
  let section: Map<string, { value: string; line: number }> | undefined;
  let lastKey: string | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((original, index) => {
    const number = index + 1;
    const line = original.replace(/\s+$/, '');
    const trimmed = line.trim();
    if (trimmed === '') {
      lastKey = undefined;
      return;
    }
    if (trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    if (/^\s/.test(line) && lastKey !== undefined && section !== undefined) {
      const entry = section.get(lastKey) as { value: string; line: number };
      entry.value = entry.value === '' ? trimmed : `${entry.value}\n${trimmed}`;
      return;
    }
    const header = /^\[([^\]]+)\]$/.exec(trimmed);
    if (header !== null) {
      const name = header[1] as string;
      if (raw.has(name)) throw iniError(file, number, `section [${name}] appears twice`);
      section = new Map();
      raw.set(name, section);
      lastKey = undefined;
      return;
    }
    if (section === undefined) {
      throw iniError(file, number, 'a key before any [section] header');
    }
    const delimiter = /[=:]/.exec(trimmed);
    if (delimiter === null) {
      throw iniError(file, number, `${JSON.stringify(trimmed)} is not "key = value"`);
    }
    const key = trimmed.slice(0, delimiter.index).trim().toLowerCase();
    if (key === '') throw iniError(file, number, 'a value without a key');
    if (section.has(key)) throw iniError(file, number, `key ${JSON.stringify(key)} appears twice`);
    section.set(key, { value: trimmed.slice(delimiter.index + 1).trim(), line: number });
    lastKey = key;
  });

  const defaults = raw.get(DEFAULTS) ?? new Map<string, { value: string; line: number }>();
  const result: IniFile = new Map();
  for (const [name, entries] of raw) {
    const merged = new Map([...defaults, ...entries]);
    const values: Record<string, string> = {};
    for (const [key, entry] of merged) {
      values[key] = interpolate(entry.value, merged, file, entry.line, 0);
    }
    result.set(name, values);
  }
  return result;
}

function interpolate(
  value: string,
  section: Map<string, { value: string; line: number }>,
  file: string,
  line: number,
  depth: number,
): string {
  if (depth > MAX_INTERPOLATION_DEPTH) {
    throw iniError(file, line, 'references nest too deeply (a %(key)s loop?)');
  }
  return value.replace(
    /%(%|\(([^)]*)\)s|.|$)/gs,
    (match, _all: string, name: string | undefined) => {
      if (match === '%%') return '%';
      if (name === undefined) {
        throw iniError(
          file,
          line,
          `"%" must be written "%%" or start "%(key)s" (in ${JSON.stringify(value)})`,
        );
      }
      const target = section.get(name.toLowerCase());
      if (target === undefined)
        throw iniError(file, line, `%(${name})s names no key of the section`);
      return interpolate(target.value, section, file, target.line, depth + 1);
    },
  );
}
