import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { apiJson } from '../api/http.js';
import {
  ENDED_STATES,
  type GraphView,
  type HistoryView,
  type ResultView,
  type TaskView,
} from '../api/types.js';
import { ActionButton } from '../ui/action-button.js';
import { ErrorNote } from '../ui/error-note.js';
import { ScrollBox } from '../ui/scroll-box.js';
import {
  formatDuration,
  formatLimit,
  formatTime,
  parseBytes,
  parseSeconds,
  secondsBetween,
  formatBytes,
} from '../ui/format.js';
import { ResultFiles } from '../ui/result-files.js';
import { useSession } from '../ui/session-context.js';
import { StateBadge } from '../ui/state-badge.js';
import { TaskGraph } from '../ui/task-graph.js';
import { useLoad, useThrottled } from '../ui/use-load.js';

const path = (key: string, rest = '') => `/tasks/${encodeURIComponent(key)}${rest}`;

/** One task: spec, limits, history, attempts, graph, result and files; actions by role. */
export function TaskPage() {
  const { params } = useRoute();
  const key = params.key ?? '';
  const { events, session, can } = useSession();
  const location = useLocation();

  const task = useLoad(
    'Loading the task',
    (signal) => apiJson<TaskView>('Loading the task', path(key), { signal }),
    [key],
  );
  const history = useLoad(
    'Loading the task history',
    (signal) => apiJson<HistoryView>('Loading the task history', path(key, '/history'), { signal }),
    [key],
  );
  const state = task.data?.state;
  const result = useLoad(
    'Loading the result',
    (signal) =>
      state === 'finished'
        ? apiJson<ResultView>('Loading the result', path(key, '/result'), { signal })
        : Promise.resolve(undefined),
    [key, state],
  );
  const hasLinks =
    (task.data?.dependencies?.length ?? 0) > 0 || (task.data?.dependentCount ?? 0) > 0;
  const graph = useLoad(
    'Loading the dependency graph',
    (signal) =>
      hasLinks
        ? apiJson<GraphView>('Loading the dependency graph', path(key, '/graph'), { signal })
        : Promise.resolve(undefined),
    [key, hasLinks, state],
  );

  const refresh = useThrottled(() => {
    task.reload();
    history.reload();
  }, 250);
  useEffect(() => events.follow(key), [events, key]);
  useEffect(
    () => events.onUpdate((update) => update.key === key && refresh()),
    [events, key, refresh],
  );

  const data = task.data;
  if (data === undefined)
    return (
      <section>
        <h1>Task {key}</h1>
        <ErrorNote error={task.error} />
        {task.error === undefined ? <p aria-busy="true">Loading…</p> : null}
      </section>
    );

  const mayChange = data.owner === session.username || can.managesTasks;
  const isEnded = ENDED_STATES.includes(data.state);
  const spec = data.spec;
  const command = spec.args
    .map((arg) => (/[\s"'\\]/.test(arg) ? JSON.stringify(arg) : arg))
    .join(' ');
  const waited = secondsBetween(data.createdAt, data.assignedAt);
  const ran = secondsBetween(data.startedAt, data.finishedAt);

  return (
    <section class="task">
      <h1>
        Task <code class="key">{data.key}</code> <StateBadge state={data.state} />
      </h1>
      {data.reason === undefined ? null : <p class="reason-line">{data.reason}</p>}
      <ErrorNote error={task.error} />
      {mayChange ? (
        <div class="actions" role="group" aria-label="Task actions">
          {isEnded ? null : (
            <ActionButton
              action="Cancelling the task"
              kind="danger"
              confirm="Cancel this task?"
              run={async () => {
                await apiJson('Cancelling the task', path(key, '/cancel'), { method: 'POST' });
                task.reload();
              }}
            >
              Cancel
            </ActionButton>
          )}
          {isEnded ? (
            <ActionButton
              action="Requeueing the task"
              run={async () => {
                await apiJson('Requeueing the task', path(key, '/requeue'), { method: 'POST' });
                task.reload();
                history.reload();
              }}
            >
              Requeue
            </ActionButton>
          ) : null}
          {data.state === 'queued' || data.state === 'waiting' ? (
            <>
              <PriorityForm task={data} onChanged={task.reload} />
              <ActionButton
                action="Moving the task to the front"
                run={async () => {
                  await apiJson('Moving the task to the front', path(key, '/move'), {
                    method: 'POST',
                    json: { to: 'front' },
                  });
                  task.reload();
                }}
              >
                Move to front
              </ActionButton>
            </>
          ) : null}
          <ActionButton
            action="Deleting the task"
            kind="danger"
            confirm="Delete this task and its result? This cannot be undone."
            run={async () => {
              await apiJson('Deleting the task', path(key), { method: 'DELETE' });
              location.route('/ui/tasks');
            }}
          >
            Delete
          </ActionButton>
        </div>
      ) : null}

      <div class="cards">
        <div class="card">
          <h2>Summary</h2>
          <dl class="facts">
            <dt>User</dt>
            <dd>{data.owner}</dd>
            <dt>Image</dt>
            <dd>{spec.image ?? '–'}</dd>
            <dt>Command</dt>
            <dd>
              <code>{command || '(image default)'}</code>
            </dd>
            <dt>Tags required</dt>
            <dd>{spec.requires.length > 0 ? spec.requires.join(', ') : 'none'}</dd>
            <dt>Priority</dt>
            <dd>{data.priority}</dd>
            <dt>Attempt</dt>
            <dd>
              {data.attempt} of at most {data.maxAttempts}
            </dd>
            {data.assignee === undefined ? null : (
              <>
                <dt>Foreman</dt>
                <dd>{data.assignee}</dd>
              </>
            )}
            {data.dependencies === undefined || data.dependencies.length === 0 ? null : (
              <>
                <dt>Runs after</dt>
                <dd>
                  {data.dependencies.length} task{data.dependencies.length === 1 ? '' : 's'} (
                  {data.after ?? 'finished'})
                  {data.unsatisfiedDependencies
                    ? `, ${data.unsatisfiedDependencies} still open`
                    : ''}
                </dd>
              </>
            )}
            {data.schedule === undefined ? null : (
              <>
                <dt>Schedule</dt>
                <dd>{data.schedule}</dd>
              </>
            )}
            <dt>Created</dt>
            <dd>{formatTime(data.createdAt)}</dd>
            <dt>Waited in queue</dt>
            <dd>{waited === undefined ? '–' : formatDuration(waited)}</dd>
            <dt>Ran for</dt>
            <dd>{ran === undefined ? '–' : formatDuration(ran)}</dd>
          </dl>
        </div>
        <div class="card">
          <h2>Limits</h2>
          <table class="limits">
            <caption class="visually-hidden">Limits the task asked for</caption>
            <tbody>
              {Object.entries(spec.limits).map(([name, value]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td>{formatLimit(name, value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>

      <h2>History</h2>
      <ErrorNote error={history.error} />
      {history.data === undefined ? null : (
        <ScrollBox label="State history">
          <table>
            <caption class="visually-hidden">State changes, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">State</th>
                <th scope="col">Attempt</th>
                <th scope="col">Foreman</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {history.data.items.map((item, index) => (
                <tr key={index}>
                  <td>{formatTime(item.at)}</td>
                  <td>
                    <StateBadge state={item.state} />
                  </td>
                  <td class="number">{item.attempt}</td>
                  <td>{item.assignee ?? ''}</td>
                  <td class="reason">{item.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollBox>
      )}
      {history.data !== undefined && history.data.attempts.length > 0 ? (
        <>
          <h3>Attempts</h3>
          <ul class="attempts">
            {history.data.attempts.map((attempt) => (
              <li key={attempt.attempt}>
                Attempt {attempt.attempt} on <strong>{attempt.assignee ?? 'unknown'}</strong>,
                assigned {formatTime(attempt.assignedAt)}
                {attempt.outcome === undefined ? (
                  ', still open'
                ) : (
                  <>
                    {' '}
                    → <StateBadge state={attempt.outcome} />
                  </>
                )}
              </li>
            ))}
          </ul>
        </>
      ) : null}

      {hasLinks ? (
        <>
          <h2>Dependencies</h2>
          <ErrorNote error={graph.error} />
          {graph.data === undefined ? null : <TaskGraph graph={graph.data} />}
        </>
      ) : null}

      <h2>Result</h2>
      {state !== 'finished' ? (
        <p class="hint">
          {isEnded
            ? 'This task ended without a result.'
            : 'The result appears here when the task finishes.'}
        </p>
      ) : (
        <>
          <ErrorNote error={result.error} />
          {result.data === undefined ? null : <ResultSummary taskKey={key} result={result.data} />}
        </>
      )}

      <details class="spec">
        <summary>Task specification (kolejka_task.json)</summary>
        <pre>{JSON.stringify(spec, null, 2)}</pre>
      </details>
    </section>
  );
}

/** "exited", "killed by SIGKILL: time limit" — the reason, the signal and the worker's words. */
function termination(result: ResultView): string {
  const value = result.spec.termination;
  if (value === undefined) return '–';
  return [
    value.reason,
    value.signal === undefined ? '' : ` by ${value.signal}`,
    value.message === undefined ? '' : `: ${value.message}`,
  ].join('');
}

function ResultSummary({ taskKey, result }: { taskKey: string; result: ResultView }) {
  const stats = result.spec.stats;
  const time = parseSeconds(stats.time);
  const cpu = parseSeconds(stats.cpu.usage);
  const memory = parseBytes(stats.memory.max_usage);
  return (
    <>
      <dl class="facts result-facts">
        <dt>Exit code</dt>
        <dd class="exit-code">{result.spec.result ?? '–'}</dd>
        <dt>Termination</dt>
        <dd>{termination(result)}</dd>
        <dt>Wall time</dt>
        <dd>{time === undefined ? '–' : formatDuration(time)}</dd>
        <dt>CPU time</dt>
        <dd>{cpu === undefined ? '–' : formatDuration(cpu)}</dd>
        <dt>Memory peak</dt>
        <dd>{memory === undefined ? '–' : formatBytes(memory)}</dd>
        <dt>Processes peak</dt>
        <dd>{stats.pids.max_usage ?? '–'}</dd>
        {result.spec.unenforced_limits?.length ? (
          <>
            <dt>Not enforced here</dt>
            <dd>{result.spec.unenforced_limits.join(', ')}</dd>
          </>
        ) : null}
      </dl>
      <ResultFiles taskKey={taskKey} files={result.spec.files} />
    </>
  );
}

/** Sets the priority of a task still waiting or queued (the server caps what a client may set). */
function PriorityForm({ task, onChanged }: { task: TaskView; onChanged: () => void }) {
  const [value, setValue] = useState(String(task.priority));
  return (
    <form class="inline-form" onSubmit={(event) => event.preventDefault()}>
      <label>
        Priority
        <input
          type="number"
          min={-1000}
          max={1000}
          step={1}
          value={value}
          onInput={(event) => setValue(event.currentTarget.value)}
        />
      </label>
      <ActionButton
        action="Changing the priority"
        run={async () => {
          await apiJson('Changing the priority', path(task.key), {
            method: 'PATCH',
            json: { priority: Number(value) },
          });
          onChanged();
        }}
      >
        Set priority
      </ActionButton>
    </form>
  );
}
