import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PackedPackage {
  name: string;
  version: string;
  tarball: string;
  manifest: Record<string, unknown>;
}

/** Reads `package/package.json` out of a packed tarball (as the registry serves it). */
export async function describeTarball(tarball: string): Promise<PackedPackage> {
  const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json'], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const manifest = JSON.parse(stdout) as Record<string, unknown>;
  return { name: manifest.name as string, version: manifest.version as string, tarball, manifest };
}

export interface RegistryStub {
  url: string;
  /** Packuments and tarballs served, by path. */
  served: string[];
  close(): Promise<void>;
}

/** The registry npm is configured with on this machine (the stub sends everything else there). */
async function upstreamRegistry(): Promise<string> {
  const { stdout } = await run('npm', ['config', 'get', 'registry']);
  return stdout.trim().replace(/\/+$/, '');
}

/**
 * The smallest npm registry that lets `npm install` find packages nobody published: it
 * answers the packument and the tarball of each packed @kolejka/* package and redirects
 * every other request to the real registry (which npm can reach here).
 */
export async function startRegistryStub(packages: PackedPackage[]): Promise<RegistryStub> {
  const upstream = await upstreamRegistry();
  const byName = new Map<string, { packument: string; tarball: string; file: string }>();
  const served: string[] = [];
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://registry.invalid');
      const name = decodeURIComponent(url.pathname.slice(1));
      const entry = byName.get(name);
      if (entry !== undefined) {
        served.push(url.pathname);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(entry.packument);
        return;
      }
      const file = [...byName.values()].find(
        (one) => url.pathname === `/-/tarballs/${path.basename(one.file)}`,
      );
      if (file !== undefined) {
        served.push(url.pathname);
        const bytes = await readFile(file.file);
        response.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': bytes.length,
        });
        response.end(bytes);
        return;
      }
      response.writeHead(302, { location: `${upstream}${url.pathname}${url.search}` });
      response.end();
    })().catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const pkg of packages) {
    const bytes = await readFile(pkg.tarball);
    const version = {
      ...pkg.manifest,
      _id: `${pkg.name}@${pkg.version}`,
      dist: {
        tarball: `${base}/-/tarballs/${path.basename(pkg.tarball)}`,
        shasum: createHash('sha1').update(bytes).digest('hex'),
        integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
      },
    };
    byName.set(pkg.name, {
      file: pkg.tarball,
      tarball: version.dist.tarball,
      packument: JSON.stringify({
        _id: pkg.name,
        name: pkg.name,
        'dist-tags': { latest: pkg.version },
        versions: { [pkg.version]: version },
      }),
    });
  }
  return {
    url: base,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
