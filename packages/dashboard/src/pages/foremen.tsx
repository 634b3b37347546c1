import { apiJson } from '../api/http.js';
import type { ForemanView } from '../api/types.js';
import { ActionButton } from '../ui/action-button.js';
import { ErrorNote } from '../ui/error-note.js';
import { formatLimit, formatRelative, formatTime, shortKey } from '../ui/format.js';
import { useSession } from '../ui/session-context.js';
import { StateBadge } from '../ui/state-badge.js';
import { useInterval, useLoad } from '../ui/use-load.js';

const SHOWN_LIMITS = ['cpus', 'memory', 'gpus', 'workspace'] as const;

/** Every foreman: tags, capacity and what is free, its tasks, heartbeat; drain and undrain. */
export function ForemenPage() {
  const { can } = useSession();
  const foremen = useLoad(
    'Loading the foremen',
    (signal) => apiJson<{ items: ForemanView[] }>('Loading the foremen', '/foremen', { signal }),
    [],
  );
  useInterval(foremen.reload, 3000);
  const items = foremen.data?.items ?? [];
  const drain = (id: string, isDraining: boolean) => async () => {
    const what = isDraining ? `Draining foreman ${id}` : `Giving foreman ${id} work again`;
    await apiJson(what, `/foremen/${encodeURIComponent(id)}/${isDraining ? 'drain' : 'undrain'}`, {
      method: 'POST',
    });
    foremen.reload();
  };
  return (
    <section>
      <h1>Foremen</h1>
      <p class="hint">
        Refreshed every 3 seconds. A draining foreman finishes its tasks and takes no new ones.
      </p>
      <ErrorNote error={foremen.error} />
      {foremen.data !== undefined && items.length === 0 ? (
        <p class="empty">No foreman has connected yet.</p>
      ) : null}
      <ul class="foremen">
        {items.map((foreman) => (
          <li key={foreman.id} class="card foreman" data-foreman={foreman.id}>
            <h2>
              {foreman.id}{' '}
              <span class={`pill ${foreman.online ? 'pill-on' : 'pill-off'}`}>
                {foreman.online ? 'online' : 'offline'}
              </span>
              {foreman.draining ? <span class="pill pill-warn">draining</span> : null}
            </h2>
            <dl class="facts">
              <dt>User</dt>
              <dd>{foreman.username}</dd>
              <dt>Version</dt>
              <dd>{foreman.version ?? '–'}</dd>
              <dt>Last heartbeat</dt>
              <dd title={formatTime(foreman.lastHeartbeatAt)}>
                {formatRelative(foreman.lastHeartbeatAt)}
              </dd>
              <dt>Tags</dt>
              <dd>{foreman.tags.length > 0 ? foreman.tags.join(', ') : 'none'}</dd>
              {SHOWN_LIMITS.filter((name) => foreman.capacity[name] !== undefined).map((name) => (
                <>
                  <dt key={`${name}-t`}>{name}</dt>
                  <dd key={`${name}-d`}>
                    {formatLimit(name, foreman.free[name] ?? 0)} free of{' '}
                    {formatLimit(name, foreman.capacity[name]!)}
                  </dd>
                </>
              ))}
            </dl>
            <h3>Running ({foreman.running.length})</h3>
            {foreman.running.length === 0 ? (
              <p class="hint">Nothing.</p>
            ) : (
              <ul class="running">
                {foreman.running.map((task) => (
                  <li key={task.key}>
                    <a href={`/ui/tasks/${task.key}`} class="key" title={task.key}>
                      {shortKey(task.key)}
                    </a>{' '}
                    <StateBadge state={task.state} /> attempt {task.attempt}
                  </li>
                ))}
              </ul>
            )}
            {can.managesForemen ? (
              foreman.draining ? (
                <ActionButton
                  action={`Undraining foreman ${foreman.id}`}
                  label={`Undrain ${foreman.id}`}
                  run={drain(foreman.id, false)}
                >
                  Undrain
                </ActionButton>
              ) : (
                <ActionButton
                  action={`Draining foreman ${foreman.id}`}
                  label={`Drain ${foreman.id}`}
                  confirm={`Drain ${foreman.id}? It finishes its tasks and takes no new ones.`}
                  run={drain(foreman.id, true)}
                >
                  Drain
                </ActionButton>
              )
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
