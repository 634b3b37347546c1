import path from 'node:path';
import {
  RESULT_SPEC_FILE,
  dumpResult,
  parseResult,
  readResult,
  validationError,
  writeResult,
  isKolejkaError,
  type ResultSpec,
  type ResultSpecJson,
} from '@kolejka/spec';
import type { ClientContext } from '../client-context.js';
import { downloadClientFiles } from '../files/download-files.js';
import { uploadFiles } from '../files/upload-files.js';
import type { ProgressOptions } from '../progress.js';
import { checkRemoteResult, checkTaskKey, type RemoteResult } from '../resources.js';

export async function getResultRecord(
  ctx: ClientContext,
  key: string,
  signal?: AbortSignal,
): Promise<RemoteResult> {
  return checkRemoteResult(
    await ctx.transport.json({
      method: 'GET',
      path: `/api/v1/tasks/${checkTaskKey(key)}/result`,
      isIdempotent: true,
      signal,
    }),
  );
}

/**
 * Downloads a task's result into `dir`: every file under its name and `kolejka_result.json`
 * (files with `path` = name and `reference` kept). The result is validated and every file
 * name checked to stay inside `dir` before anything is written: a result naming `../x`,
 * an absolute path or a NUL is refused and nothing is written.
 */
export async function getResult(
  ctx: ClientContext,
  key: string,
  dir: string,
  options: ProgressOptions = {},
): Promise<{ record: RemoteResult; result: ResultSpec; dir: string }> {
  const record = await getResultRecord(ctx, key, options.signal);
  const label = `result of task ${key}`;
  let spec: ResultSpec;
  try {
    spec = parseResult(record.spec);
  } catch (error) {
    if (isKolejkaError(error, 'KOLEJKA_VALIDATION')) {
      throw validationError(`${label} (refused: nothing was written)`, error.issues, {
        cause: error,
      });
    }
    throw error;
  }
  const files = await downloadClientFiles(
    ctx,
    dir,
    spec.files,
    { label, specFile: RESULT_SPEC_FILE },
    options,
  );
  const result: ResultSpec = { ...spec, files };
  await writeResult(dir, result);
  return { record, result, dir: path.resolve(dir) };
}

/**
 * Uploads the files of a result dir (with deduplication) and returns the result as the
 * server stores it: canonical, `id` = the task key, every file by the hash of its blob.
 * What `putResult` sends; a foreman speaking protocol 2 sends it in `task:finished`.
 */
export async function uploadResult(
  ctx: ClientContext,
  key: string,
  dir: string,
  options: ProgressOptions = {},
): Promise<ResultSpecJson> {
  checkTaskKey(key);
  const spec = await readResult(dir);
  const { files } = await uploadFiles(ctx, dir, spec.files, path.join(dir, RESULT_SPEC_FILE), {
    ...options,
    shouldFollowLinks: false,
  });
  return dumpResult({ ...spec, id: key, files });
}

/**
 * Posts a result dir as the result of `attempt` of a task (what a foreman does; needs the
 * processor role and the assignment). Files are uploaded with dedup first. Resending the
 * identical result is harmless, so the request is retried like a read.
 */
export async function putResult(
  ctx: ClientContext,
  key: string,
  dir: string,
  options: ProgressOptions & { attempt: number },
): Promise<RemoteResult> {
  const result = await uploadResult(ctx, key, dir, options);
  return checkRemoteResult(
    await ctx.transport.json({
      method: 'PUT',
      path: `/api/v1/tasks/${key}/result`,
      json: { attempt: options.attempt, result },
      isIdempotent: true,
      signal: options.signal,
    }),
  );
}

/** Deletes a task's result; the server queues the task to run again. */
export async function deleteResult(
  ctx: ClientContext,
  key: string,
  signal?: AbortSignal,
): Promise<void> {
  await ctx.transport.send({
    method: 'DELETE',
    path: `/api/v1/tasks/${checkTaskKey(key)}/result`,
    isIdempotent: false,
    signal,
  });
}
