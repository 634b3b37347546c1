import { ERROR_CODES } from '../errors.js';

/** Body of every error reply of the v1 API: `{ "error": { code, message, details? } }`. */
export const apiErrorSchema = {
  title: 'Kolejka API error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: ERROR_CODES },
        message: { type: 'string' },
        details: {},
      },
    },
  },
} as const;
