import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { databaseNotice, describePostgresUrl } from './database-notice.js';

describe(databaseNotice.name, () => {
  it('names a PostgreSQL server by host, port, database and user, never the password', () => {
    assert.equal(describePostgresUrl('postgres://mft:hunter2-secret@db.internal:6432/gateway?sslmode=require'), 'db.internal:6432/gateway as mft');
    assert.equal(describePostgresUrl('postgres://127.0.0.1/test'), '127.0.0.1:5432/test');
    assert.deepEqual(databaseNotice({ url: 'postgres://mft:hunter2-secret@db.internal/gateway', dataDir: '/srv/data' }), [
      'Using PostgreSQL at db.internal:5432/gateway as mft (DATABASE_URL).',
    ]);
    assert.doesNotMatch(describePostgresUrl('not a url with password=hunter2'), /hunter2/);
  });

  it('warns when the embedded database is new, and only then', () => {
    const created = databaseNotice({ url: null, dataDir: '/srv/data' }, { created: true });
    assert.equal(created[0], 'Using the embedded database in /srv/data/db (DATA_DIR=/srv/data).');
    assert.ok(created.slice(1).every((l) => l.startsWith('WARNING: ')));
    assert.equal(created.length, 4);
    assert.deepEqual(databaseNotice({ url: null, dataDir: '/srv/data' }), ['Using the embedded database in /srv/data/db (DATA_DIR=/srv/data).']);
  });
});
