import { apiFetch } from '../api/http.js';

/**
 * Saves what an API path answers as a file. The token goes in a header, which a plain link
 * cannot send, so the answer is fetched and handed to the browser as an object URL.
 */
export async function download(action: string, path: string, filename: string): Promise<void> {
  const response = await apiFetch(action, path, { headers: { Accept: '*/*' } });
  const url = URL.createObjectURL(await response.blob());
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

export const PREVIEW_BYTES = 64 * 1024;

/** The start of a blob as text, and its whole size when the server says it is longer. */
export async function previewText(
  action: string,
  hash: string,
): Promise<{ text: string; totalBytes?: number; isBinary: boolean }> {
  const response = await apiFetch(action, `/blobs/${hash}`, {
    headers: { Accept: '*/*', Range: `bytes=0-${PREVIEW_BYTES - 1}` },
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const total = /\/(\d+)$/.exec(response.headers.get('Content-Range') ?? '')?.[1];
  const isBinary = bytes.subarray(0, 8000).includes(0);
  return {
    text: new TextDecoder('utf-8', { fatal: false }).decode(bytes),
    ...(total === undefined ? {} : { totalBytes: Number(total) }),
    isBinary,
  };
}
