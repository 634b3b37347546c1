import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson } from './canonical-json.js';
import { KolejkaError, isKolejkaError, validationError } from './errors.js';
import { RESULT_SPEC_FILE, TASK_SPEC_FILE } from './constants.js';
import { dumpResult, parseResult, type ResultSpec } from './result.js';
import { dumpTask, parseTask, type TaskSpec } from './task.js';

/**
 * Task and result directories: the spec file plus the files it names. Reading validates
 * (errors name the file and the field); writing is atomic and canonical, as the original.
 */

async function readSpecJson(dir: string, file: string): Promise<unknown> {
  const specPath = path.join(dir, file);
  let text: string;
  try {
    text = await readFile(specPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new KolejkaError(
        'KOLEJKA_NOT_FOUND',
        `${specPath} does not exist: is ${dir} a Kolejka directory?`,
        {
          cause: error,
        },
      );
    }
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Cannot read ${specPath}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw validationError(
      specPath,
      [{ path: '', message: `is not valid JSON: ${(error as Error).message}` }],
      {
        cause: error,
      },
    );
  }
}

function naming<T>(specPath: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (isKolejkaError(error, 'KOLEJKA_VALIDATION'))
      throw validationError(specPath, error.issues, { cause: error });
    throw error;
  }
}

async function writeSpecAtomically(
  dir: string,
  file: string,
  json: unknown,
  mode?: number,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, file);
  const temporary = path.join(dir, `.${file}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, canonicalJson(json), { mode: mode ?? 0o644 });
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return target;
}

export interface WriteSpecOptions {
  /** File mode of the spec file. Default 0o644. */
  mode?: number;
}

/** Reads and validates `dir/kolejka_task.json`. */
export async function readTask(dir: string): Promise<TaskSpec> {
  const json = await readSpecJson(dir, TASK_SPEC_FILE);
  return naming(path.join(dir, TASK_SPEC_FILE), () => parseTask(json));
}

/** Writes `dir/kolejka_task.json` canonically (creating `dir`); returns the file's path. */
export function writeTask(
  dir: string,
  task: TaskSpec,
  options: WriteSpecOptions = {},
): Promise<string> {
  return writeSpecAtomically(dir, TASK_SPEC_FILE, dumpTask(task), options.mode);
}

/** Reads and validates `dir/kolejka_result.json`. */
export async function readResult(dir: string): Promise<ResultSpec> {
  const json = await readSpecJson(dir, RESULT_SPEC_FILE);
  return naming(path.join(dir, RESULT_SPEC_FILE), () => parseResult(json));
}

/** Writes `dir/kolejka_result.json` canonically (creating `dir`); returns the file's path. */
export function writeResult(
  dir: string,
  result: ResultSpec,
  options: WriteSpecOptions = {},
): Promise<string> {
  return writeSpecAtomically(dir, RESULT_SPEC_FILE, dumpResult(result), options.mode);
}
