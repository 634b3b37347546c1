import {
  pointerAppend,
  relativePathProblem,
  validationError,
  type ValidationIssue,
} from '@kolejka/spec';
import { hasPermission, type Principal } from '../accounts/principal.js';
import {
  AFTER_POLICIES,
  MAX_DEPENDENCIES,
  type AfterPolicy,
  type NewTaskLinks,
  type Store,
  type TaskInput,
} from '../store/store.js';
import { mayReadTask } from '../tasks/task-access.js';

/** What checking a request's dependencies reads. */
export interface DependencyRequestPorts {
  store: Store;
}

const TASK_KEY = /^[0-9a-f]{32}$/;

/**
 * Reads `dependencies`, `after` and `inputs` of a submission body (`undefined` when it has
 * none) and checks them against the store: every key must be a task the caller owns (or
 * any task for a manager or admin), named once, at most MAX_DEPENDENCIES; inputs must come
 * from a dependency and be valid task file names. All problems are reported at once, each
 * with its JSON path. `extraDependency` is the task a continuation attaches to.
 */
export async function parseDependencyRequest(
  ports: DependencyRequestPorts,
  principal: Principal,
  body: Record<string, unknown>,
  extraDependency?: string,
): Promise<NewTaskLinks | undefined> {
  const issues: ValidationIssue[] = [];
  const { dependencies: rawDependencies, after: rawAfter, inputs: rawInputs } = body;
  if (rawDependencies === undefined && extraDependency === undefined) {
    for (const [name, value] of [
      ['after', rawAfter],
      ['inputs', rawInputs],
    ] as const)
      if (value !== undefined)
        issues.push({ path: `/${name}`, message: 'needs "dependencies": the task has none' });
    if (issues.length > 0) throw validationError('task request', issues);
    return undefined;
  }
  const dependencies: string[] = extraDependency === undefined ? [] : [extraDependency];
  if (rawDependencies !== undefined) {
    if (!Array.isArray(rawDependencies))
      issues.push({ path: '/dependencies', message: 'must be an array of task keys' });
    else if (rawDependencies.length + dependencies.length > MAX_DEPENDENCIES)
      issues.push({
        path: '/dependencies',
        message: `has ${rawDependencies.length} keys, more than ${MAX_DEPENDENCIES}`,
      });
    else {
      const firstAt = new Map<string, number>();
      const mayNameAny = hasPermission(principal, 'task:delete-any');
      await Promise.all(
        rawDependencies.map(async (key: unknown, index) => {
          const path = pointerAppend('/dependencies', index);
          if (typeof key !== 'string' || !TASK_KEY.test(key)) {
            issues.push({ path, message: 'must be a task key (32 lowercase hex digits)' });
            return;
          }
          const task = await ports.store.getTask(key);
          if (task === undefined || !(await mayReadTask(ports, principal, task))) {
            issues.push({ path, message: `is unknown: there is no task ${key}` });
            return;
          }
          if (task.owner !== principal.username && !mayNameAny)
            issues.push({
              path,
              message: `is a task of ${task.owner}: only your own tasks (or, for managers, anyone's) can be dependencies`,
            });
        }),
      );
      rawDependencies.forEach((key: unknown, index) => {
        if (typeof key !== 'string') return;
        const first = firstAt.get(key) ?? (key === extraDependency ? -1 : undefined);
        if (first !== undefined)
          issues.push({
            path: pointerAppend('/dependencies', index),
            message:
              first < 0
                ? 'repeats the task this continuation follows'
                : `repeats /dependencies/${first}: name each dependency once`,
          });
        else {
          firstAt.set(key, index);
          dependencies.push(key);
        }
      });
    }
  }
  let after: AfterPolicy = 'finished';
  if (rawAfter !== undefined) {
    if (typeof rawAfter === 'string' && (AFTER_POLICIES as readonly string[]).includes(rawAfter))
      after = rawAfter as AfterPolicy;
    else issues.push({ path: '/after', message: `must be one of ${AFTER_POLICIES.join(', ')}` });
  }
  const inputs = parseInputs(rawInputs, new Set(dependencies), taskFileNames(body.task), issues);
  if (issues.length > 0) throw validationError('task request', sortIssues(issues));
  return { dependencies, after, ...(inputs === undefined ? {} : { inputs }) };
}

/** The file names of the submitted task (its own validation reports a malformed one). */
function taskFileNames(task: unknown): Set<string> {
  if (task === null || typeof task !== 'object') return new Set();
  const files = (task as { files?: unknown }).files;
  return new Set(files !== null && typeof files === 'object' ? Object.keys(files) : []);
}

function parseInputs(
  raw: unknown,
  dependencies: ReadonlySet<string>,
  taskFiles: ReadonlySet<string>,
  issues: ValidationIssue[],
): Record<string, TaskInput> | undefined {
  if (raw === undefined) return undefined;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    issues.push({
      path: '/inputs',
      message: 'must be an object {"NAME": {"from": KEY, "path": FILE}}',
    });
    return undefined;
  }
  const inputs: Record<string, TaskInput> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const path = pointerAppend('/inputs', name);
    const problem = relativePathProblem(name);
    if (problem !== undefined)
      issues.push({ path, message: `is not a valid task file name: it ${problem}` });
    else if (taskFiles.has(name))
      issues.push({ path, message: 'is also a file of the task: give the input another name' });
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      issues.push({ path, message: 'must be {"from": KEY, "path": FILE IN ITS RESULT}' });
      continue;
    }
    const { from, path: file } = value as Record<string, unknown>;
    if (typeof from !== 'string' || !dependencies.has(from))
      issues.push({ path: `${path}/from`, message: "must be one of the task's dependencies" });
    if (typeof file !== 'string' || file === '')
      issues.push({
        path: `${path}/path`,
        message: "must name a file in that dependency's result",
      });
    if (typeof from === 'string' && typeof file === 'string') inputs[name] = { from, path: file };
  }
  return inputs;
}

/** Issues in document order. */
function sortIssues(issues: ValidationIssue[]): ValidationIssue[] {
  return [...issues].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
