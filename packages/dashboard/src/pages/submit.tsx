import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ApiError, asApiError } from '../api/api-error.js';
import { apiJson } from '../api/http.js';
import type { TaskPage, TaskView } from '../api/types.js';
import { ErrorNote } from '../ui/error-note.js';
import { formText } from '../ui/form-text.js';
import { shellWords } from '../ui/shell-words.js';
import { useLoad } from '../ui/use-load.js';

interface PastedFile {
  id: number;
  name: string;
  text: string;
}

const LIMIT_FIELDS = [
  { name: 'time', label: 'Time limit', hint: 'e.g. 10s, 2m' },
  { name: 'memory', label: 'Memory', hint: 'e.g. 256M, 1G' },
  { name: 'cpus', label: 'CPUs', hint: 'whole number' },
  { name: 'pids', label: 'Processes', hint: 'whole number' },
  { name: 'workspace', label: 'Workspace', hint: 'e.g. 100M' },
] as const;

const splitList = (text: string) => text.split(/[\s,]+/).filter((item) => item !== '');

/** Uploads one file's bytes; the server answers its SHA-256, which the task names. */
async function upload(name: string, body: Blob): Promise<string> {
  const blob = await apiJson<{ hash: string }>(`Uploading ${name}`, '/blobs', {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  return blob.hash;
}

/** Submit a task from the browser: image, command, limits, files, dependencies, priority. */
export function SubmitPage() {
  const location = useLocation();
  const [pasted, setPasted] = useState<PastedFile[]>([{ id: 0, name: 'run.sh', text: '' }]);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [phase, setPhase] = useState<string | undefined>(undefined);
  // Images of the user's recent tasks, offered as suggestions.
  const recent = useLoad(
    'Loading recent tasks',
    (signal) => apiJson<TaskPage>('Loading recent tasks', '/tasks?limit=100', { signal }),
    [],
  );
  const images = [
    ...new Set((recent.data?.items ?? []).map((task: TaskView) => task.spec.image).filter(Boolean)),
  ] as string[];

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => formText(form, name).trim();
    setError(undefined);
    const words = shellWords(text('command'));
    if (!Array.isArray(words)) {
      setError(
        new ApiError('Reading the form', 0, 'FORM', `The command cannot be read: ${words.error}`, [
          { path: 'command', message: words.error },
        ]),
      );
      return;
    }
    const args = form.get('shell') === 'on' ? ['sh', '-c', text('command')] : words;
    const limits: Record<string, string | number | boolean> = {};
    for (const field of LIMIT_FIELDS) {
      const value = text(`limit-${field.name}`);
      if (value !== '')
        limits[field.name] =
          /^\d+$/.test(value) && (field.name === 'cpus' || field.name === 'pids')
            ? Number(value)
            : value;
    }
    limits.network = form.get('network') === 'on';
    const environment: Record<string, string> = {};
    for (const line of text('environment').split('\n')) {
      const at = line.indexOf('=');
      if (line.trim() !== '' && at > 0) environment[line.slice(0, at).trim()] = line.slice(at + 1);
    }
    try {
      const files: Record<string, { reference: string }> = {};
      for (const file of pasted.filter((item) => item.name.trim() !== '')) {
        setPhase(`Uploading ${file.name}…`);
        files[file.name.trim()] = { reference: await upload(file.name, new Blob([file.text])) };
      }
      for (const entry of form.getAll('uploads')) {
        if (!(entry instanceof File) || entry.name === '') continue;
        setPhase(`Uploading ${entry.name}…`);
        files[entry.name] = { reference: await upload(entry.name, entry) };
      }
      const console = text('console');
      const task = {
        image: text('image'),
        args,
        limits,
        requires: splitList(text('requires')),
        environment,
        files,
        collect: [],
        ...(console === '' ? {} : { stdout: console, stderr: console }),
      };
      const dependencies = splitList(text('dependencies'));
      const priority = text('priority');
      setPhase('Submitting…');
      const created = await apiJson<TaskView>('Submitting the task', '/tasks', {
        method: 'POST',
        json: {
          task,
          ...(priority === '' ? {} : { priority: Number(priority) }),
          ...(dependencies.length === 0 ? {} : { dependencies, after: text('after') }),
        },
      });
      location.route(`/ui/tasks/${created.key}`);
    } catch (caught) {
      setError(asApiError('Submitting the task', caught));
    } finally {
      setPhase(undefined);
    }
  };

  return (
    <section>
      <h1>Submit a task</h1>
      <form class="submit card" onSubmit={(event) => void submit(event)}>
        <fieldset>
          <legend>What to run</legend>
          <label>
            Image
            <input
              name="image"
              required
              list="images"
              placeholder="kolejka-test/busybox:latest"
              spellcheck={false}
            />
          </label>
          <datalist id="images">
            {images.map((image) => (
              <option key={image} value={image} />
            ))}
          </datalist>
          <label>
            Command
            <input
              name="command"
              placeholder="sh run.sh"
              spellcheck={false}
              aria-describedby="command-hint"
            />
          </label>
          <p id="command-hint" class="hint">
            Split into arguments like a shell does (quotes group); or run it with <code>sh -c</code>
            :
          </p>
          <label class="check">
            <input type="checkbox" name="shell" /> Run the command through <code>sh -c</code>
          </label>
          <label>
            Console output to
            <input
              name="console"
              value="console.txt"
              spellcheck={false}
              aria-describedby="console-hint"
            />
          </label>
          <p id="console-hint" class="hint">
            A result file that gets the task's stdout and stderr (empty: not kept).
          </p>
        </fieldset>

        <fieldset>
          <legend>Files</legend>
          {pasted.map((file, index) => (
            <div class="pasted" key={file.id}>
              <label>
                File name
                <input
                  value={file.name}
                  spellcheck={false}
                  onInput={(event) =>
                    setPasted(
                      pasted.map((item) =>
                        item.id === file.id ? { ...item, name: event.currentTarget.value } : item,
                      ),
                    )
                  }
                />
              </label>
              <label>
                Contents of file {index + 1}
                <textarea
                  rows={8}
                  spellcheck={false}
                  value={file.text}
                  onInput={(event) =>
                    setPasted(
                      pasted.map((item) =>
                        item.id === file.id ? { ...item, text: event.currentTarget.value } : item,
                      ),
                    )
                  }
                />
              </label>
              <button
                type="button"
                class="button button-plain"
                onClick={() => setPasted(pasted.filter((item) => item.id !== file.id))}
              >
                Remove file {index + 1}
              </button>
            </div>
          ))}
          <button
            type="button"
            class="button button-plain"
            onClick={() => setPasted([...pasted, { id: Date.now(), name: '', text: '' }])}
          >
            Add a pasted file
          </button>
          <label>
            Upload files
            <input type="file" name="uploads" multiple />
          </label>
        </fieldset>

        <fieldset>
          <legend>Limits (empty: the server's default)</legend>
          <div class="grid">
            {LIMIT_FIELDS.map((field) => (
              <label key={field.name}>
                {field.label}
                <input name={`limit-${field.name}`} placeholder={field.hint} spellcheck={false} />
              </label>
            ))}
          </div>
          <label class="check">
            <input type="checkbox" name="network" /> Network access
          </label>
        </fieldset>

        <fieldset>
          <legend>Scheduling</legend>
          <div class="grid">
            <label>
              Priority
              <input
                name="priority"
                type="number"
                min={-1000}
                max={1000}
                step={1}
                placeholder="0"
              />
            </label>
            <label>
              Foreman tags required
              <input name="requires" placeholder="e.g. gpu, cpu:amd" spellcheck={false} />
            </label>
          </div>
          <label>
            Run after these tasks (keys)
            <input
              name="dependencies"
              placeholder="task keys, separated by spaces or commas"
              spellcheck={false}
            />
          </label>
          <label>
            When they end
            <select name="after">
              <option value="finished">finished (any exit code)</option>
              <option value="succeeded">succeeded (finished with exit code 0)</option>
              <option value="any">in any way (also failed or cancelled)</option>
            </select>
          </label>
          <label>
            Environment (one NAME=value per line)
            <textarea name="environment" rows={3} spellcheck={false} />
          </label>
        </fieldset>

        <ErrorNote error={error} />
        <button type="submit" class="button button-primary" disabled={phase !== undefined}>
          {phase ?? 'Submit'}
        </button>
      </form>
    </section>
  );
}
