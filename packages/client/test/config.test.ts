import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveToken } from '../src/config/client-json.js';
import {
  DEFAULT_SERVER,
  clientOptionsFromConfig,
  resolveClientConfig,
  type ConfigFlags,
} from '../src/config/resolve-config.js';
import { readClientEnv } from '../src/options.js';
import { removeTempDirs, tempDir } from './support/fixtures.js';

afterAll(removeTempDirs);

/** A home of its own: ~/.config, /etc and /etc/xdg all under one temporary directory. */
async function sandbox(
  files: { userConf?: string; etcConf?: string; xdgConf?: string; json?: unknown } = {},
) {
  const root = await tempDir();
  const env = { HOME: path.join(root, 'home'), XDG_CONFIG_DIRS: path.join(root, 'xdg') };
  const write = async (file: string, text: string) => {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  };
  if (files.userConf !== undefined)
    await write(path.join(root, 'home/.config/kolejka/kolejka.conf'), files.userConf);
  if (files.etcConf !== undefined)
    await write(path.join(root, 'etc/kolejka/kolejka.conf'), files.etcConf);
  if (files.xdgConf !== undefined)
    await write(path.join(root, 'xdg/kolejka/kolejka.conf'), files.xdgConf);
  if (files.json !== undefined) {
    await write(path.join(root, 'home/.config/kolejka/client.json'), JSON.stringify(files.json));
  }
  const resolve = (extraEnv: Record<string, string> = {}, flags: ConfigFlags = {}) =>
    resolveClientConfig({
      env: readClientEnv({ ...env, ...extraEnv }),
      flags,
      etcDir: path.join(root, 'etc'),
    });
  return { root, env, resolve };
}

const ORIGINAL = `[default]
config = dev
memory = 1G

[dev]
server = kolejka.example/kolejka
username = alice
password = secret
time = 10s
network = no
`;

describe('configuration layers', () => {
  it('uses the default server when nothing is configured', async () => {
    const { resolve } = await sandbox();
    const config = await resolve();
    expect(config.server).toEqual({ value: [DEFAULT_SERVER], source: 'default' });
    expect(config.token).toBeUndefined();
    expect(config.files.kolejkaConf).toBeUndefined();
  });

  it("reads the original's kolejka.conf: [default] config= picks the section, [default] is the fallback", async () => {
    const { root, resolve } = await sandbox({ userConf: ORIGINAL });
    const config = await resolve();
    const file = path.join(root, 'home/.config/kolejka/kolejka.conf');
    expect(config.server).toEqual({
      value: ['https://kolejka.example/kolejka'],
      source: `${file} [dev] server`,
    });
    expect(config.username?.value).toBe('alice');
    expect(config.password?.value).toBe('secret');
    expect(config.limits).toEqual({
      memory: { value: 1073741824, source: `${file} [default] memory` },
      time: { value: 10, source: `${file} [dev] time` },
      network: { value: false, source: `${file} [dev] network` },
    });
    expect(config.files).toMatchObject({ kolejkaConf: file, section: 'dev' });
    // No token: the client logs in with the user name and password.
    expect(clientOptionsFromConfig(config)).toMatchObject({
      username: 'alice',
      password: 'secret',
    });
  });

  it('searches ~/.config, then /etc/kolejka, then the XDG system dirs', async () => {
    const etcOnly = await sandbox({
      etcConf: '[client]\nserver = http://etc:1\n',
      xdgConf: '[client]\nserver = http://xdg:1\n',
    });
    expect((await etcOnly.resolve()).server.value).toEqual(['http://etc:1']);
    const xdgOnly = await sandbox({ xdgConf: '[client]\nserver = http://xdg:1\n' });
    expect((await xdgOnly.resolve()).server.value).toEqual(['http://xdg:1']);
    const both = await sandbox({
      userConf: '[client]\nserver = http://user:1\n',
      etcConf: '[client]\nserver = http://etc:1\n',
    });
    expect((await both.resolve()).server.value).toEqual(['http://user:1']);
  });

  it('honours --config-file and --config NAME', async () => {
    const { root, resolve } = await sandbox({ userConf: ORIGINAL });
    const other = path.join(root, 'other.conf');
    await writeFile(other, '[client]\nserver = http://other:1\n[prod]\nserver = http://prod:1\n');
    expect((await resolve({}, { configFile: other })).server.value).toEqual(['http://other:1']);
    expect((await resolve({}, { configFile: other, config: 'prod' })).server.value).toEqual([
      'http://prod:1',
    ]);
    await expect(resolve({}, { configFile: path.join(root, 'missing.conf') })).rejects.toThrow(
      /does not exist/,
    );
  });

  it('layers client.json over kolejka.conf, the environment over both, flags over everything', async () => {
    const { root, resolve } = await sandbox({
      userConf: ORIGINAL,
      json: { server: 'http://json:1', token: 'json-token', limits: { memory: '2G', pids: 32 } },
    });
    const json = path.join(root, 'home/.config/kolejka/client.json');
    const fromJson = await resolve();
    expect(fromJson.server).toEqual({ value: ['http://json:1'], source: `${json} server` });
    expect(fromJson.token).toEqual({ value: 'json-token', source: `${json} token` });
    expect(fromJson.limits.memory).toEqual({ value: 2147483648, source: `${json} limits.memory` });
    expect(fromJson.limits.time?.value).toBe(10);
    expect(clientOptionsFromConfig(fromJson)).not.toHaveProperty('password');

    const fromEnv = await resolve({
      KOLEJKA_SERVER: 'http://env:1,http://env:2',
      KOLEJKA_TOKEN: 'env-token',
    });
    expect(fromEnv.server).toEqual({
      value: ['http://env:1', 'http://env:2'],
      source: 'env KOLEJKA_SERVER',
    });
    expect(fromEnv.token).toEqual({ value: 'env-token', source: 'env KOLEJKA_TOKEN' });

    const fromFlags = await resolve(
      { KOLEJKA_SERVER: 'http://env:1', KOLEJKA_TOKEN: 'env-token' },
      { server: 'http://flag:1', token: 'flag-token', limits: { memory: 1024 } },
    );
    expect(fromFlags.server).toEqual({ value: ['http://flag:1'], source: 'flag --server' });
    expect(fromFlags.token).toEqual({ value: 'flag-token', source: 'flag --token' });
    expect(fromFlags.limits.memory).toEqual({ value: 1024, source: 'flag --memory' });
  });

  it('uses the token stored for the configured server', async () => {
    const { resolve } = await sandbox({
      json: { token: 'any', tokens: { 'http://a:1': 'for-a', 'http://b:1': 'for-b' } },
    });
    expect((await resolve({ KOLEJKA_SERVER: 'http://b:1' })).token?.value).toBe('for-b');
    expect((await resolve({ KOLEJKA_SERVER: 'http://c:1' })).token?.value).toBe('any');
  });

  it('names the file and the key of a bad setting', async () => {
    const badConf = await sandbox({ userConf: '[client]\nmemory = 64Mi\n' });
    await expect(badConf.resolve()).rejects.toThrow(/kolejka\.conf \[client\] memory: .*"64Mi"/);
    const badJson = await sandbox({
      json: { server: 'http://a:1', colour: 'blue', limits: { time: 'soon' } },
    });
    await expect(badJson.resolve()).rejects.toThrow(
      /client\.json.*colour is not a setting.*limits\.time/s,
    );
    const badServer = await sandbox();
    await expect(badServer.resolve({ KOLEJKA_SERVER: 'ftp://x' })).rejects.toThrow(
      /^env KOLEJKA_SERVER: "ftp:\/\/x" is not an http/,
    );
  });
});

describe('saveToken', () => {
  it('writes client.json readable by its owner only, keeping other settings', async () => {
    const { root, resolve } = await sandbox({ json: { limits: { memory: '1G' } } });
    const file = path.join(root, 'home/.config/kolejka/client.json');
    await saveToken(file, ['http://a:1', 'http://b:1'], 'kolejka_secret');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      limits: { memory: '1G' },
      tokens: { 'http://a:1': 'kolejka_secret', 'http://b:1': 'kolejka_secret' },
      server: ['http://a:1', 'http://b:1'],
    });
    const config = await resolve();
    expect(config.token?.value).toBe('kolejka_secret');
  });
});
