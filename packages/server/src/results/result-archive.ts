import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import {
  KolejkaError,
  RESULT_SPEC_FILE,
  canonicalJson,
  dumpResult,
  parseResult,
  pointerAppend,
  relativePathProblem,
  validationError,
  type ValidationIssue,
} from '@kolejka/spec';
import type { BlobStore } from '../blobs/blob-store.js';
import type { ResultRecord } from '../store/store.js';

type EntryHeader = Partial<Header> & Pick<Header, 'name'>;

/** One file of the archive: its name in the result and the blob that holds it. */
interface ArchiveFile {
  name: string;
  hash: string;
  size: number;
}

/** What `writeResultArchive` sends, checked before the first byte goes out. */
export interface ResultArchivePlan {
  /** `kolejka_result.json` as `kolejka-client result get` writes it. */
  specJson: string;
  files: ArchiveFile[];
  mtime: Date;
}

/**
 * Checks a stored result for archiving: every file name a safe relative path (never `..`,
 * absolute or the spec file itself) and every blob present with its size (a tar header
 * needs it up front). Problems come out before any reply is sent, as one error.
 */
export async function planResultArchive(
  blobs: Pick<BlobStore, 'size'>,
  result: ResultRecord,
): Promise<ResultArchivePlan> {
  const spec = parseResult(result.spec);
  const issues: ValidationIssue[] = [];
  const files: ArchiveFile[] = [];
  const names = Object.keys(spec.files).sort();
  for (const name of names) {
    const pointer = pointerAppend('/files', name);
    const problem = relativePathProblem(name);
    const hash = spec.files[name]?.reference;
    if (problem !== undefined) issues.push({ path: pointer, message: `name ${problem}` });
    else if (name === RESULT_SPEC_FILE)
      issues.push({ path: pointer, message: `would overwrite ${RESULT_SPEC_FILE} itself` });
    else if (hash === undefined || !/^[0-9a-f]{64}$/.test(hash))
      issues.push({ path: `${pointer}/reference`, message: 'is not a blob hash' });
    else {
      const size = await blobs.size(hash);
      if (size === undefined)
        issues.push({ path: `${pointer}/reference`, message: `blob ${hash} is not stored` });
      else files.push({ name, hash, size });
    }
  }
  if (issues.length > 0)
    throw new KolejkaError(
      'KOLEJKA_CONFLICT',
      `The result of task ${result.taskKey} cannot be archived`,
      { cause: validationError('stored result', issues), details: { issues } },
    );
  // The client's layout: each file under its name, the spec listing them with `path`.
  const local = Object.fromEntries(
    Object.entries(spec.files).map(([name, file]) => [
      name,
      { path: name, ...(file.reference === undefined ? {} : { reference: file.reference }) },
    ]),
  );
  return {
    specJson: canonicalJson(dumpResult({ ...spec, files: local })),
    files,
    mtime: result.createdAt,
  };
}

/**
 * Streams the planned archive (`.tar.gz`) into `out`: the spec first, then every file
 * straight from the blob store, one at a time, so no file is ever held in memory.
 */
export async function writeResultArchive(
  blobs: Pick<BlobStore, 'open'>,
  plan: ResultArchivePlan,
  out: Writable,
): Promise<void> {
  const pack = tar.pack();
  const sent = pipeline(pack, createGzip(), out);
  // A failure downstream (the client went away) stops the packing below at once.
  const failed = sent.then(
    () => new Promise<never>(() => undefined),
    (error: unknown) => Promise.reject(error as Error),
  );
  failed.catch(() => undefined);
  const header = (name: string, size: number): EntryHeader => ({
    name,
    size,
    mode: 0o644,
    mtime: plan.mtime,
    type: 'file',
  });
  try {
    await Promise.race([
      addEntry(pack, header(RESULT_SPEC_FILE, Buffer.byteLength(plan.specJson)), [
        Buffer.from(plan.specJson),
      ]),
      failed,
    ]);
    for (const file of plan.files) {
      const content = await Promise.race([blobs.open(file.hash), failed]);
      await Promise.race([addEntry(pack, header(file.name, file.size), content), failed]);
    }
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    await sent.catch(() => undefined);
    throw error;
  }
  await sent;
}

/** Adds one entry, honouring back-pressure, and waits until tar-stream has taken all of it. */
async function addEntry(
  pack: tar.Pack,
  header: EntryHeader,
  content: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer>,
): Promise<void> {
  let settle!: (error?: Error | null) => void;
  const written = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  written.catch(() => undefined);
  const entry = pack.entry(header, (error) => settle(error));
  for await (const chunk of content) {
    if (!entry.write(chunk)) await once(entry, 'drain');
  }
  entry.end(undefined);
  await written;
}
