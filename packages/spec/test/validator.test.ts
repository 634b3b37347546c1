import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { SCHEMAS, schemaIssues } from '../src/index.js';
import { type SchemaName } from '../src/validator.js';

// The validator skips the meta-schema check at run time (it would cost every CLI process a
// compile of the meta-schema): the schemas are checked here instead, once.
describe('the schemas', () => {
  const ajv = new Ajv({ allowUnionTypes: true, discriminator: true });

  it.each(Object.keys(SCHEMAS) as SchemaName[])('%s is a valid draft-07 schema', (name) => {
    expect(ajv.validateSchema(SCHEMAS[name]), JSON.stringify(ajv.errors)).toBe(true);
  });

  it('the check catches a broken schema', () => {
    expect(ajv.validateSchema({ type: 'object', properties: { id: { type: 'strnig' } } })).toBe(
      false,
    );
  });

  it('still compile and validate after the change', () => {
    for (const name of Object.keys(SCHEMAS) as SchemaName[]) {
      expect(Array.isArray(schemaIssues(name, {}))).toBe(true);
    }
  });
});
