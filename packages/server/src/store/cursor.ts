import { KolejkaError } from '@kolejka/spec';
import type { TaskSort } from './store-records.js';

/**
 * The position after which `listTasks` continues: tasks are listed newest first by
 * (createdAt desc, key desc), or oldest first by (createdAt asc, key asc), so a cursor is the
 * last row's pair and the order. Newest first, tasks inserted later sort before it and never
 * shift the pages that follow. (Newest-first cursors keep the two-element form they had
 * before there was a choice, so cursors handed out then still work.)
 */
export interface TaskCursor {
  createdAtMs: number;
  key: string;
  sort: TaskSort;
}

export function encodeTaskCursor(cursor: TaskCursor): string {
  const value: unknown[] = [cursor.createdAtMs, cursor.key];
  if (cursor.sort !== 'newest') value.push(cursor.sort);
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The cursor, checked to continue a list in `sort` order (KOLEJKA_VALIDATION otherwise). */
export function decodeTaskCursor(text: string, sort: TaskSort = 'newest'): TaskCursor {
  const cursor = parseTaskCursor(text);
  if (cursor.sort !== sort)
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `The cursor continues a list sorted ${cursor.sort} first, not ${sort} first: ask with sort=${cursor.sort}, or start again without the cursor`,
      {
        details: {
          issues: [{ path: '/query/cursor', message: `was given for sort=${cursor.sort}` }],
        },
      },
    );
  return cursor;
}

function parseTaskCursor(text: string): TaskCursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch (error) {
    throw invalid(text, error);
  }
  if (
    !Array.isArray(value) ||
    (value.length !== 2 && !(value.length === 3 && value[2] === 'oldest')) ||
    !Number.isSafeInteger(value[0]) ||
    typeof value[1] !== 'string'
  )
    throw invalid(text);
  return {
    createdAtMs: value[0] as number,
    key: value[1],
    sort: value.length === 3 ? 'oldest' : 'newest',
  };
}

function invalid(text: string, cause?: unknown): KolejkaError {
  return new KolejkaError(
    'KOLEJKA_VALIDATION',
    `Invalid cursor ${JSON.stringify(text.slice(0, 100))}: pass back a nextCursor from a previous page`,
    { cause },
  );
}
