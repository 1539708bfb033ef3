import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { explainSettings, loadSettings } from '../../src/config/load-config';
import { ValidationError } from '../../src/domain/errors';
import { createLogStore } from '../../src/logs/create-log-store';
import { LogStore } from '../../src/logs/log-store';
import { redactUrlPassword } from '../../src/logs/log-store-url';
import { PostgresLogStore } from '../../src/logs/postgres-log-store';

const home = mkdtempSync(join(tmpdir(), 'flow-logstore-config-'));
after(() => rmSync(home, { recursive: true, force: true }));
const URL_WITH_PASSWORD = 'postgres://flow:s3cret-pw@db.internal:5432/flow_logs';

describe('logs.store / FLOW_LOG_STORE', () => {
  test('unset: files in FLOW_HOME, as before', async () => {
    const store = createLogStore(loadSettings({ env: { FLOW_HOME: home } }));
    assert.ok(store instanceof LogStore);
    assert.equal(store.logsDir, join(home, 'logs'));
  });

  test('FLOW_LOG_STORE (or logs.store in config.yaml) selects PostgreSQL; the env wins', async () => {
    const fromEnv = createLogStore(loadSettings({ env: { FLOW_HOME: home, FLOW_LOG_STORE: URL_WITH_PASSWORD } }));
    assert.ok(fromEnv instanceof PostgresLogStore);
    assert.equal(fromEnv.displayUrl, 'postgres://flow:****@db.internal:5432/flow_logs');
    await fromEnv.close();
    const fileHome = mkdtempSync(join(tmpdir(), 'flow-logstore-yaml-'));
    try {
      writeFileSync(join(fileHome, 'config.yaml'), 'logs:\n  store: postgresql://flow@db/flow_logs\n');
      assert.equal(loadSettings({ env: { FLOW_HOME: fileHome } }).logs.store, 'postgresql://flow@db/flow_logs');
      assert.equal(loadSettings({ env: { FLOW_HOME: fileHome, FLOW_LOG_STORE: URL_WITH_PASSWORD } }).logs.store, URL_WITH_PASSWORD);
    } finally {
      rmSync(fileHome, { recursive: true, force: true });
    }
  });

  test('a URL that is not postgres:// is a ValidationError naming FLOW_LOG_STORE, without the URL\'s password', () => {
    const error = (() => {
      try {
        loadSettings({ env: { FLOW_HOME: home, FLOW_LOG_STORE: 's3://key:s3cret-pw@bucket/logs' } });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.ok(error instanceof ValidationError, String(error));
    assert.equal(error.field, 'logs.store');
    assert.match(error.message, /FLOW_LOG_STORE/);
    assert.ok(!`${error.message} ${error.suggestions.join(' ')}`.includes('s3cret-pw'));
  });

  test('flow config shows the URL with its password masked', () => {
    const entry = explainSettings({ env: { FLOW_HOME: home, FLOW_LOG_STORE: URL_WITH_PASSWORD } }).find((setting) => setting.key === 'logs.store');
    assert.deepEqual(entry, { key: 'logs.store', value: 'postgres://flow:****@db.internal:5432/flow_logs', source: 'env:FLOW_LOG_STORE', secret: false });
  });

  test('redactUrlPassword hides a password in the userinfo or the query, and all of a URL it cannot parse', () => {
    assert.equal(redactUrlPassword('postgres://u@h/db'), 'postgres://u@h/db');
    assert.equal(redactUrlPassword('postgres://u@h/db?password=s3cret-pw&sslmode=require'), 'postgres://u@h/db?password=****&sslmode=require');
    assert.equal(redactUrlPassword('postgres://u:s3cret-pw@[bad'), 'postgres://****');
  });
});
