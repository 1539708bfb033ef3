import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { temporalConnectionOptions } from '../../src/client/connection-options';
import { explainSettings, loadSettings } from '../../src/config/load-config';
import { catchValidation } from '../helpers/validation-error';

// Named profiles (Temporal's environment configuration names) in config.yaml and temporal.toml,
// resolved as: arguments > TEMPORAL_* variables > the chosen profile > config.yaml's temporal: keys > defaults.
const dir = mkdtempSync(join(tmpdir(), 'flow-profiles-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let count = 0;
/** A fresh FLOW_HOME holding `yaml` as config.yaml; env points TEMPORAL_CONFIG_FILE and HOME inside the test dir. */
function homeWith(yaml: string, toml?: string): NodeJS.ProcessEnv {
  const home = join(dir, `home-${count++}`);
  mkdirSync(home);
  const env: NodeJS.ProcessEnv = { FLOW_HOME: home, HOME: home };
  if (yaml) writeFileSync(join(home, 'config.yaml'), yaml);
  if (toml !== undefined) {
    writeFileSync(join(home, 'temporal.toml'), toml);
    env.TEMPORAL_CONFIG_FILE = join(home, 'temporal.toml');
  }
  return env;
}

const PROFILES_YAML = `
temporal:
  namespace: flat-namespace
  profile: prod
  profiles:
    prod:
      address: prod.example:7233
      namespace: prod-ns
      api_key: prod-secret-key-0123
      tls:
        server_name: prod.internal
    staging:
      address: staging.example:7233
    mtls:
      address: mtls.example:7233
      tls:
        client_cert_path: /tls/client.pem
        client_key_path: /tls/client.key
        server_ca_cert_path: /tls/ca.pem
        server_name: mtls.internal
    plain:
      address: plain.example:7233
      api_key: plain-secret-key-0123
      tls:
        disabled: true
`;

describe('temporal profiles: which value wins', () => {
  const cases: Array<{ name: string; env: NodeJS.ProcessEnv; expect: Record<string, unknown>; sources?: Record<string, string> }> = [
    {
      name: 'config.yaml chooses prod: its fields over the flat temporal: keys',
      env: {},
      expect: { profile: 'prod', address: 'prod.example:7233', namespace: 'prod-ns', apiKey: 'prod-secret-key-0123', tls: true, serverName: 'prod.internal' },
      sources: { 'temporal.profile': 'config.yaml', 'temporal.address': 'profile:prod', 'temporal.apiKey': 'profile:prod' },
    },
    {
      name: 'TEMPORAL_PROFILE beats config.yaml\'s choice; fields it lacks fall back to the flat keys, then defaults',
      env: { TEMPORAL_PROFILE: 'staging' },
      expect: { profile: 'staging', address: 'staging.example:7233', namespace: 'flat-namespace', tls: false },
      sources: { 'temporal.profile': 'env:TEMPORAL_PROFILE', 'temporal.address': 'profile:staging', 'temporal.namespace': 'config.yaml', 'temporal.tls': 'default' },
    },
    {
      name: 'explicit TEMPORAL_* variables override the profile\'s fields',
      env: { TEMPORAL_ADDRESS: 'env.example:7233', TEMPORAL_NAMESPACE: 'env-ns', TEMPORAL_TLS_SERVER_NAME: 'env.internal' },
      expect: { profile: 'prod', address: 'env.example:7233', namespace: 'env-ns', apiKey: 'prod-secret-key-0123', tls: true, serverName: 'env.internal' },
      sources: { 'temporal.address': 'env:TEMPORAL_ADDRESS', 'temporal.namespace': 'env:TEMPORAL_NAMESPACE', 'temporal.serverName': 'env:TEMPORAL_TLS_SERVER_NAME', 'temporal.apiKey': 'profile:prod' },
    },
    {
      name: 'every TLS field maps to its setting',
      env: { TEMPORAL_PROFILE: 'mtls' },
      expect: { address: 'mtls.example:7233', tls: true, tlsCertPath: '/tls/client.pem', tlsKeyPath: '/tls/client.key', tlsCaPath: '/tls/ca.pem', serverName: 'mtls.internal' },
    },
    {
      name: 'tls.disabled turns TLS off even with an API key',
      env: { TEMPORAL_PROFILE: 'plain' },
      expect: { address: 'plain.example:7233', apiKey: 'plain-secret-key-0123', tls: false },
    },
    {
      name: 'TEMPORAL_TLS=true overrides a profile\'s tls.disabled',
      env: { TEMPORAL_PROFILE: 'plain', TEMPORAL_TLS: 'true' },
      expect: { tls: true },
      sources: { 'temporal.tls': 'env:TEMPORAL_TLS' },
    },
  ];
  for (const { name, env, expect, sources } of cases) {
    test(name, () => {
      const base = homeWith(PROFILES_YAML);
      const { temporal } = loadSettings({ env: { ...base, ...env } });
      for (const [field, value] of Object.entries(expect)) assert.equal(temporal[field as keyof typeof temporal], value, `temporal.${field}`);
      const explained = new Map(explainSettings({ env: { ...base, ...env } }).map((entry) => [entry.key, entry.source]));
      for (const [key, source] of Object.entries(sources ?? {})) assert.equal(explained.get(key), source, key);
    });
  }

  test('an argument\'s profile beats TEMPORAL_PROFILE (the SDK\'s settings option)', () => {
    const settings = loadSettings({ env: { ...homeWith(PROFILES_YAML), TEMPORAL_PROFILE: 'prod' }, overrides: { temporal: { profile: 'staging' } } });
    assert.equal(settings.temporal.address, 'staging.example:7233');
  });

  test('no profile chosen and none called default: the flat keys and defaults, as before profiles existed', () => {
    const { temporal } = loadSettings({ env: homeWith('temporal:\n  address: flat.example:7233\n  profiles:\n    prod:\n      address: p:1\n') });
    assert.deepEqual(temporal, { address: 'flat.example:7233', namespace: 'default', tls: false });
  });

  test('no profile chosen: a profile called default is used, and named as the active one', () => {
    const env = homeWith('temporal:\n  profiles:\n    default:\n      address: dflt.example:7233\n');
    assert.equal(loadSettings({ env }).temporal.address, 'dflt.example:7233');
    const profile = explainSettings({ env }).find((entry) => entry.key === 'temporal.profile');
    assert.deepEqual([profile?.value, profile?.source], ['default', 'profile:default']);
  });

  test('the profile\'s API key is masked in flow config show\'s entries', () => {
    const entry = explainSettings({ env: homeWith(PROFILES_YAML) }).find((setting) => setting.key === 'temporal.apiKey');
    assert.equal(entry?.secret, true);
    assert.equal(entry?.value, 'pro••••••••0123');
    assert.doesNotMatch(JSON.stringify(explainSettings({ env: homeWith(PROFILES_YAML) })), /prod-secret-key/);
  });

  test('the connection options follow the profile (same mapping for CLI, SDK and worker)', () => {
    const { temporal } = loadSettings({ env: homeWith(PROFILES_YAML) });
    assert.deepEqual(temporalConnectionOptions({ ...temporal, address: temporal.address! }), {
      address: 'prod.example:7233',
      apiKey: 'prod-secret-key-0123',
      tls: { serverNameOverride: 'prod.internal' },
    });
  });
});

describe('temporal profiles: errors', () => {
  test('an unreadable TLS file of a profile names the profile key too', () => {
    const { temporal } = loadSettings({ env: { ...homeWith(PROFILES_YAML), TEMPORAL_PROFILE: 'mtls' } });
    const error = catchValidation(() => temporalConnectionOptions({ ...temporal, address: temporal.address! }, () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    }));
    assert.match(error.message, /TEMPORAL_TLS_CLIENT_CERT_PATH \(or tls\.client_cert_path of profile mtls\) names \/tls\/client\.pem, which cannot be read \(ENOENT\)/);
  });

  test('an unknown profile names the field, lists the profiles and suggests the nearest', () => {
    const error = catchValidation(() => loadSettings({ env: { ...homeWith(PROFILES_YAML), TEMPORAL_PROFILE: 'stagign' } }));
    assert.equal(error.field, 'temporal.profile');
    assert.match(error.message, /TEMPORAL_PROFILE names the Temporal profile 'stagign', which does not exist \(profiles: mtls, plain, prod, staging\)/);
    assert.ok(error.suggestions.includes('Did you mean staging?'), error.suggestions.join('\n'));
  });

  test('an unknown profile chosen in config.yaml says so', () => {
    const error = catchValidation(() => loadSettings({ env: homeWith('temporal:\n  profile: nope\n') }));
    assert.match(error.message, /temporal\.profile in .*config\.yaml names the Temporal profile 'nope', which does not exist \(no profiles are defined\)/);
  });

  test('a misspelt key in a profile names its dotted path and the right spelling', () => {
    const error = catchValidation(() => loadSettings({ env: homeWith('temporal:\n  profiles:\n    default:\n      apiKey: k\n') }));
    assert.equal(error.field, 'temporal.profiles.default.apiKey');
    assert.ok(error.suggestions.includes('Did you mean api_key?'), error.suggestions.join('\n'));
  });

  test('inline PEM data (client_cert_data) is refused with the path key to use instead', () => {
    const error = catchValidation(() => loadSettings({ env: homeWith('temporal:\n  profiles:\n    default:\n      tls:\n        client_cert_data: PEM\n') }));
    assert.equal(error.field, 'temporal.profiles.default.tls.client_cert_data');
    assert.match(error.suggestions[0]!, /use client_cert_path/);
  });
});

describe('temporal profiles: Temporal\'s temporal.toml', () => {
  const TOML = `
[profile.default]
address = "toml-default.example:7233"

[profile.cloud]
address = "ns.acct.tmprl.cloud:7233"
namespace = "ns.acct"
api_key = "cloud-secret-key-9876"

[profile.cloud.tls]
server_name = "ns.acct.tmprl.cloud"
`;

  test('TEMPORAL_PROFILE finds a profile that only temporal.toml defines', () => {
    const env = { ...homeWith('', TOML), TEMPORAL_PROFILE: 'cloud' };
    const { temporal } = loadSettings({ env });
    assert.deepEqual(temporal, { profile: 'cloud', address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', apiKey: 'cloud-secret-key-9876', tls: true, serverName: 'ns.acct.tmprl.cloud' });
    assert.equal(explainSettings({ env }).find((entry) => entry.key === 'temporal.address')?.source, 'temporal.toml:cloud');
  });

  test('config.yaml\'s profile of the same name wins over temporal.toml\'s', () => {
    const env = { ...homeWith('temporal:\n  profiles:\n    cloud:\n      address: yaml.example:7233\n', TOML), TEMPORAL_PROFILE: 'cloud' };
    assert.equal(loadSettings({ env }).temporal.address, 'yaml.example:7233');
  });

  test('TEMPORAL_CONFIG_FILE\'s default profile applies when none is chosen', () => {
    assert.equal(loadSettings({ env: homeWith('', TOML) }).temporal.address, 'toml-default.example:7233');
  });

  test('the TOML file at the default path is read only for a chosen profile (it does not move Flow off the embedded server)', () => {
    const env = homeWith('');
    const configDir = join(env.HOME!, '.config', 'temporalio');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, 'temporal.toml'), TOML);
    assert.equal(loadSettings({ env }).temporal.address, undefined);
    assert.equal(loadSettings({ env: { ...env, TEMPORAL_PROFILE: 'default' } }).temporal.address, 'toml-default.example:7233');
  });

  test('an unknown profile lists the profiles of both files', () => {
    const error = catchValidation(() => loadSettings({ env: { ...homeWith(PROFILES_YAML, TOML), TEMPORAL_PROFILE: 'clod' } }));
    assert.match(error.message, /profiles: cloud, default, mtls, plain, prod, staging/);
    assert.ok(error.suggestions.includes('Did you mean cloud?'));
  });

  test('an unreadable TEMPORAL_CONFIG_FILE and invalid TOML are errors naming the file', () => {
    const missing = catchValidation(() => loadSettings({ env: { ...homeWith(''), TEMPORAL_CONFIG_FILE: join(dir, 'absent.toml') } }));
    assert.match(missing.message, /TEMPORAL_CONFIG_FILE names .*absent\.toml, which cannot be read \(ENOENT\)/);
    const broken = catchValidation(() => loadSettings({ env: homeWith('', '[profile.x\naddress = 1') }));
    assert.match(broken.message, /temporal\.toml is not valid TOML/);
  });
});
