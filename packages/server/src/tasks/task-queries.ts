import type { Request } from 'express';
import { KolejkaError, validationError, type ValidationIssue } from '@kolejka/spec';
import { hasPermission, type Principal } from '../accounts/principal.js';
import {
  TASK_SORTS,
  TASK_STATES,
  type TaskFilter,
  type TaskSort,
  type TaskState,
} from '../store/store.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
const MAX_TAG_LENGTH = 256;
const MAX_IMAGE_LENGTH = 1024;

export interface TaskQuery {
  filter: TaskFilter;
  limit: number;
  cursor?: string;
}

/** One value of a query parameter (repeats and commas both give lists). */
function values(req: Request, name: string): string[] {
  const raw = req.query[name];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list
    .flatMap((item) => (typeof item === 'string' ? item.split(',') : []))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function single(req: Request, name: string, issues: ValidationIssue[]): string | undefined {
  const list = values(req, name);
  if (list.length > 1) issues.push({ path: `/query/${name}`, message: 'is given more than once' });
  return list[0];
}

function date(req: Request, name: string, issues: ValidationIssue[]): Date | undefined {
  const text = single(req, name, issues);
  if (text === undefined) return undefined;
  const parsed = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(parsed.getTime())) {
    issues.push({
      path: `/query/${name}`,
      message: `${JSON.stringify(text)} is not an ISO-8601 time such as 2024-05-01T12:00:00Z`,
    });
    return undefined;
  }
  return parsed;
}

/** One text parameter taken whole (an image or a tag may hold commas). */
function text(
  req: Request,
  name: string,
  maxLength: number,
  issues: ValidationIssue[],
): string | undefined {
  const raw = req.query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') {
    issues.push({ path: `/query/${name}`, message: 'is given more than once' });
    return undefined;
  }
  if (raw === '' || raw.length > maxLength) {
    issues.push({ path: `/query/${name}`, message: `must be 1 to ${maxLength} characters` });
    return undefined;
  }
  return raw;
}

/**
 * Reads `state`, `owner`, `createdAfter`, `createdBefore`, `tag`, `image`, `q`, `sort`,
 * `limit` and `cursor`. Callers without the read-everything permission always get their own
 * tasks only.
 */
export function parseTaskQuery(req: Request, principal: Principal): TaskQuery {
  const issues: ValidationIssue[] = [];
  const states = values(req, 'state');
  for (const state of states) {
    if (!(TASK_STATES as readonly string[]).includes(state)) {
      issues.push({
        path: '/query/state',
        message: `${JSON.stringify(state)} is not a task state (${TASK_STATES.join(', ')})`,
      });
    }
  }
  const owner = single(req, 'owner', issues);
  const createdAfter = date(req, 'createdAfter', issues);
  const createdBefore = date(req, 'createdBefore', issues);
  const limitText = single(req, 'limit', issues);
  const limit = limitText === undefined ? DEFAULT_PAGE_SIZE : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    issues.push({ path: '/query/limit', message: `must be a whole number 1..${MAX_PAGE_SIZE}` });
  }
  const tag = text(req, 'tag', MAX_TAG_LENGTH, issues);
  const image = text(req, 'image', MAX_IMAGE_LENGTH, issues);
  const q = single(req, 'q', issues);
  if (q !== undefined && !/^[0-9a-f]{1,32}$/i.test(q)) {
    issues.push({
      path: '/query/q',
      message: 'must be 1 to 32 hex digits (a part of a task key)',
    });
  }
  const sort = single(req, 'sort', issues) ?? 'newest';
  if (!(TASK_SORTS as readonly string[]).includes(sort)) {
    issues.push({ path: '/query/sort', message: `must be ${TASK_SORTS.join(' or ')}` });
  }
  const cursor = single(req, 'cursor', issues);
  if (cursor !== undefined && cursor.length > 512) {
    issues.push({ path: '/query/cursor', message: 'is not a cursor this server gave' });
  }
  if (issues.length > 0) throw validationError('task query', issues);

  const canReadAll = hasPermission(principal, 'task:read-any');
  if (owner !== undefined && owner !== principal.username && !canReadAll) {
    throw new KolejkaError(
      'KOLEJKA_FORBIDDEN',
      `User ${JSON.stringify(principal.username)} may list only its own tasks`,
    );
  }
  const filter: TaskFilter = {};
  const effectiveOwner = canReadAll ? owner : principal.username;
  if (effectiveOwner !== undefined) filter.owner = effectiveOwner;
  if (states.length > 0) filter.states = states as TaskState[];
  if (createdAfter !== undefined) filter.createdAfter = createdAfter;
  if (createdBefore !== undefined) filter.createdBefore = createdBefore;
  if (tag !== undefined) filter.tag = tag;
  if (image !== undefined) filter.image = image;
  if (q !== undefined) filter.keyContains = q.toLowerCase();
  filter.sort = sort as TaskSort;
  return { filter, limit, ...(cursor === undefined ? {} : { cursor }) };
}
