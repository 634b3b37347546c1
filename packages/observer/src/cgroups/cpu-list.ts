import { KolejkaError } from '@kolejka/spec';

/** Parses the kernel's CPU list format ("0-3,8,10-11"); empty text is an empty list. */
export function parseCpuList(text: string): number[] {
  const cpus = new Set<number>();
  for (const raw of text.trim().split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const match = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (match === null) {
      throw new KolejkaError('KOLEJKA_VALIDATION', `invalid CPU list ${JSON.stringify(text)}`);
    }
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    for (let cpu = first; cpu <= last; cpu += 1) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** Formats CPU indexes in the kernel's list format, ranges collapsed: [0,1,2,5] → "0-2,5". */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const ranges: string[] = [];
  let start: number | undefined;
  let previous: number | undefined;
  for (const cpu of sorted) {
    if (start !== undefined && previous !== undefined && cpu === previous + 1) {
      previous = cpu;
      continue;
    }
    if (start !== undefined) ranges.push(start === previous ? `${start}` : `${start}-${previous}`);
    start = cpu;
    previous = cpu;
  }
  if (start !== undefined) ranges.push(start === previous ? `${start}` : `${start}-${previous}`);
  return ranges.join(',');
}

/**
 * `count` consecutive CPUs of `available`, starting at index `offset` and wrapping around
 * (the original ignored the offset and always took the first CPUs; the foreman relies on
 * the offset to spread concurrent tasks). More CPUs than available → all of them.
 */
export function pickCpus(available: readonly number[], count: number, offset = 0): number[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new KolejkaError('KOLEJKA_VALIDATION', `limits.cpus must be at least 1, got ${count}`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `limits.cpus_offset must be a non-negative integer, got ${offset}`,
    );
  }
  if (available.length === 0) {
    throw new KolejkaError('KOLEJKA_UNAVAILABLE', 'no CPUs are available to choose from');
  }
  const taken = Math.min(count, available.length);
  const out: number[] = [];
  for (let index = 0; index < taken; index += 1) {
    out.push(available[(offset + index) % available.length] as number);
  }
  return out.sort((a, b) => a - b);
}
