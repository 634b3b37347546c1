import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLimitsOption, resolveServerOptions } from '../src/options.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-server-options-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveServerOptions', () => {
  it('has defaults', async () => {
    const options = await resolveServerOptions({}, {});
    expect(options).toMatchObject({
      host: '127.0.0.1',
      port: 8000,
      home: path.resolve('.kolejka'),
      logLevel: 'info',
      shutdownTimeoutMs: 10_000,
      settings: {},
    });
  });

  it('layers defaults < config file < environment < flags', async () => {
    const config = path.join(dir, 'layers.json');
    await writeFile(
      config,
      JSON.stringify({
        host: '0.0.0.0',
        port: 1000,
        home: '/from/file',
        lease: '30s',
        maxLimits: { memory: '1G' },
        imagePatterns: ['from-file/.*'],
        callbackHosts: ['hooks.example'],
      }),
    );
    const options = await resolveServerOptions(
      { config, port: 3000 },
      {
        KOLEJKA_PORT: '2000',
        KOLEJKA_HOME: '/from/env',
        KOLEJKA_MAX_LIMITS: 'memory=2G,time=10M',
        KOLEJKA_IMAGE_PATTERNS: '["a,b", "c"]',
        KOLEJKA_COMPAT_LEASE: '2H',
        KOLEJKA_TRUST_PROXY: 'yes',
        KOLEJKA_LOG_LEVEL: 'DEBUG',
      },
    );
    expect(options.host).toBe('0.0.0.0');
    expect(options.port).toBe(3000);
    expect(options.home).toBe('/from/env');
    expect(options.logLevel).toBe('debug');
    expect(options.settings).toEqual({
      maxLimits: { memory: '2G', time: '10M' },
      imagePatterns: ['a,b', 'c'],
      callbackHosts: ['hooks.example'],
      leaseMs: 30_000,
      compatLeaseMs: 7_200_000,
      trustProxy: true,
    });
  });

  it('resolves the HTTP limits, login rate, metrics access, loopback callbacks and SQLite sync', async () => {
    const config = path.join(dir, 'exposure.json');
    await writeFile(
      config,
      JSON.stringify({ metricsAddresses: ['10.0.0.9'], maxConnectionsPerAddress: 64 }),
    );
    const options = await resolveServerOptions(
      { config, bodyTimeout: '5s', callbackLoopback: true },
      {
        KOLEJKA_HEADERS_TIMEOUT: '10s',
        KOLEJKA_REQUEST_TIMEOUT: '0',
        KOLEJKA_LOGIN_ATTEMPTS_PER_MINUTE: '6',
        KOLEJKA_METRICS_TOKEN: 'scrape',
        KOLEJKA_SQLITE_SYNCHRONOUS: 'NORMAL',
      },
    );
    expect(options.http).toEqual({
      headersTimeoutMs: 10_000,
      bodyTimeoutMs: 5000,
      requestTimeoutMs: 0,
      maxConnectionsPerAddress: 64,
    });
    expect(options.sqliteSynchronous).toBe('normal');
    expect(options.settings).toEqual({
      loginAttemptsPerMinute: 6,
      metricsToken: 'scrape',
      metricsAddresses: ['10.0.0.9'],
      callbackLoopback: true,
    });
    await expect(resolveServerOptions({ sqliteSynchronous: 'off' }, {})).rejects.toThrow(
      /sqliteSynchronous must be full or normal/,
    );
  });

  it('turns the dashboard off with --no-ui or KOLEJKA_UI=0, a flag over the environment', async () => {
    expect((await resolveServerOptions({}, {})).settings.ui).toBeUndefined();
    expect((await resolveServerOptions({}, { KOLEJKA_UI: '0' })).settings).toEqual({ ui: false });
    expect((await resolveServerOptions({ ui: false }, {})).settings).toEqual({ ui: false });
    expect((await resolveServerOptions({ ui: true }, { KOLEJKA_UI: '0' })).settings).toEqual({
      ui: true,
    });
  });

  it('reads the schedule catch-up window from a flag or KOLEJKA_SCHEDULE_CATCH_UP', async () => {
    expect((await resolveServerOptions({}, { KOLEJKA_SCHEDULE_CATCH_UP: '10M' })).settings).toEqual(
      { scheduleCatchUpMs: 600_000 },
    );
    expect(
      (await resolveServerOptions({ scheduleCatchUp: '0' }, { KOLEJKA_SCHEDULE_CATCH_UP: '10M' }))
        .settings,
    ).toEqual({ scheduleCatchUpMs: 0 });
  });

  it('takes the config file from KOLEJKA_CONFIG', async () => {
    const config = path.join(dir, 'env.json');
    await writeFile(config, JSON.stringify({ maxJsonSize: '1M', maxBlobSize: 100 }));
    const options = await resolveServerOptions({}, { KOLEJKA_CONFIG: config });
    expect(options.settings).toEqual({ maxJsonBytes: 1_048_576, maxBlobBytes: 100 });
  });

  it('names what is wrong', async () => {
    const config = path.join(dir, 'bad.json');
    await writeFile(config, JSON.stringify({ port: 'eighty', colour: 'blue', imagePatterns: 'x' }));
    await expect(resolveServerOptions({ config }, {})).rejects.toThrow(
      /port must be a number.*colour is not a setting.*imagePatterns must be a list of strings/,
    );
    await writeFile(config, '{ not json');
    await expect(resolveServerOptions({ config }, {})).rejects.toThrow(/is not JSON/);
    await expect(
      resolveServerOptions({ config: path.join(dir, 'missing.json') }, {}),
    ).rejects.toThrow(/Cannot read the config file/);
    await expect(resolveServerOptions({ port: 70_000 }, {})).rejects.toThrow(
      /port must be 0..65535/,
    );
    await expect(resolveServerOptions({ lease: '5 minutes' }, {})).rejects.toThrow(/lease:/);
    await expect(resolveServerOptions({}, { KOLEJKA_LOG_LEVEL: 'loud' })).rejects.toThrow(
      /log level/,
    );
  });
});

describe('parseLimitsOption', () => {
  it('reads name=value lists and JSON', () => {
    expect(parseLimitsOption('memory=1G, time=10s', 'x')).toEqual({ memory: '1G', time: '10s' });
    expect(parseLimitsOption('{"cpus": 2}', 'x')).toEqual({ cpus: 2 });
    expect(parseLimitsOption('', 'x')).toEqual({});
    expect(() => parseLimitsOption('memory', 'maxLimits')).toThrow(
      /maxLimits: "memory" is not name=value/,
    );
  });
});
