import { validationError, type FilesSpec } from '@kolejka/spec';
import { putBlob } from '../blobs/blob-operations.js';
import type { ClientContext } from '../client-context.js';
import type { ProgressOptions } from '../progress.js';
import { localFiles, type LocalFilesOptions } from './local-files.js';
import { mapLimited } from './map-limited.js';

/**
 * Uploads the local files of a task or result dir (deduplicated: a file the caller already
 * holds is only hashed) and returns `files` as the server takes them: `{reference: hash}`.
 * Files that have only a `reference` are passed on for the server to check. Links are
 * followed in a task dir (the user's), never in a result dir (task code made it).
 */
export async function uploadFiles(
  ctx: ClientContext,
  dir: string | undefined,
  files: FilesSpec,
  what: string,
  options: ProgressOptions & LocalFilesOptions,
): Promise<{ files: FilesSpec; uploadedCount: number }> {
  const { local, issues } = await localFiles(dir, files, options);
  if (issues.length > 0) throw validationError(what, issues);
  const hashes = await mapLimited(local, ctx.options.concurrency, (file) =>
    putBlob(ctx, file.source, {
      name: file.name,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    }),
  );
  const uploaded: FilesSpec = {};
  for (const [name, file] of Object.entries(files)) {
    if (file.reference !== undefined) uploaded[name] = { reference: file.reference };
  }
  local.forEach((file, index) => {
    uploaded[file.name] = { reference: (hashes[index] as { hash: string }).hash };
  });
  return {
    files: uploaded,
    uploadedCount: hashes.filter((blob) => blob.isUploaded).length,
  };
}
