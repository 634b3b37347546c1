import {
  LIMIT_KINDS,
  LIMIT_NAMES,
  combineLimits,
  pointerAppend,
  type Limits,
  type TaskSpec,
  type ValidationIssue,
} from '@kolejka/spec';
import { isLoopbackHost } from '../http/loopback.js';
import type { ServerSettings } from '../server-settings.js';

/** The server settings a task is checked against. */
export type TaskPolicySettings = Pick<
  ServerSettings,
  | 'imageRegexes'
  | 'imagePatterns'
  | 'callbackHosts'
  | 'callbackLoopback'
  | 'defaultLimits'
  | 'maxLimits'
>;

/**
 * Server rules for a task on top of the spec's grammar: accepted images, callback hosts,
 * sane sizes and text a container can take. Each problem is an issue with its JSON path.
 */
export function taskPolicyIssues(task: TaskSpec, settings: TaskPolicySettings): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const image = task.image ?? '';
  if (image !== '' && !settings.imageRegexes.some((pattern) => pattern.test(image))) {
    issues.push({
      path: '/image',
      message: `${JSON.stringify(image)} is not accepted by the server (allowed patterns: ${settings.imagePatterns.join(', ')})`,
    });
  }
  if (image.length > 512) issues.push({ path: '/image', message: 'is longer than 512 characters' });
  if (/[\s\0]/.test(image))
    issues.push({ path: '/image', message: 'contains white space or a NUL character' });

  for (const [key, value] of Object.entries(task.environment)) {
    const path = pointerAppend('/environment', key);
    if (key === '' || key.includes('=') || key.includes('\0')) {
      issues.push({ path, message: 'name must be non-empty, without "=" or NUL' });
    }
    if (value.includes('\0')) issues.push({ path, message: 'contains a NUL character' });
  }
  task.args.forEach((arg, index) => {
    if (arg.includes('\0'))
      issues.push({ path: `/args/${index}`, message: 'contains a NUL character' });
  });
  task.requires.forEach((tag, index) => {
    if (tag.includes('\0'))
      issues.push({ path: `/requires/${index}`, message: 'contains a NUL character' });
  });

  for (const name of LIMIT_NAMES) {
    const value = task.limits[name];
    if (typeof value === 'number' && value > Number.MAX_SAFE_INTEGER) {
      issues.push({
        path: `/limits/${name}`,
        message: `is too large (${LIMIT_KINDS[name] === 'time' ? 'seconds' : 'value'} above 2^53)`,
      });
    }
  }

  if (task.callback_url !== undefined) {
    const host = new URL(task.callback_url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
    if (!settings.callbackHosts.includes(host)) {
      issues.push({
        path: '/callback_url',
        message: `host ${JSON.stringify(host)} is not allowed for callbacks (allowed: ${settings.callbackHosts.join(', ') || 'none'})`,
      });
    } else if (!settings.callbackLoopback && isLoopbackHost(host)) {
      // A callback to the server's own machine reaches services that trust local callers.
      issues.push({
        path: '/callback_url',
        message: `host ${JSON.stringify(host)} is on loopback: refused unless the server allows loopback callbacks (--callback-loopback)`,
      });
    }
  }
  return issues;
}

/**
 * The limits a task runs with: the server's defaults fill what the task omits, then the
 * server's maxima cap it (the original's `LIMIT_*`, combined as `update`). The maxima's
 * absent `gpus` means "no cap", not "no GPUs", so GPU tasks keep what they asked for.
 */
export function applyServerLimits(limits: Limits, settings: TaskPolicySettings): Limits {
  const withDefaults: Limits = { ...settings.defaultLimits, ...stripUndefined(limits) };
  const maxima: Limits =
    settings.maxLimits.gpus === undefined && withDefaults.gpus !== undefined
      ? { ...settings.maxLimits, gpus: withDefaults.gpus }
      : settings.maxLimits;
  return combineLimits(withDefaults, maxima);
}

function stripUndefined(limits: Limits): Limits {
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
}
