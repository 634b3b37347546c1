import { useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/api-error.js';
import { ErrorNote } from './error-note.js';

interface ActionButtonProps {
  /** Says what the action does, e.g. "Cancelling the task" (shown when it fails). */
  action: string;
  run: () => Promise<unknown>;
  /** Asked first with window.confirm (destructive actions). */
  confirm?: string;
  kind?: 'primary' | 'danger' | 'plain';
  children: preact.ComponentChildren;
  label?: string;
}

/** A button that runs one API call, is disabled while it runs, and shows why it failed. */
export function ActionButton({
  action,
  run,
  confirm,
  kind = 'plain',
  children,
  label,
}: ActionButtonProps) {
  const [isBusy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const onClick = async () => {
    if (confirm !== undefined && !window.confirm(confirm)) return;
    setBusy(true);
    setError(undefined);
    try {
      await run();
    } catch (caught) {
      setError(asApiError(action, caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="action">
      <button
        type="button"
        class={`button button-${kind}`}
        disabled={isBusy}
        aria-busy={isBusy}
        aria-label={label}
        onClick={() => void onClick()}
      >
        {children}
      </button>
      <ErrorNote error={error} />
    </span>
  );
}
