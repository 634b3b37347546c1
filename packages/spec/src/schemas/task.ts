import { filesSchema, relativePathSchema } from './files.js';
import { boolSchema, countSchema, limitsSchema } from './limits.js';

const scalar = { type: ['string', 'number', 'boolean'] } as const;

export const collectSchema = {
  type: 'object',
  required: ['glob'],
  properties: {
    glob: { type: 'string', 'x-kolejka': 'glob' },
    strip: countSchema,
    prefix: { type: ['string', 'null'], 'x-kolejka': 'prefix' },
  },
} as const;

/** `kolejka_task.json` as the original reads it; unknown fields are allowed and ignored. */
export const taskSchema = {
  title: 'Kolejka task (kolejka_task.json)',
  type: 'object',
  properties: {
    id: { type: ['string', 'number', 'null'] },
    image: { type: ['string', 'null'], minLength: 1 },
    requires: { type: ['array', 'null'], items: { type: 'string' } },
    exclusive: boolSchema,
    limits: limitsSchema,
    environment: { type: ['object', 'null'], additionalProperties: scalar },
    args: { type: ['array', 'null'], items: scalar },
    stdin: relativePathSchema,
    stdout: relativePathSchema,
    stderr: relativePathSchema,
    files: filesSchema,
    collect: { type: ['array', 'null'], items: collectSchema },
    callback_url: { type: ['string', 'null'], 'x-kolejka': 'url' },
  },
} as const;
