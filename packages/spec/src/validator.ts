import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { KolejkaError, pointerAppend, validationError, type ValidationIssue } from './errors.js';
import { relativePathProblem } from './paths.js';
import { apiErrorSchema } from './schemas/api-error.js';
import { limitsSchema } from './schemas/limits.js';
import {
  eventsClientMessageSchema,
  eventsServerMessageSchema,
  foremanMessageSchema,
  serverMessageSchema,
} from './schemas/protocol.js';
import { resultSchema } from './schemas/result.js';
import { statsSchema } from './schemas/stats.js';
import { taskSchema } from './schemas/task.js';
import { parseBigint, parseCount, parseInteger, parseMemory, parseTime } from './value-grammar.js';

/**
 * Checks for the `x-kolejka` schema keyword: the value grammar and path safety, with a
 * message that says what is wrong. Each returns a problem, or undefined when fine; values
 * of other JSON types are left to the `type` keyword.
 */
const CHECKS: Record<string, (value: unknown) => string | undefined> = {
  time: grammar((value) => parseTime(value as string | number)),
  memory: grammar((value) => parseMemory(value as string | number)),
  bigint: grammar((value) => parseBigint(value as string | number)),
  count: grammar(parseCount),
  int: grammar(parseInteger),
  path: (value) => (typeof value === 'string' ? relativePathProblem(value) : undefined),
  glob: (value) => (typeof value === 'string' ? relativePathProblem(value) : undefined),
  // The original strips slashes around a prefix ("/out/" is "out"), and "" means none.
  prefix: (value) => {
    if (typeof value !== 'string') return undefined;
    const stripped = value.replace(/^\/+|\/+$/g, '');
    return stripped === '' && !value.includes('\0') ? undefined : relativePathProblem(stripped);
  },
  url: (value) => {
    if (typeof value !== 'string') return undefined;
    if (!URL.canParse(value)) return 'is not a URL';
    const protocol = new URL(value).protocol;
    return protocol === 'http:' || protocol === 'https:'
      ? undefined
      : 'must be an http or https URL';
  },
};

function grammar(parse: (value: unknown) => unknown): (value: unknown) => string | undefined {
  return (value) => {
    if (value === null || (typeof value !== 'string' && typeof value !== 'number'))
      return undefined;
    try {
      parse(value);
      return undefined;
    } catch (error) {
      return error instanceof KolejkaError ? error.message : String(error);
    }
  };
}

function createAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    allowUnionTypes: true,
    discriminator: true,
    strict: true,
    // The schemas are constants checked against the draft-07 meta-schema by the tests
    // (validator.test.ts); checking them again at run time would compile the meta-schema
    // first, a third of the first compile's cost in every CLI process.
    validateSchema: false,
  });
  type Check = ((kind: string, data: unknown) => boolean) & { errors?: Partial<ErrorObject>[] };
  const validate: Check = (kind, data) => {
    const problem = CHECKS[kind]?.(data);
    validate.errors =
      problem === undefined ? [] : [{ keyword: 'x-kolejka', message: problem, params: { kind } }];
    return problem === undefined;
  };
  ajv.addKeyword({ keyword: 'x-kolejka', schemaType: 'string', errors: true, validate });
  return ajv;
}

export const SCHEMAS = {
  task: taskSchema,
  result: resultSchema,
  limits: limitsSchema,
  stats: statsSchema,
  'api-error': apiErrorSchema,
  'foreman-message': foremanMessageSchema,
  'server-message': serverMessageSchema,
  'events-client-message': eventsClientMessageSchema,
  'events-server-message': eventsServerMessageSchema,
} as const;

export type SchemaName = keyof typeof SCHEMAS;

let ajv: Ajv | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();

/** Compiled lazily: start-up of the CLIs should not pay for schemas they never use. */
function validatorFor(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (validate === undefined) {
    ajv ??= createAjv();
    validate = ajv.compile({ $id: `kolejka:${name}`, ...SCHEMAS[name] });
    compiled.set(name, validate);
  }
  return validate;
}

/** Every problem in `data` against the named schema, each with a JSON Pointer. */
export function schemaIssues(name: SchemaName, data: unknown): ValidationIssue[] {
  const validate = validatorFor(name);
  if (validate(data)) return [];
  return toIssues(validate.errors ?? []);
}

/** Throws a `KOLEJKA_VALIDATION` error naming every problem unless `data` fits the schema. */
export function assertSchema(name: SchemaName, data: unknown, what: string = name): void {
  const issues = schemaIssues(name, data);
  if (issues.length > 0) throw validationError(what, issues);
}

function toIssues(errors: ErrorObject[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  let nameProblem: string | undefined;
  for (const error of errors) {
    if (error.schemaPath.includes('/propertyNames/')) {
      nameProblem = error.message; // reported with the name by the propertyNames error next
      continue;
    }
    if (error.keyword === 'propertyNames') {
      const name = String((error.params as { propertyName?: unknown }).propertyName);
      issues.push({
        path: pointerAppend(error.instancePath, name),
        message: `name ${nameProblem ?? 'is not allowed'}`,
      });
      nameProblem = undefined;
      continue;
    }
    issues.push({ path: error.instancePath, message: describe(error) });
  }
  return dedupe(issues);
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `must be ${String(params.type)
        .split(',')
        .filter((type) => type !== 'null')
        .join(' or ')}`;
    case 'required':
      return `is missing the required field "${String(params.missingProperty)}"`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'discriminator':
      return params.error === 'mapping'
        ? `has an unknown type ${JSON.stringify(params.tagValue)}`
        : `needs a string "type"`;
    default:
      return error.message ?? `fails ${error.keyword}`;
  }
}

function dedupe(issues: ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\0${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
