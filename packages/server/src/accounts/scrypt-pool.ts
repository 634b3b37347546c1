import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { KolejkaError } from '@kolejka/spec';

export interface ScryptJob {
  password: string;
  salt: Buffer;
  keyBytes: number;
  cost: { N: number; r: number; p: number; maxmem: number };
}

// The thread's whole program. Inline (eval) so it runs the same from sources and from
// dist/, and in CommonJS, which an eval'd worker is.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
parentPort.on('message', ({ id, password, salt, keyBytes, cost }) => {
  try {
    const key = scryptSync(password, Buffer.from(salt), keyBytes, cost);
    parentPort.postMessage({ id, key });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message) });
  }
});
`;

interface Pending {
  resolve: (key: Buffer) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  /** The ids of the jobs this thread has been given and not answered. */
  jobs: Set<number>;
}

/**
 * scrypt on a few dedicated threads. Node's asynchronous `crypto.scrypt` runs on libuv's
 * thread pool (4 threads by default), the same pool that does file I/O: a burst of password
 * guesses made a 10 ms blob upload wait 27 s. These threads do nothing else, and they are
 * unref'd, so an idle pool never keeps the process alive.
 */
export class ScryptPool {
  readonly #size: number;
  readonly #threads: Thread[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #isClosed = false;

  /** `size` threads (default: half the cores, 1 or 2). */
  constructor(size = Math.max(1, Math.min(2, Math.floor(availableParallelism() / 2)))) {
    this.#size = size;
  }

  derive(job: ScryptJob): Promise<Buffer> {
    if (this.#isClosed)
      return Promise.reject(new KolejkaError('KOLEJKA_UNAVAILABLE', 'Password hashing stopped'));
    const thread = this.#pick();
    const id = this.#nextId++;
    thread.jobs.add(id);
    if (thread.jobs.size === 1) thread.worker.ref();
    return new Promise<Buffer>((resolve, reject) => {
      const settle = (): void => {
        this.#pending.delete(id);
        thread.jobs.delete(id);
        if (thread.jobs.size === 0) thread.worker.unref();
      };
      this.#pending.set(id, {
        resolve: (key) => {
          settle();
          resolve(key);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      thread.worker.postMessage({ id, ...job, salt: new Uint8Array(job.salt) });
    });
  }

  /** The least busy thread, started on first need. */
  #pick(): Thread {
    if (this.#threads.length < this.#size && this.#threads.every((t) => t.jobs.size > 0)) {
      return this.#start();
    }
    return this.#threads.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
  }

  #start(): Thread {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    const thread: Thread = { worker, jobs: new Set() };
    this.#threads.push(thread);
    worker.unref();
    worker.on('message', (message: { id: number; key?: Uint8Array; error?: string }) => {
      const pending = this.#pending.get(message.id);
      if (message.key !== undefined) pending?.resolve(Buffer.from(message.key));
      else pending?.reject(new Error(message.error ?? 'scrypt failed'));
    });
    // A thread that dies is dropped (the next job starts another); only the jobs it had
    // fail, those of the other threads go on.
    const drop = (error: Error): void => {
      const index = this.#threads.indexOf(thread);
      if (index >= 0) this.#threads.splice(index, 1);
      for (const id of [...thread.jobs]) this.#pending.get(id)?.reject(error);
    };
    worker.on('error', drop);
    worker.on('exit', (code) => drop(new Error(`the scrypt thread exited (code ${code})`)));
    return thread;
  }

  #failAll(error: Error): void {
    for (const pending of [...this.#pending.values()]) pending.reject(error);
  }

  /** Stops the threads; hashing after this is refused. Idempotent. */
  async close(): Promise<void> {
    this.#isClosed = true;
    this.#failAll(new KolejkaError('KOLEJKA_UNAVAILABLE', 'Password hashing stopped'));
    await Promise.all(this.#threads.splice(0).map((t) => t.worker.terminate()));
  }
}
