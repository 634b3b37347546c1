import { TERMINATION_REASONS } from '../termination.js';
import { filesSchema, relativePathSchema } from './files.js';
import { limitsSchema } from './limits.js';
import { statsSchema } from './stats.js';

export const terminationSchema = {
  type: ['object', 'null'],
  required: ['reason'],
  properties: {
    reason: { enum: TERMINATION_REASONS },
    signal: { type: ['string', 'null'] },
    message: { type: ['string', 'null'] },
  },
} as const;

/**
 * `kolejka_result.json`; `termination`, `unenforced_limits` and `sampled_stats` are Kolejka's
 * additive extensions.
 */
export const resultSchema = {
  title: 'Kolejka result (kolejka_result.json)',
  type: 'object',
  properties: {
    id: { type: ['string', 'number', 'null'] },
    tags: { type: ['array', 'null'], items: { type: 'string' } },
    limits: limitsSchema,
    stats: statsSchema,
    result: { type: ['integer', 'string', 'null'], 'x-kolejka': 'int' },
    stdout: relativePathSchema,
    stderr: relativePathSchema,
    files: filesSchema,
    termination: terminationSchema,
    unenforced_limits: { type: ['array', 'null'], items: { type: 'string' } },
    sampled_stats: { type: ['array', 'null'], items: { type: 'string' } },
  },
} as const;
