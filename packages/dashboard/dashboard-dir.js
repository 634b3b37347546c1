import { fileURLToPath } from 'node:url';

/** Where the built dashboard is (index.html and assets/): the server serves it at /ui/. */
export const dashboardDir = fileURLToPath(new URL('./dist/', import.meta.url));
