import { KolejkaError } from '@kolejka/spec';

/** What a command may touch of the process: streams, environment and the shutdown signal. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  env: Readonly<Record<string, string | undefined>>;
  /** Aborted at the first SIGTERM/SIGINT: `serve` drains and returns. */
  shutdown: AbortSignal;
}

/** A wrong command line found by a handler (for example a bad value): exit code 2. */
export class UsageError extends KolejkaError {
  constructor(message: string) {
    super('KOLEJKA_VALIDATION', message);
  }
}

export function writeLine(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${text}\n`);
}

/** Fixed-width columns for listings. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
        .join('  '),
    )
    .join('\n');
}
