import type { ApiError } from '../api/api-error.js';

/** A failed request as people read it: what was being done, the server's reason, where. */
export function ErrorNote({ error }: { error: ApiError | undefined }) {
  if (error === undefined) return null;
  return (
    <div class="error-note" role="alert">
      <strong>{error.action} failed</strong>: {error.message}
      {error.status > 0 ? (
        <span class="error-code">
          {' '}
          (HTTP {error.status}, {error.code})
        </span>
      ) : null}
      {error.issues.length > 0 ? (
        <ul>
          {error.issues.map((issue) => (
            <li key={issue.path}>
              <code>{issue.path || '/'}</code> {issue.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
