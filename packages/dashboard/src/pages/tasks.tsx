import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { apiJson, query } from '../api/http.js';
import { TASK_STATES, type TaskPage, type TaskView } from '../api/types.js';
import { ErrorNote } from '../ui/error-note.js';
import { ScrollBox } from '../ui/scroll-box.js';
import {
  formatDuration,
  formatRelative,
  formatTime,
  secondsBetween,
  shortKey,
} from '../ui/format.js';
import { useSession } from '../ui/session-context.js';
import { StateBadge } from '../ui/state-badge.js';
import { useLoad, useThrottled } from '../ui/use-load.js';

const PAGE_SIZE = 50;
const FILTERS = ['state', 'owner', 'tag', 'image', 'q', 'sort'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number] | 'cursor', string>>;

function duration(task: TaskView): string {
  const seconds =
    secondsBetween(task.startedAt, task.finishedAt) ??
    (task.state === 'running'
      ? secondsBetween(task.startedAt, new Date().toISOString())
      : undefined);
  return seconds === undefined ? '–' : formatDuration(seconds);
}

/** The task list: filters in the address (so a filtered view is a link), server-side pages, live rows. */
export function TasksPage() {
  const { events, can } = useSession();
  const location = useLocation();
  const filters: Filters = {};
  for (const name of [...FILTERS, 'cursor'] as const) {
    const value = location.query[name];
    if (value) filters[name] = value;
  }
  const [previous, setPrevious] = useState<string[]>([]);
  const [rows, setRows] = useState<TaskView[] | undefined>(undefined);

  const page = useLoad(
    'Loading tasks',
    (signal) =>
      apiJson<TaskPage>('Loading tasks', `/tasks${query({ ...filters, limit: PAGE_SIZE })}`, {
        signal,
      }),
    [location.url],
  );
  useEffect(() => setRows(page.data?.items), [page.data]);

  const refreshFirstPage = useThrottled(page.reload, 1000);
  useEffect(
    () =>
      events.onUpdate((update) => {
        let isShown = false;
        setRows((current) =>
          current?.map((task) => {
            if (task.key !== update.key) return task;
            isShown = true;
            const now = update.at;
            return {
              ...task,
              state: update.state,
              attempt: update.attempt,
              updatedAt: now,
              ...(update.reason === undefined ? {} : { reason: update.reason }),
              ...(update.state === 'running' && task.startedAt === undefined
                ? { startedAt: now }
                : {}),
              ...(['finished', 'failed', 'cancelled'].includes(update.state)
                ? { finishedAt: now }
                : {}),
            };
          }),
        );
        // A task not on the page may belong at its top: reload the first page (newest first).
        if (!isShown && filters.cursor === undefined && (filters.sort ?? 'newest') === 'newest')
          refreshFirstPage();
      }),
    [events, location.url],
  );

  const go = (next: Filters) => location.route(`/ui/tasks${query(next)}`);
  const setFilter = (name: (typeof FILTERS)[number], value: string) => {
    setPrevious([]);
    const { cursor: _cursor, ...rest } = filters;
    go({ ...rest, [name]: value || undefined });
  };

  return (
    <section>
      <h1>Tasks</h1>
      <form
        class="filters"
        role="search"
        aria-label="Filter tasks"
        onSubmit={(event) => event.preventDefault()}
      >
        <label>
          State
          <select
            value={filters.state ?? ''}
            onChange={(event) => setFilter('state', event.currentTarget.value)}
          >
            <option value="">any</option>
            {TASK_STATES.map((state) => (
              <option key={state} value={state}>
                {state}
              </option>
            ))}
          </select>
        </label>
        {can.readsEverything ? (
          <DebouncedInput
            label="User"
            value={filters.owner}
            onValue={(value) => setFilter('owner', value)}
          />
        ) : null}
        <DebouncedInput
          label="Tag"
          value={filters.tag}
          onValue={(value) => setFilter('tag', value)}
        />
        <DebouncedInput
          label="Image"
          value={filters.image}
          onValue={(value) => setFilter('image', value)}
        />
        <DebouncedInput
          label="Key contains"
          value={filters.q}
          onValue={(value) => setFilter('q', value)}
        />
        <label>
          Order
          <select
            value={filters.sort ?? 'newest'}
            onChange={(event) => setFilter('sort', event.currentTarget.value)}
          >
            <option value="newest">newest first</option>
            <option value="oldest">oldest first</option>
          </select>
        </label>
      </form>
      <ErrorNote error={page.error} />
      {rows === undefined ? (
        page.error === undefined ? (
          <p aria-busy="true">Loading…</p>
        ) : null
      ) : rows.length === 0 ? (
        <p class="empty">No task matches.</p>
      ) : (
        <ScrollBox label="Tasks">
          <table class="tasks">
            <caption class="visually-hidden">
              Tasks, {filters.sort === 'oldest' ? 'oldest' : 'newest'} first
            </caption>
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">State</th>
                <th scope="col">User</th>
                <th scope="col">Image</th>
                <th scope="col">Priority</th>
                <th scope="col">Created</th>
                <th scope="col">Ran for</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((task) => (
                <tr key={task.key} data-key={task.key}>
                  <td>
                    <a href={`/ui/tasks/${task.key}`} class="key" title={task.key}>
                      {shortKey(task.key)}
                    </a>
                  </td>
                  <td>
                    <StateBadge state={task.state} />
                  </td>
                  <td>{task.owner}</td>
                  <td class="image">{task.spec.image ?? '–'}</td>
                  <td class="number">{task.priority}</td>
                  <td title={formatTime(task.createdAt)}>{formatRelative(task.createdAt)}</td>
                  <td>{duration(task)}</td>
                  <td class="reason">{task.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollBox>
      )}
      <nav class="pager" aria-label="Pages of tasks">
        <button
          type="button"
          class="button button-plain"
          disabled={previous.length === 0 && filters.cursor === undefined}
          onClick={() => {
            const back = previous.slice(0, -1);
            setPrevious(back);
            go({ ...filters, cursor: previous[previous.length - 1] });
          }}
        >
          ← Newer
        </button>
        <button
          type="button"
          class="button button-plain"
          disabled={page.data?.nextCursor === undefined}
          onClick={() => {
            setPrevious([...previous, filters.cursor ?? '']);
            go({ ...filters, cursor: page.data?.nextCursor });
          }}
        >
          Older →
        </button>
      </nav>
    </section>
  );
}

/** A text filter that applies itself 300 ms after the last keystroke. */
function DebouncedInput({
  label,
  value,
  onValue,
}: {
  label: string;
  value: string | undefined;
  onValue: (value: string) => void;
}) {
  const [text, setText] = useState(value ?? '');
  useEffect(() => setText(value ?? ''), [value]);
  useEffect(() => {
    if (text === (value ?? '')) return;
    const timer = setTimeout(() => onValue(text.trim()), 300);
    return () => clearTimeout(timer);
  }, [text]);
  return (
    <label>
      {label}
      <input type="search" value={text} onInput={(event) => setText(event.currentTarget.value)} />
    </label>
  );
}
