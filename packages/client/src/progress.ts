import type { TaskState } from '@kolejka/spec';

/** Bytes moved for one file: hashing it, sending it or receiving it. */
export interface TransferProgress {
  type: 'hash' | 'upload' | 'download';
  /** The file's name in the task or result, or its path. */
  name: string;
  bytes: number;
  /** Undefined when the size is not known yet. */
  totalBytes?: number;
  /** True on the last event of this file. */
  isDone: boolean;
}

/** A state change of a task while waiting for it. */
export interface StateProgress {
  type: 'state';
  key: string;
  state: TaskState;
  attempt: number;
  reason?: string;
  /** When the change happened on the server (ISO 8601). */
  at: string;
  /** How the change was learnt. */
  via: 'events' | 'polling';
}

export type ProgressEvent = TransferProgress | StateProgress;

export type ProgressListener = (event: ProgressEvent) => void;

/** What a long call takes besides its arguments: a way to stop it and a progress listener. */
export interface ProgressOptions {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

/** Calls a listener without letting its failure break the transfer it watches. */
export function emit(listener: ProgressListener | undefined, event: ProgressEvent): void {
  if (listener === undefined) return;
  try {
    listener(event);
  } catch {
    // A progress display must never fail the operation.
  }
}

/** Progress of a transfer at most every `intervalMs` (and always the last event). */
export function throttled(
  listener: ProgressListener | undefined,
  intervalMs = 100,
): ProgressListener | undefined {
  if (listener === undefined) return undefined;
  let last = 0;
  return (event) => {
    const now = Date.now();
    const isFinal = event.type === 'state' || event.isDone;
    if (!isFinal && now - last < intervalMs) return;
    last = now;
    emit(listener, event);
  };
}
