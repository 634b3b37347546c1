import { KolejkaError } from '@kolejka/spec';

/**
 * The position after which `listTasks` continues: tasks are listed newest first by
 * (createdAt desc, key desc), so a cursor is the last row's pair. Tasks inserted later sort
 * before it and never shift the pages that follow.
 */
export interface TaskCursor {
  createdAtMs: number;
  key: string;
}

export function encodeTaskCursor(cursor: TaskCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAtMs, cursor.key])).toString('base64url');
}

export function decodeTaskCursor(text: string): TaskCursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch (error) {
    throw invalid(text, error);
  }
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !Number.isSafeInteger(value[0]) ||
    typeof value[1] !== 'string'
  )
    throw invalid(text);
  return { createdAtMs: value[0] as number, key: value[1] };
}

function invalid(text: string, cause?: unknown): KolejkaError {
  return new KolejkaError(
    'KOLEJKA_VALIDATION',
    `Invalid cursor ${JSON.stringify(text.slice(0, 100))}: pass back a nextCursor from a previous page`,
    { cause },
  );
}
