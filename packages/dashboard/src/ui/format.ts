/** How values are written for people: sizes in binary units, durations, times. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** `"67108864b"`, `"64M"`, `123` → bytes; undefined when it is not a size. */
export function parseBytes(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*([\d.]+)\s*([bkmgtp]?)i?b?\s*$/i.exec(value);
  if (match === null) return undefined;
  const power = 'bkmgtp'.indexOf((match[2] || 'b').toLowerCase());
  return Number(match[1]) * 1024 ** Math.max(power, 0);
}

/** `"10.0s"`, `"250ms"`, `1.5` → seconds. */
export function parseSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*([\d.]+)\s*(ms|s|m|h|d)?\s*$/i.exec(value);
  if (match === null) return undefined;
  const scale = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[
    (match[2] ?? 's').toLowerCase() as 'ms'
  ];
  return Number(match[1]) * scale;
}

export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A limit's value as people read it (sizes in MiB/GiB, times in s). */
export function formatLimit(name: string, value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (['memory', 'swap', 'storage', 'image', 'workspace', 'gpu_memory'].includes(name)) {
    const bytes = parseBytes(value);
    return bytes === undefined ? String(value) : formatBytes(bytes);
  }
  if (name === 'time') {
    const seconds = parseSeconds(value);
    return seconds === undefined ? String(value) : formatDuration(seconds);
  }
  return String(value);
}

export function formatTime(iso: string | undefined): string {
  if (iso === undefined) return '–';
  const date = new Date(iso);
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** "3 s ago", "in 2 min". */
export function formatRelative(iso: string | undefined, now = Date.now()): string {
  if (iso === undefined) return '–';
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const size = Math.abs(seconds);
  const text =
    size < 60
      ? `${Math.round(size)} s`
      : size < 3600
        ? `${Math.round(size / 60)} min`
        : size < 86400
          ? `${Math.round(size / 3600)} h`
          : `${Math.round(size / 86400)} d`;
  return seconds < 0 ? `${text} ago` : `in ${text}`;
}

/** Seconds between two ISO times, when both are known. */
export function secondsBetween(
  from: string | undefined,
  to: string | undefined,
): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  return (new Date(to).getTime() - new Date(from).getTime()) / 1000;
}

export const shortKey = (key: string): string => key.slice(0, 8);
