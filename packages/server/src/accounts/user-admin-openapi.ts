import { doc, type OpenApiPaths } from '../http/route-module.js';
import { MAX_PASSWORD_LENGTH } from './user-account-request.js';

const { ref } = doc;
const userName = doc.path('name', 'User name');

/** Schemas of the admin user routes (the `User` view is queue control's). */
export const USER_ADMIN_SCHEMAS: Record<string, unknown> = {
  NewUser: {
    type: 'object',
    required: ['username', 'roles'],
    additionalProperties: false,
    properties: {
      username: {
        type: 'string',
        pattern: '^[\\w.@+-]{1,150}$',
        description: 'Letters, digits and @ . + - _ (as `kolejka-server user add`)',
      },
      roles: { type: 'array', minItems: 1, items: ref('Role') },
      password: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_PASSWORD_LENGTH,
        description: 'Absent: the user logs in with tokens only (foremen, CI)',
      },
    },
  },
  UserTokenRequest: {
    type: 'object',
    additionalProperties: false,
    properties: { label: { type: 'string', minLength: 1, maxLength: 1024 } },
  },
  UserToken: {
    type: 'object',
    required: ['id', 'username', 'createdAt', 'token'],
    properties: {
      id: { type: 'string' },
      username: { type: 'string' },
      createdAt: { type: 'string', format: 'date-time' },
      label: { type: 'string' },
      token: { type: 'string', description: 'The secret: shown in this reply only' },
    },
  },
};

export const USER_ADMIN_PATHS: OpenApiPaths = {
  '/api/v1/users': {
    post: {
      tags: ['users'],
      operationId: 'createUser',
      summary: 'Create a user with roles and, optionally, a password (admins)',
      requestBody: doc.body(ref('NewUser')),
      responses: {
        '201': doc.json(ref('User'), 'The new user (`Location` names it)'),
        ...doc.errors(400, 401, 403, 409, 413, 415),
      },
    },
  },
  '/api/v1/users/{name}': {
    parameters: [userName],
    delete: {
      tags: ['users'],
      operationId: 'removeUser',
      summary:
        'Remove a user with its tokens and sessions; its tasks and blobs stay (admins; not themselves: 409)',
      responses: { '204': doc.empty('Removed'), ...doc.errors(401, 403, 404, 409) },
    },
  },
  '/api/v1/users/{name}/tokens': {
    parameters: [userName],
    post: {
      tags: ['users'],
      operationId: 'createUserToken',
      summary:
        'Create an API token for a user, e.g. a foreman or CI account without a password (admins)',
      description: 'The secret `token` is shown only in this reply. The body is optional.',
      requestBody: { ...doc.body(ref('UserTokenRequest')), required: false },
      responses: {
        '201': doc.json(ref('UserToken'), 'The new token'),
        ...doc.errors(400, 401, 403, 404, 413, 415),
      },
    },
  },
};
