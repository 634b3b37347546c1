import { readFile } from 'node:fs/promises';
import os from 'node:os';

/**
 * The foreman's automatic tags (reference §9): `cpu:<vendor>`, `cpu:<model>`,
 * `cpus:<count>`, `gpu:nvidia`, `gpu:<model>`, `hostname:<name>`, `kernel:<release>`.
 * Tasks list tags they need in `requires`; matching is exact string equality.
 */

// Words the original drops from CPU model names: noise that differs between otherwise
// identical machines ("Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz" → "i7-8700k").
const CPU_NOISE_WORDS = new Set([
  'mobile',
  'extreme',
  '-',
  'cpu',
  'apu',
  'gen',
  'solo',
  'dual',
  'duo',
  'trile',
  'quad',
  'eight',
]);
const CPU_NOISE_PATTERNS = [
  /^[0-9.+-]*ghz/,
  /^intel/,
  /^amd/,
  /^core/,
  /^dual-?core/,
  /^triple-?core/,
  /^quad-?core/,
  /^eight-?core/,
];

/** Normalises a `/proc/cpuinfo` model name as the original does. */
export function cpuModelTag(modelName: string): string {
  const withoutClock = modelName.toLowerCase().replace(/@.*/s, '');
  const withoutParens = withoutClock.replace(/\([^()]*\)/g, '');
  return withoutParens
    .split(/\s+/)
    .filter((word) => word !== '')
    .filter(
      (word) =>
        !CPU_NOISE_WORDS.has(word) && !CPU_NOISE_PATTERNS.some((pattern) => pattern.test(word)),
    )
    .join(' ');
}

const VENDORS: Readonly<Record<string, string>> = { GenuineIntel: 'intel', AuthenticAMD: 'amd' };

/** `cpu:` and `cpus:` tags from the text of /proc/cpuinfo. */
export function cpuTags(cpuinfo: string): string[] {
  const tags = new Set<string>();
  let processors = 0;
  for (const rawLine of cpuinfo.split('\n')) {
    const separator = rawLine.indexOf(':');
    if (separator < 0) continue;
    const key = rawLine.slice(0, separator).trim().replace(/\s+/g, ' ').toLowerCase();
    const value = rawLine
      .slice(separator + 1)
      .trim()
      .replace(/\s+/g, ' ');
    if (key === 'processor') processors += 1;
    else if (key === 'vendor_id' && VENDORS[value] !== undefined) tags.add(`cpu:${VENDORS[value]}`);
    else if (key === 'model name') tags.add(`cpu:${cpuModelTag(value)}`);
  }
  if (processors > 0) tags.add(`cpus:${processors}`);
  return [...tags];
}

/** `gpu:<model>` from an NVIDIA product name: lower case, without "nvidia" and memory sizes ("80gb"). */
export function gpuModelTag(productName: string): string {
  return productName
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word !== '' && word !== 'nvidia' && !/^\d+gb$/.test(word))
    .join(' ');
}

export function gpuTags(productNames: readonly string[]): string[] {
  if (productNames.length === 0) return [];
  return ['gpu:nvidia', ...new Set(productNames.map((name) => `gpu:${gpuModelTag(name)}`))];
}

export interface AutoTagsInput {
  cpuinfo: string;
  hostname: string;
  kernelRelease: string;
  gpuNames: readonly string[];
}

/** All automatic tags, sorted (the original sorts auto tags). */
export function autoTags(input: AutoTagsInput): string[] {
  const tags = new Set([
    ...cpuTags(input.cpuinfo),
    ...gpuTags(input.gpuNames),
    `hostname:${input.hostname}`,
    `kernel:${input.kernelRelease}`,
  ]);
  return [...tags].sort();
}

/**
 * The tags with `cpus:<count>` saying the CPUs the foreman gives tasks (`--cpus`, the
 * capacity), not the machine's: a task that requires `cpus:4` needs 4 CPUs it can get.
 */
export function withCpusTag(tags: readonly string[], cpus: number | undefined): string[] {
  if (cpus === undefined) return [...tags];
  return [...tags.filter((tag) => !tag.startsWith('cpus:')), `cpus:${cpus}`].sort();
}

/** Automatic tags of this machine; `gpuNames` come from GPU detection (nvidia-smi). */
export async function detectAutoTags(gpuNames: readonly string[] = []): Promise<string[]> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  return autoTags({ cpuinfo, hostname: os.hostname(), kernelRelease: os.release(), gpuNames });
}
