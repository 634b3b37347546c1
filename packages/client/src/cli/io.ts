/** What a command may touch of the process: streams, environment, cancellation. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  env: Readonly<Record<string, string | undefined>>;
  /** Aborted at the first SIGINT/SIGTERM: the running command stops and exits 130. */
  signal: AbortSignal;
}

export function writeLine(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${text}\n`);
}
