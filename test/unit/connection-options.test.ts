import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { temporalConnectionOptions } from '../../src/client/connection-options';
import { loadSettings } from '../../src/config/load-config';
import { catchValidation } from '../helpers/validation-error';

// One mapping from settings to the options of both the client's Connection and the worker's
// NativeConnection: checked from the environment variables a user sets to what is connected with.
const home = mkdtempSync(join(tmpdir(), 'flow-conn-'));
after(() => rmSync(home, { recursive: true, force: true }));

const FILES: Record<string, string> = { '/tls/client.pem': 'CERT', '/tls/client.key': 'KEY', '/tls/ca.pem': 'CA' };
function fakeRead(path: string): Buffer {
  if (!(path in FILES)) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
  return Buffer.from(FILES[path]!);
}

function optionsFor(env: Record<string, string>) {
  const { temporal } = loadSettings({ env: { FLOW_HOME: home, TEMPORAL_ADDRESS: 'temporal.example:7233', ...env } });
  return temporalConnectionOptions({ ...temporal, address: temporal.address! }, fakeRead);
}

describe('temporalConnectionOptions', () => {
  test('plain address: no TLS, no API key', () => {
    assert.deepEqual(optionsFor({}), { address: 'temporal.example:7233' });
  });

  test('an API key implies TLS with the system roots', () => {
    assert.deepEqual(optionsFor({ TEMPORAL_API_KEY: 'secret-key' }), { address: 'temporal.example:7233', apiKey: 'secret-key', tls: true });
  });

  test('mTLS: client cert and key, CA and server name are all passed', () => {
    const options = optionsFor({
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/tls/client.pem',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/tls/client.key',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/tls/ca.pem',
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    assert.ok(options.tls && options.tls !== true);
    assert.equal(options.tls.clientCertPair?.crt.toString(), 'CERT');
    assert.equal(options.tls.clientCertPair?.key.toString(), 'KEY');
    assert.equal(options.tls.serverRootCACertificate?.toString(), 'CA');
    assert.equal(options.tls.serverNameOverride, 'temporal.internal');
  });

  test('a CA or server name alone turns TLS on (server-side TLS with a private CA)', () => {
    const options = optionsFor({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/tls/ca.pem' });
    assert.ok(options.tls && options.tls !== true);
    assert.equal(options.tls.serverRootCACertificate?.toString(), 'CA');
    assert.equal(options.tls.clientCertPair, undefined);
  });

  test('a certificate without its key names the missing variable', () => {
    const error = catchValidation(() => optionsFor({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/tls/client.pem' }));
    assert.match(error.message, /TEMPORAL_TLS_CLIENT_KEY_PATH is not set/);
    assert.equal(error.field, 'temporal.tlsKeyPath');
  });

  test('an unreadable file names its variable and path', () => {
    const error = catchValidation(() => optionsFor({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/tls/missing.pem' }));
    assert.match(error.message, /TEMPORAL_TLS_SERVER_CA_CERT_PATH names \/tls\/missing\.pem, which cannot be read \(ENOENT\)/);
  });

  test('TLS paths with TEMPORAL_TLS=false are a contradiction, not silently ignored', () => {
    const error = catchValidation(() => optionsFor({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/tls/ca.pem' }));
    assert.match(error.message, /TEMPORAL_TLS_SERVER_CA_CERT_PATH is set but TLS is off/);
  });

  test('config.yaml-style settings map the same way (no env involved)', () => {
    const options = temporalConnectionOptions({ address: 'a:1', namespace: 'n', tls: true, serverName: 'srv' }, fakeRead);
    assert.deepEqual(options, { address: 'a:1', tls: { serverNameOverride: 'srv' } });
  });
});
