import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

/** How much of stderr is kept in memory for diagnosis. */
const STDERR_HEAD_BYTES = 1024;

/** One destination file of the task's stdout and/or stderr, capped at `limitBytes`. */
class CappedFile {
  written = 0;
  overflowed = false;
  /** The first write error (ENOSPC on a full disk): the rest of the output is dropped. */
  error: NodeJS.ErrnoException | undefined;
  private readonly stream: WriteStream;

  constructor(
    readonly file: string,
    private readonly limitBytes: number,
    onError: (error: NodeJS.ErrnoException) => void,
  ) {
    this.stream = createWriteStream(file, { flags: 'w', mode: 0o640 });
    // Without a listener a failed write (a full disk) is an uncaught exception: the daemon dies.
    this.stream.on('error', (error: NodeJS.ErrnoException) => {
      if (this.error !== undefined) return;
      this.error = error;
      onError(error);
    });
  }

  /** Writes what fits; returns false when the caller should wait for 'drain'. */
  write(chunk: Buffer): boolean {
    if (this.overflowed || this.error !== undefined) return true;
    const room = this.limitBytes - this.written;
    const part = chunk.length > room ? chunk.subarray(0, Math.max(room, 0)) : chunk;
    if (chunk.length > room) this.overflowed = true;
    this.written += part.length;
    return part.length === 0 ? true : this.stream.write(part);
  }

  async close(): Promise<void> {
    if (this.stream.closed) return;
    this.stream.end();
    // A write error ends the stream too; it is kept in `error`, not thrown here.
    await finished(this.stream).catch(() => undefined);
  }

  async drain(): Promise<void> {
    if (this.error !== undefined || !this.stream.writableNeedDrain) return;
    await once(this.stream, 'drain').catch(() => undefined);
  }
}

export interface OutputCaptureOptions {
  /** Host file for stdout, or undefined to discard it. */
  stdoutFile?: string;
  /** Host file for stderr (the same path as stdout merges both), or undefined to discard. */
  stderrFile?: string;
  limitBytes: number;
  /** Called once when a file reaches its cap (the worker kills the container then). */
  onLimit: (file: string) => void;
  /** Called once when the output cannot be written (a full disk: the worker kills the container). */
  onWriteError?: (error: NodeJS.ErrnoException) => void;
}

/**
 * Demultiplexes Docker's attach stream (8-byte frame headers: stream type, 3 zero bytes,
 * big-endian payload length) into capped files. Output beyond the cap is dropped.
 */
export class OutputCapture {
  private readonly stdout?: CappedFile;
  private readonly stderr?: CappedFile;
  private pending: Buffer = Buffer.alloc(0);
  private limitReported = false;
  private head: Buffer[] = [];
  private headBytes = 0;
  private writeErrorReported = false;

  constructor(private readonly options: OutputCaptureOptions) {
    const onError = (error: NodeJS.ErrnoException): void => {
      if (this.writeErrorReported) return;
      this.writeErrorReported = true;
      options.onWriteError?.(error);
    };
    if (options.stdoutFile !== undefined)
      this.stdout = new CappedFile(options.stdoutFile, options.limitBytes, onError);
    if (options.stderrFile !== undefined) {
      this.stderr =
        options.stderrFile === options.stdoutFile
          ? this.stdout
          : new CappedFile(options.stderrFile, options.limitBytes, onError);
    }
  }

  /** The first error writing the output, if any (its `code` says ENOSPC for a full disk). */
  get writeError(): NodeJS.ErrnoException | undefined {
    return this.stdout?.error ?? this.stderr?.error;
  }

  /** The first bytes of stderr, kept even when stderr is discarded (to see why an exec failed). */
  get stderrHead(): string {
    return Buffer.concat(this.head).toString('utf8');
  }

  get overflowed(): boolean {
    return (this.stdout?.overflowed ?? false) || (this.stderr?.overflowed ?? false);
  }

  /** Consumes the stream until it ends (or errors); resolves when everything is written. */
  async consume(source: Readable): Promise<void> {
    try {
      for await (const chunk of source) {
        await this.push(chunk as Buffer);
      }
    } catch {
      // A connection reset when the container is killed ends the output like an EOF.
    }
  }

  private async push(chunk: Buffer): Promise<void> {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const kind = this.pending[0];
      const payload = this.pending.subarray(8, 8 + size);
      this.pending = this.pending.subarray(8 + size);
      if (kind === 2 && this.headBytes < STDERR_HEAD_BYTES) {
        const part = payload.subarray(0, STDERR_HEAD_BYTES - this.headBytes);
        this.head.push(Buffer.from(part));
        this.headBytes += part.length;
      }
      const sink = kind === 1 ? this.stdout : kind === 2 ? this.stderr : undefined;
      if (sink === undefined) continue;
      const ready = sink.write(payload);
      if (sink.overflowed && !this.limitReported) {
        this.limitReported = true;
        this.options.onLimit(sink.file);
      }
      if (!ready) await sink.drain();
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.stdout?.close(), this.stderr?.close()]);
  }
}

/**
 * docker-init (tini) reports a command it cannot exec on stderr and exits 127 (not found)
 * or 126: "[FATAL tini (7)] exec no-such-command failed: No such file or directory".
 */
export function execFailureFromStderr(exitCode: number, stderrHead: string): string | undefined {
  if (exitCode !== 126 && exitCode !== 127) return undefined;
  const match = /^\[FATAL tini \(\d+\)\] (exec .* failed: .*)$/m.exec(stderrHead);
  return match?.[1];
}
