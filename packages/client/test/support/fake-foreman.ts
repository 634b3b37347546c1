import { createHash } from 'node:crypto';
import type { ResultSpecJson, TaskSpecJson, Termination } from '@kolejka/spec';

/** A server and a processor's token: what the fake foreman needs. */
export interface ForemanIdentity {
  url: string;
  token: string;
}

export interface Claim {
  key: string;
  attempt: number;
  spec: TaskSpecJson;
}

/** What the fake "ran": exit code, output files, termination, measured figures. */
export interface FakeRun {
  exitCode?: number;
  files?: Record<string, string | Buffer>;
  termination?: Termination;
  timeSeconds?: number;
  memoryBytes?: number;
  /** Called just before the result is posted (to time what follows). */
  onPosting?: () => void;
  /** Replaces the result spec entirely (hostile or odd results). */
  spec?: (files: Record<string, { reference: string }>) => unknown;
}

async function call(
  identity: ForemanIdentity,
  method: string,
  path: string,
  body?: unknown,
  raw?: Buffer,
) {
  const response = await fetch(`${identity.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${identity.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(raw !== undefined
      ? { body: raw }
      : body === undefined
        ? {}
        : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

/**
 * Plays a foreman through the server's APIs (no foreman package exists yet): claims queued
 * tasks with the original `/queue/dequeue/` (bearer token, no CSRF) and reads the attempt.
 */
export async function claimTasks(
  identity: ForemanIdentity,
  options: { tags?: string[]; count?: number } = {},
): Promise<Claim[]> {
  const reply = (await call(identity, 'POST', '/queue/dequeue/', {
    concurency: options.count ?? 10,
    limits: {},
    tags: options.tags ?? [],
  })) as { tasks: TaskSpecJson[] };
  const claims: Claim[] = [];
  for (const spec of reply.tasks) {
    const key = spec.id as string;
    const task = (await call(identity, 'GET', `/api/v1/tasks/${key}`)) as { attempt: number };
    claims.push({ key, attempt: task.attempt, spec });
  }
  return claims;
}

/** Uploads the run's files and posts its result for the claimed attempt. */
export async function finishTask(
  identity: ForemanIdentity,
  claim: Claim,
  run: FakeRun = {},
): Promise<void> {
  const files: Record<string, { reference: string }> = {};
  for (const [name, content] of Object.entries(run.files ?? {})) {
    const bytes = Buffer.from(content);
    const hash = createHash('sha256').update(bytes).digest('hex');
    await call(identity, 'PUT', `/api/v1/blobs/${hash}`, undefined, bytes);
    files[name] = { reference: hash };
  }
  const result: ResultSpecJson = {
    id: claim.key,
    tags: ['fake'],
    limits: claim.spec.limits,
    stats: {
      cpu: {},
      cpus: {},
      memory: { max_usage: `${run.memoryBytes ?? 4194304}b` },
      pids: {},
      perf: {},
      gpus: {},
      time: `${run.timeSeconds ?? 0.25}s`,
    },
    result: run.exitCode ?? 0,
    files,
    termination: run.termination ?? { reason: 'exited' },
  };
  run.onPosting?.();
  await call(identity, 'PUT', `/api/v1/tasks/${claim.key}/result`, {
    attempt: claim.attempt,
    result: run.spec === undefined ? result : run.spec(files),
  });
}

/**
 * Claims and finishes every task as it is queued (except tasks that require a tag: tests
 * claim those themselves), `run` deciding each outcome; polls every `intervalMs` (it is
 * test scaffolding: the push path under test is the client's).
 */
export function startFakeForeman(
  identity: ForemanIdentity,
  run: (claim: Claim) => FakeRun = () => ({}),
  intervalMs = 20,
): { stop(): Promise<void>; finished: string[] } {
  const finished: string[] = [];
  let isStopped = false;
  const loop = (async () => {
    while (!isStopped) {
      const claims = await claimTasks(identity).catch(() => []);
      for (const claim of claims) {
        await finishTask(identity, claim, run(claim));
        finished.push(claim.key);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    finished,
    async stop() {
      isStopped = true;
      await loop;
    },
  };
}
