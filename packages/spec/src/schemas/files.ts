/** `files`: name → `{path?, reference?}`, a bare string (= path) or null (= path is the name). */
export const relativePathSchema = { type: ['string', 'null'], 'x-kolejka': 'path' } as const;

export const filesSchema = {
  type: ['object', 'null'],
  propertyNames: { 'x-kolejka': 'path' },
  additionalProperties: {
    type: ['object', 'string', 'null'],
    'x-kolejka': 'path',
    properties: {
      path: relativePathSchema,
      reference: { type: ['string', 'null'], minLength: 1 },
    },
  },
} as const;
