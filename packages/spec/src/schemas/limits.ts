import { LIMIT_KINDS, type LimitKind } from '../limits.js';

/** JSON Schemas of the spec files' *input*: what the original accepts, with the value
 * grammar checked by the `x-kolejka` keyword (see validator.ts). `null` means absent. */

export const countSchema = {
  type: ['integer', 'number', 'string', 'null'],
  'x-kolejka': 'count',
} as const;
export const timeSchema = { type: ['string', 'number', 'null'], 'x-kolejka': 'time' } as const;
export const memorySchema = { type: ['string', 'number', 'null'], 'x-kolejka': 'memory' } as const;
export const bigintSchema = { type: ['string', 'number', 'null'], 'x-kolejka': 'bigint' } as const;
/** The original's bool: anything goes; false only for false, "no", "0", 0. */
export const boolSchema = { type: ['boolean', 'string', 'number', 'null'] } as const;

const SCHEMA_BY_KIND = {
  int: countSchema,
  memory: memorySchema,
  time: timeSchema,
  bigint: bigintSchema,
  bool: boolSchema,
} as const satisfies Record<LimitKind, object>;

export const limitsSchema = {
  title: 'Kolejka limits',
  type: ['object', 'null'],
  properties: Object.fromEntries(
    Object.entries(LIMIT_KINDS).map(([name, kind]) => [name, SCHEMA_BY_KIND[kind]]),
  ),
} as const;
