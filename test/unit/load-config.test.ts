import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { explainSettings, loadSettings, maskSecret, taskProviderSettings } from '../../src/config/load-config';
import { catchValidation } from '../helpers/validation-error';

const homes: string[] = [];
/** A fresh FLOW_HOME, optionally with a config.yaml holding `yaml`. */
function flowHome(yaml?: string): string {
  const home = mkdtempSync(join(tmpdir(), 'flow-home-'));
  homes.push(home);
  if (yaml !== undefined) writeFileSync(join(home, 'config.yaml'), yaml);
  return home;
}
after(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

const CONFIG_YAML = `
provider: ssh
temporalBin: /opt/temporal/bin/temporal
temporal:
  address: file.example:7233
  namespace: from-file
`;

describe('loadSettings precedence: overrides > env > config.yaml > defaults', () => {
  test('defaults apply when there is no config.yaml and no env', () => {
    const home = flowHome();
    const settings = loadSettings({ env: { FLOW_HOME: home } });
    // deepEqual also checks that no key is present with an undefined value.
    assert.deepEqual(settings, {
      provider: 'local',
      temporal: { namespace: 'default', tls: false },
      local: { pricePerHour: 0, encryptVolumes: false, imagePullPolicy: 'missing', noImage: false },
      mithril: { apiUrl: 'https://api.mithril.ai', sshKeys: [] },
      ssh: { hosts: [] },
      logs: {},
      home,
    });
  });

  test('an empty config.yaml is the same as none', () => {
    const home = flowHome('');
    assert.equal(loadSettings({ env: { FLOW_HOME: home } }).provider, 'local');
  });

  test('config.yaml overrides the defaults', () => {
    const home = flowHome(CONFIG_YAML);
    const settings = loadSettings({ env: { FLOW_HOME: home } });
    assert.equal(settings.home, home);
    assert.equal(settings.provider, 'ssh');
    assert.equal(settings.temporalBin, '/opt/temporal/bin/temporal');
    assert.equal(settings.temporal.address, 'file.example:7233');
    assert.equal(settings.temporal.namespace, 'from-file');
    assert.equal(settings.temporal.tls, false);
  });

  test('environment variables override config.yaml, field by field', () => {
    const home = flowHome(CONFIG_YAML);
    const settings = loadSettings({
      env: { FLOW_HOME: home, FLOW_PROVIDER: 'mithril', TEMPORAL_NAMESPACE: 'from-env', TEMPORAL_ADDRESS: '' },
    });
    assert.equal(settings.provider, 'mithril');
    assert.equal(settings.temporal.namespace, 'from-env');
    // Unset (or empty) variables leave the file's values alone.
    assert.equal(settings.temporal.address, 'file.example:7233');
    assert.equal(settings.temporalBin, '/opt/temporal/bin/temporal');
  });

  test('explicit overrides beat environment variables and config.yaml', () => {
    const home = flowHome(CONFIG_YAML);
    const settings = loadSettings({
      env: { FLOW_HOME: home, FLOW_PROVIDER: 'mithril', TEMPORAL_NAMESPACE: 'from-env' },
      overrides: { provider: 'local', temporal: { namespace: 'from-override' } },
    });
    assert.equal(settings.provider, 'local');
    assert.equal(settings.temporal.namespace, 'from-override');
    assert.equal(settings.temporal.address, 'file.example:7233');
  });

  test('FLOW_HOME decides which config.yaml is read', () => {
    const withFile = flowHome('provider: ssh\n');
    const without = flowHome();
    assert.equal(loadSettings({ env: { FLOW_HOME: withFile } }).provider, 'ssh');
    assert.equal(loadSettings({ env: { FLOW_HOME: without } }).provider, 'local');
  });
});

describe('loadSettings TLS', () => {
  test('an API key or client cert turns TLS on unless TEMPORAL_TLS says otherwise', () => {
    const home = flowHome();
    assert.equal(loadSettings({ env: { FLOW_HOME: home, TEMPORAL_API_KEY: 'k' } }).temporal.tls, true);
    assert.equal(loadSettings({ env: { FLOW_HOME: home, TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' } }).temporal.tls, true);
    assert.equal(loadSettings({ env: { FLOW_HOME: home, TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' } }).temporal.tls, false);
    // An empty TEMPORAL_TLS counts as unset, like every other empty variable.
    assert.equal(loadSettings({ env: { FLOW_HOME: home, TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: '' } }).temporal.tls, true);
    assert.equal(loadSettings({ env: { FLOW_HOME: home } }).temporal.tls, false);
  });

  test('TEMPORAL_TLS accepts true/1 in any case', () => {
    const home = flowHome();
    for (const value of ['true', 'TRUE', 'True', '1']) {
      assert.equal(loadSettings({ env: { FLOW_HOME: home, TEMPORAL_TLS: value } }).temporal.tls, true, value);
    }
    for (const value of ['false', '0', 'no']) {
      assert.equal(loadSettings({ env: { FLOW_HOME: home, TEMPORAL_TLS: value } }).temporal.tls, false, value);
    }
  });
});

describe('loadSettings errors', () => {
  test('an invalid provider in config.yaml names the field', () => {
    const home = flowHome('provider: aws\n');
    const error = catchValidation(() => loadSettings({ env: { FLOW_HOME: home } }));
    assert.equal(error.field, 'provider');
    assert.match(error.message, /provider/);
    assert.doesNotMatch(error.message, /task config/);
  });

  test('an invalid FLOW_PROVIDER names the field too', () => {
    const home = flowHome();
    assert.equal(catchValidation(() => loadSettings({ env: { FLOW_HOME: home, FLOW_PROVIDER: 'aws' } })).field, 'provider');
  });

  test('a misspelled key in config.yaml is rejected with a suggestion', () => {
    const home = flowHome('provder: ssh\n');
    const error = catchValidation(() => loadSettings({ env: { FLOW_HOME: home } }));
    assert.equal(error.field, 'provder');
    assert.ok(error.suggestions.some((s) => s.includes("'provider'")), JSON.stringify(error.suggestions));
  });

  test('a config.yaml that is not a mapping is a ValidationError', () => {
    for (const yaml of ['- local\n- ssh\n', 'just a string\n', '42\n']) {
      const home = flowHome(yaml);
      const error = catchValidation(() => loadSettings({ env: { FLOW_HOME: home } }));
      assert.match(error.message, /config\.yaml/, yaml);
    }
  });

  test('a config.yaml that is not valid YAML is a ValidationError naming the file', () => {
    const home = flowHome('provider: [unclosed\n');
    const error = catchValidation(() => loadSettings({ env: { FLOW_HOME: home } }));
    assert.match(error.message, /config\.yaml/);
  });
});

describe('FLOW_ENCRYPTION_KEY_FILE (a container secret)', () => {
  const KEY = Buffer.alloc(32, 7).toString('base64');
  test('the key is read from the file, trimmed; FLOW_ENCRYPTION_KEY wins over it', () => {
    const home = flowHome();
    const file = join(home, 'key');
    writeFileSync(file, `${KEY}\n`);
    const explained = explainSettings({ env: { FLOW_HOME: home, FLOW_ENCRYPTION_KEY_FILE: file } }).find((entry) => entry.key === 'encryptionKey');
    assert.equal(loadSettings({ env: { FLOW_HOME: home, FLOW_ENCRYPTION_KEY_FILE: file } }).encryptionKey, KEY);
    assert.equal(explained?.source, 'env:FLOW_ENCRYPTION_KEY_FILE');
    const other = Buffer.alloc(32, 9).toString('base64');
    assert.equal(loadSettings({ env: { FLOW_HOME: home, FLOW_ENCRYPTION_KEY: other, FLOW_ENCRYPTION_KEY_FILE: file } }).encryptionKey, other);
  });

  test('an unreadable file names the variable and path', () => {
    const home = flowHome();
    const missing = join(home, 'no-such-key');
    const error = catchValidation(() => loadSettings({ env: { FLOW_HOME: home, FLOW_ENCRYPTION_KEY_FILE: missing } }));
    assert.match(error.message, /FLOW_ENCRYPTION_KEY_FILE names .*no-such-key, which cannot be read \(ENOENT\)/);
  });
});

describe('Mithril settings at each level', () => {
  const PYTHON_CONFIG = `
provider: mithril
api_key: mk_file_key_0123456789
mode: production
mithril:
  project: proj-from-file
  region: us-central1-b
  api_url: https://api.staging.mithril.ai
  ssh_keys: [sshkey_a, YOUR_SSH_KEY]
  limit_prices: {gpu: {low: 1}}
`;

  test("config.yaml in the Python SDK's shape is read (top-level api_key, snake_case, YOUR_ placeholders unset)", () => {
    const home = flowHome(PYTHON_CONFIG);
    const settings = loadSettings({ env: { FLOW_HOME: home } });
    assert.equal(settings.provider, 'mithril');
    assert.deepEqual(settings.mithril, {
      apiKey: 'mk_file_key_0123456789',
      project: 'proj-from-file',
      region: 'us-central1-b',
      apiUrl: 'https://api.staging.mithril.ai',
      sshKeys: ['sshkey_a'],
    });
  });

  test('MITHRIL_* variables override config.yaml; MITHRIL_SSH_KEYS is a comma list', () => {
    const home = flowHome(PYTHON_CONFIG);
    const settings = loadSettings({
      env: { FLOW_HOME: home, MITHRIL_PROJECT: 'proj-env', MITHRIL_REGION: 'eu-1', MITHRIL_SSH_KEYS: 'k1, k2,' },
    });
    assert.equal(settings.mithril.project, 'proj-env');
    assert.equal(settings.mithril.region, 'eu-1');
    assert.deepEqual(settings.mithril.sshKeys, ['k1', 'k2']);
    assert.equal(settings.mithril.apiKey, 'mk_file_key_0123456789');
  });

  test('MITHRIL_API_KEY alone selects the mithril provider; FLOW_PROVIDER still wins', () => {
    const home = flowHome();
    assert.equal(loadSettings({ env: { FLOW_HOME: home, MITHRIL_API_KEY: 'mk_env' } }).provider, 'mithril');
    assert.equal(loadSettings({ env: { FLOW_HOME: home, MITHRIL_API_KEY: 'mk_env', FLOW_PROVIDER: 'local' } }).provider, 'local');
  });

  test('arguments beat MITHRIL_* variables', () => {
    const home = flowHome();
    const settings = loadSettings({ env: { FLOW_HOME: home, MITHRIL_REGION: 'eu-1' }, overrides: { mithril: { region: 'us-east-1' } } });
    assert.equal(settings.mithril.region, 'us-east-1');
  });

  test('a bad MITHRIL_API_URL names the field and says which variable set it', () => {
    const home = flowHome();
    const error = catchValidation(() => loadSettings({ env: { FLOW_HOME: home, MITHRIL_API_URL: 'not a url' } }));
    assert.equal(error.field, 'mithril.apiUrl');
    assert.ok(error.suggestions.some((s) => s.includes('MITHRIL_API_URL')), JSON.stringify(error.suggestions));
  });
});

describe('local provider settings that travel with a task', () => {
  test('the local price comes from config.yaml (snake_case) and FLOW_LOCAL_PRICE_PER_HOUR wins over it', () => {
    const home = flowHome('local:\n  price_per_hour: 2.5\n');
    assert.deepEqual(taskProviderSettings(loadSettings({ env: { FLOW_HOME: home } })), { localPricePerHour: 2.5 });
    assert.deepEqual(taskProviderSettings(loadSettings({ env: { FLOW_HOME: home, FLOW_LOCAL_PRICE_PER_HOUR: '5' } })), { localPricePerHour: 5 });
    assert.deepEqual(taskProviderSettings(loadSettings({ env: { FLOW_HOME: flowHome() } })), {}, 'free by default: nothing to carry');
  });

  test('encrypted volumes by default: config.yaml local.encrypt_volumes, and FLOW_ENCRYPT_VOLUMES wins over it', () => {
    assert.equal(loadSettings({ env: { FLOW_HOME: flowHome() } }).local.encryptVolumes, false);
    const home = flowHome('local:\n  encrypt_volumes: true\n');
    assert.equal(loadSettings({ env: { FLOW_HOME: home } }).local.encryptVolumes, true);
    assert.equal(loadSettings({ env: { FLOW_HOME: home, FLOW_ENCRYPT_VOLUMES: '0' } }).local.encryptVolumes, false);
    assert.equal(loadSettings({ env: { FLOW_HOME: flowHome(), FLOW_ENCRYPT_VOLUMES: '1' } }).local.encryptVolumes, true);
  });

  test('a price that is not a number names the field and its source', () => {
    const error = catchValidation(() => loadSettings({ env: { FLOW_HOME: flowHome(), FLOW_LOCAL_PRICE_PER_HOUR: 'cheap' } }));
    assert.equal(error.field, 'local.pricePerHour');
    assert.ok(error.suggestions.some((s) => s.includes('FLOW_LOCAL_PRICE_PER_HOUR')), error.suggestions.join('; '));
  });
});

describe('explainSettings', () => {
  test('each value names its source, and API keys are masked', () => {
    const home = flowHome('provider: ssh\nmithril:\n  project: p1\n');
    const secret = 'mk_live_abcdefghijklmnop';
    const entries = explainSettings({
      env: { FLOW_HOME: home, TEMPORAL_API_KEY: secret, TEMPORAL_NAMESPACE: 'ns-env' },
      overrides: { temporal: { address: 'host:7233' } },
    });
    const byKey = Object.fromEntries(entries.map((entry) => [entry.key, entry]));
    assert.deepEqual([byKey.home?.value, byKey.home?.source], [home, 'env:FLOW_HOME']);
    assert.deepEqual([byKey.provider?.value, byKey.provider?.source], ['ssh', 'config.yaml']);
    assert.deepEqual([byKey['mithril.project']?.value, byKey['mithril.project']?.source], ['p1', 'config.yaml']);
    assert.deepEqual([byKey['temporal.namespace']?.value, byKey['temporal.namespace']?.source], ['ns-env', 'env:TEMPORAL_NAMESPACE']);
    assert.deepEqual([byKey['temporal.address']?.value, byKey['temporal.address']?.source], ['host:7233', 'argument']);
    assert.deepEqual([byKey['mithril.apiUrl']?.source], ['default']);
    assert.equal(byKey['temporal.apiKey']?.source, 'env:TEMPORAL_API_KEY');
    assert.equal(byKey['temporal.apiKey']?.value, maskSecret(secret));
    assert.deepEqual([byKey['temporal.tls']?.value, byKey['temporal.tls']?.source], [true, 'env:TEMPORAL_API_KEY']);
    assert.ok(!JSON.stringify(entries).includes(secret));
  });

  test('maskSecret keeps only a short prefix and suffix of long keys', () => {
    assert.equal(maskSecret('mk_live_abcdefghijklmnop'), 'mk_••••••••mnop');
    assert.equal(maskSecret('short'), '••••••••');
  });
});
