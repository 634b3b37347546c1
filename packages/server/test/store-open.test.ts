import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { openStore, parseStoreUrl } from '../src/store/open-store.js';
import { redactMongoUrl } from '../src/store/mongodb/mongo-db.js';
import { databaseNameOf } from '../src/store/mongodb/mongo-store.js';
import { expectKolejkaError } from './store-fixtures.js';

describe('parseStoreUrl', () => {
  const home = '/var/lib/kolejka';

  it('defaults to SQLite in the home directory', () => {
    expect(parseStoreUrl(undefined, home)).toEqual({
      engine: 'sqlite',
      path: '/var/lib/kolejka/kolejka.sqlite3',
    });
    expect(parseStoreUrl('', home)).toEqual(parseStoreUrl(undefined, home));
  });

  it('takes sqlite:PATH and plain paths', () => {
    expect(parseStoreUrl('sqlite:/data/k.db', home)).toEqual({
      engine: 'sqlite',
      path: '/data/k.db',
    });
    expect(parseStoreUrl('sqlite:///data/k.db', home)).toEqual({
      engine: 'sqlite',
      path: '/data/k.db',
    });
    expect(parseStoreUrl('sqlite::memory:', home)).toEqual({ engine: 'sqlite', path: ':memory:' });
    expect(parseStoreUrl('/data/k.db', home)).toEqual({ engine: 'sqlite', path: '/data/k.db' });
    expect(parseStoreUrl('rel/k.db', home)).toEqual({
      engine: 'sqlite',
      path: path.resolve('rel/k.db'),
    });
  });

  it('recognises MongoDB URLs', () => {
    const url = 'mongodb://u:p@a:27017,b:27017/kolejka?replicaSet=rs0';
    expect(parseStoreUrl(url, home)).toEqual({ engine: 'mongodb', url });
    expect(parseStoreUrl('mongodb+srv://cluster.example/x', home).engine).toBe('mongodb');
  });

  it('refuses other schemes without echoing credentials', () => {
    expect(() => parseStoreUrl('postgres://user:secret@db/kolejka', home)).toThrow(
      /Unsupported store URL/,
    );
    expect(() => parseStoreUrl('postgres://user:secret@db/kolejka', home)).not.toThrow(/secret/);
    expect(() => parseStoreUrl('sqlite:', home)).toThrow(/give a file/);
  });

  it('finds the MongoDB database name and hides passwords', () => {
    expect(databaseNameOf('mongodb://h/kolejka_prod?replicaSet=rs0')).toBe('kolejka_prod');
    expect(databaseNameOf('mongodb://h:1,g:2/?replicaSet=rs0')).toBeUndefined();
    expect(databaseNameOf('mongodb://h')).toBeUndefined();
    expect(redactMongoUrl('mongodb://u:p@h/db')).toBe('mongodb://***@h/db');
    expect(redactMongoUrl('mongodb://h/db')).toBe('mongodb://h/db');
  });
});

describe('openStore', () => {
  it('opens the default SQLite file under home, creating the directory', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'kolejka-home-'));
    try {
      const store = await openStore({ home: path.join(home, 'nested') });
      expect(store).toBeInstanceOf(SqliteStore);
      expect((store as SqliteStore).options.path).toBe(
        path.join(home, 'nested', 'kolejka.sqlite3'),
      );
      await store.close();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('fails clearly when MongoDB cannot be reached', async () => {
    await expectKolejkaError(
      openStore({
        home: '/nonexistent',
        url: 'mongodb://127.0.0.1:1/kolejka',
        connectTimeoutMs: 300,
      }),
      'KOLEJKA_UNAVAILABLE',
      /Could not connect to MongoDB at mongodb:\/\/127\.0\.0\.1:1\/kolejka/,
    );
  });
});
