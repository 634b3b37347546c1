import { apiJson } from '../api/http.js';
import { TASK_STATES, type OverviewView } from '../api/types.js';
import { ErrorNote } from '../ui/error-note.js';
import { formatBytes, formatDuration, parseBytes } from '../ui/format.js';
import { useSession } from '../ui/session-context.js';
import { StateBadge } from '../ui/state-badge.js';
import { useInterval, useLoad, useThrottled } from '../ui/use-load.js';
import { useEffect } from 'preact/hooks';

/** Used share of one resource across online foremen, as a bar. */
function UseBar({
  label,
  used,
  total,
  format,
}: {
  label: string;
  used: number;
  total: number;
  format: (n: number) => string;
}) {
  const share = total > 0 ? Math.min(1, Math.max(0, used / total)) : 0;
  return (
    <div class="use">
      <div class="use-label">
        {label}: {format(used)} of {format(total)} in use
      </div>
      <meter min={0} max={1} value={share} aria-label={`${label} in use`} />
    </div>
  );
}

/** Tasks ended per minute over the last hour, as a small bar chart. */
function Sparkline({ values }: { values: number[] }) {
  const top = Math.max(1, ...values);
  const width = 240;
  const height = 48;
  const step = width / Math.max(1, values.length);
  return (
    <svg
      class="sparkline"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`Tasks ended per minute, last hour; at most ${top} in a minute`}
    >
      {values.map((value, index) => {
        const barHeight = (value / top) * (height - 2);
        return (
          <rect
            key={index}
            x={index * step}
            y={height - barHeight}
            width={Math.max(1, step - 1)}
            height={barHeight}
          />
        );
      })}
    </svg>
  );
}

const ms = (value: number | null | undefined) =>
  value === undefined || value === null ? '–' : formatDuration(value / 1000);

/** Counts by state, queue wait, throughput and the foremen's use, kept live. */
export function OverviewPage() {
  const { events, can } = useSession();
  const overview = useLoad(
    'Loading the overview',
    (signal) => apiJson<OverviewView>('Loading the overview', '/overview', { signal }),
    [],
  );
  const refresh = useThrottled(overview.reload, 1000);
  useEffect(() => events.onUpdate(refresh), [events, refresh]);
  useInterval(overview.reload, 5000);
  const data = overview.data;

  const cpusTotal = Number(data?.foremen.capacity.cpus ?? 0);
  const cpusFree = Number(data?.foremen.free.cpus ?? 0);
  const memoryTotal = parseBytes(data?.foremen.capacity.memory) ?? 0;
  const memoryFree = parseBytes(data?.foremen.free.memory) ?? 0;

  return (
    <section>
      <h1>Overview</h1>
      <p class="hint">
        {can.readsEverything ? 'All tasks of this system.' : 'Your tasks.'} Updates live.
      </p>
      <ErrorNote error={overview.error} />
      {data === undefined ? (
        overview.error === undefined ? (
          <p aria-busy="true">Loading…</p>
        ) : null
      ) : (
        <>
          <h2>Tasks by state</h2>
          <ul class="counts">
            {TASK_STATES.map((state) => (
              <li key={state}>
                <a href={`/ui/tasks?state=${state}`}>
                  <span class="count" data-state={state}>
                    {data.tasks.counts[state] ?? 0}
                  </span>
                  <StateBadge state={state} />
                </a>
              </li>
            ))}
          </ul>
          <div class="cards">
            <div class="card">
              <h2>Running now</h2>
              <p class="big">
                {(data.tasks.counts.running ?? 0) + (data.tasks.counts.assigned ?? 0)}
              </p>
              <p class="hint">
                {data.tasks.counts.queued ?? 0} queued, {data.tasks.counts.waiting ?? 0} waiting on
                dependencies
              </p>
            </div>
            <div class="card">
              <h2>Queue wait, last hour</h2>
              <p class="big">
                <span title="median">p50 {ms(data.queueWait.p50Ms)}</span>
              </p>
              <p class="hint">
                p95 {ms(data.queueWait.p95Ms)} over {data.queueWait.samples} assignments
              </p>
            </div>
            <div class="card">
              <h2>Throughput, last hour</h2>
              <p class="big">{data.throughput.finished} finished</p>
              <p class="hint">
                {data.throughput.failed} failed, {data.throughput.cancelled} cancelled
              </p>
              <Sparkline values={data.throughput.perMinute} />
            </div>
            <div class="card">
              <h2>Foremen</h2>
              <p class="big">{data.foremen.online} online</p>
              <p class="hint">
                {data.foremen.draining} draining{data.queue.paused ? '; the queue is paused' : ''}
                {data.queue.pausedTags.length > 0
                  ? `; paused tags: ${data.queue.pausedTags.join(', ')}`
                  : ''}
              </p>
              {cpusTotal > 0 ? (
                <UseBar
                  label="CPUs"
                  used={cpusTotal - cpusFree}
                  total={cpusTotal}
                  format={(n) => String(n)}
                />
              ) : null}
              {memoryTotal > 0 ? (
                <UseBar
                  label="Memory"
                  used={memoryTotal - memoryFree}
                  total={memoryTotal}
                  format={formatBytes}
                />
              ) : null}
            </div>
          </div>
        </>
      )}
    </section>
  );
}
