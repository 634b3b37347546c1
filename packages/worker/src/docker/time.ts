/**
 * Docker reports times as RFC 3339 with nanoseconds ("2024-01-02T03:04:05.123456789Z").
 * `Date` keeps milliseconds only, so whole seconds and the fraction are kept apart to get
 * wall times exact to the microsecond.
 */
export interface DockerTime {
  /** Whole seconds since the epoch. */
  seconds: number;
  /** Nanoseconds within the second. */
  nanos: number;
}

export function parseDockerTime(text: string): DockerTime | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!match) return undefined;
  const [, whole = '', fraction = '', zone = 'Z'] = match;
  const milliseconds = Date.parse(`${whole}${zone}`);
  // "0001-01-01T00:00:00Z" is Docker's "never".
  if (Number.isNaN(milliseconds) || milliseconds <= 0) return undefined;
  const nanos = fraction === '' ? 0 : Number(fraction.slice(0, 9).padEnd(9, '0'));
  return { seconds: milliseconds / 1000, nanos };
}

/** Milliseconds since the epoch (for timers against the host clock). */
export function dockerTimeMs(time: DockerTime): number {
  return time.seconds * 1000 + time.nanos / 1e6;
}

/** Seconds between two Docker timestamps (microsecond precision), or undefined when unknown. */
export function dockerDuration(startedAt: string, finishedAt: string): number | undefined {
  const start = parseDockerTime(startedAt);
  const end = parseDockerTime(finishedAt);
  if (start === undefined || end === undefined) return undefined;
  const nanos = (end.seconds - start.seconds) * 1e9 + (end.nanos - start.nanos);
  if (nanos < 0) return undefined;
  return Math.round(nanos / 1e3) / 1e6;
}
