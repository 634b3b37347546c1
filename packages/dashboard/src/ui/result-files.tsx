import { useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/api-error.js';
import type { Files } from '../api/types.js';
import { download, previewText, PREVIEW_BYTES } from './downloads.js';
import { ActionButton } from './action-button.js';
import { ErrorNote } from './error-note.js';
import { formatBytes } from './format.js';

interface Preview {
  name: string;
  text: string;
  totalBytes?: number;
  isBinary: boolean;
}

/** The result's files: view text inline (stdout, stderr, a judge's log), download one or all. */
export function ResultFiles({ taskKey, files }: { taskKey: string; files: Files }) {
  const [preview, setPreview] = useState<Preview | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const names = Object.keys(files).sort();
  const view = async (name: string, hash: string) => {
    setError(undefined);
    try {
      setPreview({ name, ...(await previewText(`Opening ${name}`, hash)) });
    } catch (caught) {
      setError(asApiError(`Opening ${name}`, caught));
    }
  };
  const baseName = (name: string) => name.split('/').pop() ?? name;
  return (
    <>
      <h3>Files</h3>
      {names.length === 0 ? (
        <p class="hint">The result has no files.</p>
      ) : (
        <ul class="files">
          {names.map((name) => {
            const hash = files[name]?.reference;
            return (
              <li key={name}>
                <code>{name}</code>
                {hash === undefined ? null : (
                  <>
                    <button
                      type="button"
                      class="button button-plain"
                      aria-label={`View ${name}`}
                      onClick={() => void view(name, hash)}
                    >
                      View
                    </button>
                    <ActionButton
                      action={`Downloading ${name}`}
                      label={`Download ${name}`}
                      run={() => download(`Downloading ${name}`, `/blobs/${hash}`, baseName(name))}
                    >
                      Download
                    </ActionButton>
                  </>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <ActionButton
        action="Downloading the result archive"
        run={() =>
          download(
            'Downloading the result archive',
            `/tasks/${taskKey}/result/archive`,
            `${taskKey}-result.tar.gz`,
          )
        }
      >
        Download all (.tar.gz)
      </ActionButton>
      <ErrorNote error={error} />
      {preview === undefined ? null : (
        <figure class="preview">
          <figcaption>
            {preview.name}
            {preview.totalBytes !== undefined && preview.totalBytes > PREVIEW_BYTES
              ? ` (first ${formatBytes(PREVIEW_BYTES)} of ${formatBytes(preview.totalBytes)})`
              : ''}
            <button type="button" class="button button-plain" onClick={() => setPreview(undefined)}>
              Close
            </button>
          </figcaption>
          {preview.isBinary ? (
            <p class="hint">This file is not text: download it to look inside.</p>
          ) : (
            <pre tabIndex={0} aria-label={`Contents of ${preview.name}`}>
              {preview.text}
            </pre>
          )}
        </figure>
      )}
    </>
  );
}
