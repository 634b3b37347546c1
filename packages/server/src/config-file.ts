import { readFile } from 'node:fs/promises';
import { KolejkaError, validationError, type ValidationIssue } from '@kolejka/spec';
import { ENV_NAMES, LIST_OPTIONS, NUMBER_OPTIONS, type ServerOptions } from './options.js';

/** Reads the JSON config file; unknown keys and wrong types are errors naming the key. */
export async function readConfigFile(file: string): Promise<ServerOptions> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new KolejkaError('KOLEJKA_VALIDATION', `Cannot read the config file ${file}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `The config file ${file} is not JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new KolejkaError('KOLEJKA_VALIDATION', `The config file ${file} must hold an object`);
  }
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(json)) {
    const problem = problemOf(key, value);
    if (problem !== undefined) issues.push({ path: `/${key}`, message: problem });
  }
  if (issues.length > 0) throw validationError(`config file ${file}`, issues);
  return json;
}

/** What is wrong with one key of the file, or undefined. */
function problemOf(key: string, value: unknown): string | undefined {
  // Every option except the file itself (computed here: options.ts imports this module).
  const known = Object.keys(ENV_NAMES).filter((name) => name !== 'config');
  const name = key as keyof ServerOptions;
  if (!known.includes(key)) return `is not a setting (known: ${known.join(', ')})`;
  if (LIST_OPTIONS.has(name)) {
    const isList = Array.isArray(value) && value.every((item) => typeof item === 'string');
    return isList ? undefined : 'must be a list of strings';
  }
  if (NUMBER_OPTIONS.has(name)) return typeof value === 'number' ? undefined : 'must be a number';
  if (name === 'trustProxy')
    return typeof value === 'boolean' ? undefined : 'must be true or false';
  if (name === 'defaultLimits' || name === 'maxLimits') {
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    return isObject ? undefined : 'must be an object of limits';
  }
  return typeof value === 'string' || typeof value === 'number'
    ? undefined
    : 'must be a string or a number';
}
