import { KolejkaError } from '@kolejka/spec';
import {
  AFTER_POLICIES,
  MAX_DEPENDENCIES,
  type AfterPolicy,
  type NewTaskLinks,
  type TaskInput,
} from './dependency-records.js';
import type { TaskState } from './store-records.js';

/*
 * How an ended dependency decides its dependent — pure, so that both engines decide alike
 * inside their own transaction.
 */

export interface EndedDependency {
  key: string;
  state: TaskState;
  /** The result's exit code (finished tasks). */
  exitCode?: number;
  /** Why it failed or was cancelled. */
  reason?: string;
}

export type DependencyVerdict = { isSatisfied: true } | { isSatisfied: false; reason: string };

export function dependencyVerdict(after: AfterPolicy, ended: EndedDependency): DependencyVerdict {
  if (after === 'any') return { isSatisfied: true };
  if (ended.state === 'finished') {
    if (after === 'finished' || ended.exitCode === 0) return { isSatisfied: true };
    return {
      isSatisfied: false,
      reason: `dependency ${ended.key} exited ${String(ended.exitCode ?? 'without an exit code')}`,
    };
  }
  if (ended.state === 'failed')
    return {
      isSatisfied: false,
      reason: `dependency ${ended.key} failed: ${ended.reason ?? 'no reason given'}`,
    };
  return { isSatisfied: false, reason: `dependency ${ended.key} was cancelled` };
}

export const missingInputReason = (from: string, path: string): string =>
  `dependency ${from} has no result file ${path}`;

/** Checks the links of a task handed to `createTask` (existence is each engine's check). */
export function assertNewTaskLinks(key: string, links: NewTaskLinks): void {
  const fail = (message: string): never => {
    throw new KolejkaError('KOLEJKA_VALIDATION', `Invalid dependencies of task ${key}: ${message}`);
  };
  if (!(AFTER_POLICIES as readonly string[]).includes(links.after))
    fail(`unknown after policy ${JSON.stringify(links.after)}`);
  if (links.dependencies.length > MAX_DEPENDENCIES)
    fail(`${links.dependencies.length} dependencies, more than ${MAX_DEPENDENCIES}`);
  const seen = new Set<string>();
  for (const dependency of links.dependencies) {
    if (dependency === key) fail('a task cannot depend on itself (a cycle)');
    if (seen.has(dependency)) fail(`${dependency} is named twice`);
    seen.add(dependency);
  }
  for (const [name, input] of Object.entries(links.inputs ?? {}))
    if (!seen.has(input.from))
      fail(`input ${JSON.stringify(name)} is from ${input.from}, not a dependency`);
}

/** The blob hash of a result file, or `undefined` when the result has no such file. */
export function resultFileHash(
  resultSpecText: string | undefined,
  path: string,
): string | undefined {
  if (resultSpecText === undefined) return undefined;
  const spec = JSON.parse(resultSpecText) as { files?: Record<string, { reference?: string }> };
  const files = spec.files ?? {};
  return Object.hasOwn(files, path) ? files[path]?.reference : undefined;
}

/** The exit code in a stored result spec text. */
export function resultExitCode(resultSpecText: string | undefined): number | undefined {
  if (resultSpecText === undefined) return undefined;
  const code = (JSON.parse(resultSpecText) as { result?: unknown }).result;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The spec text of a released dependent: its inputs added as task files naming the result
 * files' hashes; or the reason to cancel it when a result file is missing.
 */
export function specWithInputs(
  specText: string,
  inputs: Record<string, TaskInput>,
  resultSpecOf: (key: string) => string | undefined,
): { spec: string; hashes: string[] } | { reason: string } {
  const spec = JSON.parse(specText) as { files: Record<string, { reference?: string }> };
  const hashes: string[] = [];
  for (const [name, input] of Object.entries(inputs)) {
    const hash = resultFileHash(resultSpecOf(input.from), input.path);
    if (hash === undefined) return { reason: missingInputReason(input.from, input.path) };
    spec.files[name] = { reference: hash };
    hashes.push(hash);
  }
  return { spec: JSON.stringify(spec), hashes: [...new Set(hashes)] };
}
