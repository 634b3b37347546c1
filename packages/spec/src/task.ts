import { validationError, type ValidationIssue } from './errors.js';
import { dumpFiles, parseFiles, parseStrip, type FilesSpec } from './files.js';
import { dumpLimits, parseLimits, type Limits, type LimitsJson } from './limits.js';
import { pythonStr } from './python-float.js';
import { assertSchema } from './validator.js';
import { parseBool } from './value-grammar.js';

/** One `collect` rule: files matching `glob` (Python recursive glob, relative to the task
 * dir) are stored under `prefix/` with `strip` leading components removed. */
export interface CollectSpec {
  glob: string;
  strip: number;
  prefix: string;
}

/** A task spec (`kolejka_task.json`), parsed: limits in bytes and seconds. */
export interface TaskSpec {
  id?: string;
  image?: string;
  requires: string[];
  exclusive?: boolean;
  limits: Limits;
  environment: Record<string, string>;
  args: string[];
  stdin?: string;
  stdout?: string;
  stderr?: string;
  files: FilesSpec;
  collect: CollectSpec[];
  callback_url?: string;
}

/** The canonical JSON form of a task, as written to disk and sent over the API. */
export interface TaskSpecJson {
  id?: string;
  image?: string;
  requires: string[];
  exclusive?: boolean;
  limits: LimitsJson;
  environment: Record<string, string>;
  args: string[];
  stdin?: string;
  stdout?: string;
  stderr?: string;
  files: FilesSpec;
  collect: { glob: string; strip?: number; prefix?: string }[];
  callback_url?: string;
}

type Json = Record<string, unknown>;

const optionalString = (value: unknown): string | undefined =>
  value === undefined || value === null ? undefined : pythonStr(value as string | number);

/**
 * Validates and parses a task spec. Unknown fields are ignored (as the original does);
 * every problem is reported at once in a `KOLEJKA_VALIDATION` error with its JSON path.
 */
export function parseTask(json: unknown): TaskSpec {
  assertSchema('task', json, 'task');
  const source = json as Json;
  const task: TaskSpec = {
    requires: ((source.requires as string[] | null) ?? []).slice(),
    limits: parseLimits(source.limits),
    environment: Object.fromEntries(
      Object.entries((source.environment as Json | null) ?? {}).map(([key, value]) => [
        key,
        pythonStr(value as string | number | boolean),
      ]),
    ),
    args: ((source.args as (string | number | boolean)[] | null) ?? []).map(pythonStr),
    files: parseFiles(source.files),
    collect: ((source.collect as Json[] | null) ?? []).map((rule) => ({
      glob: rule.glob as string,
      strip: parseStrip(rule.strip),
      prefix: ((rule.prefix as string | null) ?? '').replace(/^\/+|\/+$/g, ''),
    })),
  };
  const optional = {
    id: optionalString(source.id),
    image: optionalString(source.image),
    stdin: optionalString(source.stdin),
    stdout: optionalString(source.stdout),
    stderr: optionalString(source.stderr),
    callback_url: optionalString(source.callback_url),
  };
  for (const [name, value] of Object.entries(optional)) {
    if (value !== undefined) (task as unknown as Json)[name] = value;
  }
  if (source.exclusive !== undefined && source.exclusive !== null)
    task.exclusive = parseBool(source.exclusive);
  return task;
}

/** Canonical JSON of a task (the original's dump): always-present and if-set fields. */
export function dumpTask(task: TaskSpec): TaskSpecJson {
  const json: TaskSpecJson = {
    requires: [...task.requires],
    limits: dumpLimits(task.limits),
    environment: { ...task.environment },
    args: [...task.args],
    files: dumpFiles(task.files),
    collect: task.collect.map(({ glob, strip, prefix }) => ({
      glob,
      ...(strip > 0 ? { strip } : {}),
      ...(prefix ? { prefix } : {}),
    })),
  };
  if (task.id !== undefined) json.id = task.id;
  if (task.image !== undefined) json.image = task.image;
  if (task.exclusive !== undefined) json.exclusive = task.exclusive;
  if (task.stdin !== undefined) json.stdin = task.stdin;
  if (task.stdout !== undefined) json.stdout = task.stdout;
  if (task.stderr !== undefined) json.stderr = task.stderr;
  if (task.callback_url !== undefined) json.callback_url = task.callback_url;
  return json;
}

/**
 * What running a task needs beyond a valid spec: an image and a command. Used by the
 * worker before it starts anything and by the server when a task is submitted.
 */
export function assertRunnable(task: TaskSpec): void {
  const issues: ValidationIssue[] = [];
  if (task.image === undefined || task.image.trim() === '') {
    issues.push({
      path: '/image',
      message: 'is missing: name the Docker image to run the task in',
    });
  }
  if (task.args.length === 0) {
    issues.push({
      path: '/args',
      message: 'is empty: give the command to run, e.g. ["sh", "run.sh"]',
    });
  }
  if (issues.length > 0) throw validationError('task', issues);
}
