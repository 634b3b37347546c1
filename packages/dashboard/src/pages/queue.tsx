import { useEffect, useState } from 'preact/hooks';
import { apiJson } from '../api/http.js';
import type { QueueStatus, ScheduleView, TaskPage } from '../api/types.js';
import { ActionButton } from '../ui/action-button.js';
import { ErrorNote } from '../ui/error-note.js';
import { ScrollBox } from '../ui/scroll-box.js';
import { formatRelative, formatTime, shortKey } from '../ui/format.js';
import { useSession } from '../ui/session-context.js';
import { StateBadge } from '../ui/state-badge.js';
import { useInterval, useLoad, useThrottled } from '../ui/use-load.js';

/** The queue (pause, resume, the next tasks, move to front) and the cron schedules. */
export function QueuePage() {
  const { can, events, session } = useSession();
  const status = useLoad(
    'Loading the queue status',
    (signal) => apiJson<QueueStatus>('Loading the queue status', '/queue', { signal }),
    [],
  );
  const queued = useLoad(
    'Loading queued tasks',
    (signal) =>
      apiJson<TaskPage>('Loading queued tasks', '/tasks?state=queued&sort=oldest&limit=100', {
        signal,
      }),
    [],
  );
  const schedules = useLoad(
    'Loading schedules',
    (signal) => apiJson<{ items: ScheduleView[] }>('Loading schedules', '/schedules', { signal }),
    [],
  );
  const refresh = useThrottled(() => {
    queued.reload();
    status.reload();
  }, 1000);
  useEffect(() => events.onUpdate(refresh), [events, refresh]);
  useInterval(() => {
    status.reload();
    schedules.reload();
  }, 5000);
  const [tag, setTag] = useState('');

  // Run order: priority first (higher earlier), then age; a moved task's place is the server's.
  const tasks = [...(queued.data?.items ?? [])].sort((a, b) => b.priority - a.priority);
  const queue = status.data;
  const pauseCall = (isPausing: boolean, pausedTag?: string) => async () => {
    const what = `${isPausing ? 'Pausing' : 'Resuming'} the queue${pausedTag === undefined ? '' : ` for tag ${pausedTag}`}`;
    await apiJson(what, `/queue/${isPausing ? 'pause' : 'resume'}`, {
      method: 'POST',
      json: pausedTag === undefined ? {} : { tag: pausedTag },
    });
    status.reload();
  };

  return (
    <section>
      <h1>Queue and schedules</h1>
      <h2>Queue</h2>
      <ErrorNote error={status.error} />
      {queue === undefined ? null : (
        <div class="card queue-status">
          <p class="big" role="status">
            {queue.isPaused ? 'Paused: no task is assigned' : 'Running: tasks are assigned'}
          </p>
          {queue.pausedTags.length > 0 ? (
            <p>Paused for tags: {queue.pausedTags.join(', ')}</p>
          ) : null}
          {can.managesQueue ? (
            <div class="actions">
              {queue.isPaused ? (
                <ActionButton action="Resuming the queue" kind="primary" run={pauseCall(false)}>
                  Resume the queue
                </ActionButton>
              ) : (
                <ActionButton action="Pausing the queue" kind="danger" run={pauseCall(true)}>
                  Pause the queue
                </ActionButton>
              )}
              <form class="inline-form" onSubmit={(event) => event.preventDefault()}>
                <label>
                  Tag
                  <input
                    value={tag}
                    onInput={(event) => setTag(event.currentTarget.value.trim())}
                    spellcheck={false}
                  />
                </label>
                <ActionButton
                  action="Pausing the tag"
                  run={async () => {
                    await pauseCall(true, tag)();
                    setTag('');
                  }}
                >
                  Pause tag
                </ActionButton>
                <ActionButton
                  action="Resuming the tag"
                  run={async () => {
                    await pauseCall(false, tag)();
                    setTag('');
                  }}
                >
                  Resume tag
                </ActionButton>
              </form>
            </div>
          ) : null}
        </div>
      )}

      <h3>
        Queued tasks ({tasks.length}
        {queued.data?.nextCursor === undefined ? '' : '+'})
      </h3>
      <ErrorNote error={queued.error} />
      {tasks.length === 0 ? (
        <p class="empty">Nothing is queued.</p>
      ) : (
        <ScrollBox label="Queued tasks">
          <table>
            <caption class="visually-hidden">Queued tasks, higher priority first</caption>
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">User</th>
                <th scope="col">Priority</th>
                <th scope="col">Queued</th>
                <th scope="col">Why it waits</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((task) => (
                <tr key={task.key} data-key={task.key}>
                  <td>
                    <a href={`/ui/tasks/${task.key}`} class="key" title={task.key}>
                      {shortKey(task.key)}
                    </a>{' '}
                    <StateBadge state={task.state} />
                  </td>
                  <td>{task.owner}</td>
                  <td class="number">{task.priority}</td>
                  <td title={formatTime(task.createdAt)}>{formatRelative(task.createdAt)}</td>
                  <td class="reason">{task.reason ?? ''}</td>
                  <td>
                    {can.managesQueue || task.owner === session.username ? (
                      <ActionButton
                        action={`Moving task ${shortKey(task.key)} to the front`}
                        label={`Move ${task.key} to the front`}
                        run={async () => {
                          await apiJson('Moving the task to the front', `/tasks/${task.key}/move`, {
                            method: 'POST',
                            json: { to: 'front' },
                          });
                          queued.reload();
                        }}
                      >
                        To front
                      </ActionButton>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollBox>
      )}

      <h2>Schedules</h2>
      <ErrorNote error={schedules.error} />
      {schedules.data !== undefined && schedules.data.items.length === 0 ? (
        <p class="empty">No schedules.</p>
      ) : null}
      {schedules.data === undefined || schedules.data.items.length === 0 ? null : (
        <ScrollBox label="Schedules">
          <table>
            <caption class="visually-hidden">Cron schedules</caption>
            <thead>
              <tr>
                <th scope="col">Schedule</th>
                <th scope="col">User</th>
                <th scope="col">Cron</th>
                <th scope="col">Next firing</th>
                <th scope="col">Last task</th>
                <th scope="col">Fired / skipped</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {schedules.data.items.map((schedule) => (
                <tr key={schedule.id}>
                  <td>
                    {schedule.name ?? schedule.id}{' '}
                    {schedule.paused ? <span class="pill pill-warn">paused</span> : null}
                  </td>
                  <td>{schedule.owner}</td>
                  <td>
                    <code>{schedule.cron}</code> <small>{schedule.timezone}</small>
                  </td>
                  <td title={formatTime(schedule.nextFiringAt)}>
                    {schedule.paused ? '–' : formatRelative(schedule.nextFiringAt)}
                  </td>
                  <td>
                    {schedule.lastTask === undefined ? (
                      '–'
                    ) : (
                      <>
                        <a href={`/ui/tasks/${schedule.lastTask.key}`} class="key">
                          {shortKey(schedule.lastTask.key)}
                        </a>{' '}
                        {schedule.lastTask.state === undefined ? null : (
                          <StateBadge state={schedule.lastTask.state} />
                        )}
                      </>
                    )}
                  </td>
                  <td class="number">
                    {schedule.firedCount} / {schedule.skippedCount}
                  </td>
                  <td>
                    {schedule.owner === session.username || can.managesQueue ? (
                      <ActionButton
                        action={`${schedule.paused ? 'Resuming' : 'Pausing'} schedule ${schedule.name ?? schedule.id}`}
                        label={`${schedule.paused ? 'Resume' : 'Pause'} schedule ${schedule.name ?? schedule.id}`}
                        run={async () => {
                          await apiJson(
                            'Changing the schedule',
                            `/schedules/${encodeURIComponent(schedule.id)}`,
                            { method: 'PATCH', json: { paused: !schedule.paused } },
                          );
                          schedules.reload();
                        }}
                      >
                        {schedule.paused ? 'Resume' : 'Pause'}
                      </ActionButton>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollBox>
      )}
    </section>
  );
}
