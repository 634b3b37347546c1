import { Cron } from 'croner';
import type { ValidationIssue } from '@kolejka/spec';

/*
 * Cron arithmetic through croner (5-field expressions and the @hourly/@daily/… nicknames,
 * IANA time zones, DST handled by the library): which ticks a schedule has, and what is
 * wrong with an expression or a zone. No hand parser.
 */

/** What a schedule's ticks are computed from. */
export interface CronSource {
  cron: string;
  timezone: string;
}

const cache = new Map<string, Cron>();

/** A paused croner job (never runs anything itself; used for its arithmetic only). */
function cronOf(source: CronSource): Cron {
  const cacheKey = `${source.timezone}\n${source.cron}`;
  let cron = cache.get(cacheKey);
  if (cron === undefined) {
    cron = new Cron(source.cron, { paused: true, timezone: source.timezone, mode: '5-part' });
    // A handful of distinct expressions in practice; the bound only guards against abuse.
    if (cache.size > 1000) cache.clear();
    cache.set(cacheKey, cron);
  }
  return cron;
}

/** The first tick strictly after `after`, or undefined when the expression has none. */
export function nextTickAfter(source: CronSource, after: Date): Date | undefined {
  return cronOf(source).nextRun(after) ?? undefined;
}

/** The last tick at or before `atOrBefore`, or undefined when there is none. */
export function latestTickAtOrBefore(source: CronSource, atOrBefore: Date): Date | undefined {
  // croner's previousRuns is strictly before its reference; ticks are whole seconds.
  return cronOf(source).previousRuns(1, new Date(atOrBefore.getTime() + 1))[0];
}

/** Whether `timezone` is an IANA zone name this Node knows. */
export function isKnownTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** Problems of a cron expression and time zone as a request gives them (`/cron`, `/timezone`). */
export function cronIssues(cron: unknown, timezone: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const isZoneKnown = typeof timezone === 'string' && isKnownTimeZone(timezone);
  if (!isZoneKnown)
    issues.push({
      path: '/timezone',
      message: `${JSON.stringify(timezone)} is not a time zone: give an IANA name such as "UTC" or "Europe/Warsaw"`,
    });
  if (typeof cron !== 'string' || cron.trim() === '') {
    issues.push({
      path: '/cron',
      message: 'is missing: give a 5-field cron expression ("*/5 * * * *") or @hourly, @daily …',
    });
    return issues;
  }
  try {
    const source = { cron, timezone: isZoneKnown ? timezone : 'UTC' };
    cronOf(source);
    if (nextTickAfter(source, new Date()) === undefined)
      issues.push({ path: '/cron', message: `${JSON.stringify(cron)} never fires again` });
  } catch (error) {
    issues.push({
      path: '/cron',
      message: `${JSON.stringify(cron)} is not a cron expression: ${(error as Error).message.replace(/^CronPattern: /, '')} (use 5 fields: minute hour day-of-month month day-of-week, or @hourly, @daily …)`,
    });
  }
  return issues;
}
