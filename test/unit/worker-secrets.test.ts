import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { workerSecrets } from '../../src/logs/worker-secrets';
import { tempFlowHome } from '../helpers/flow-home';

const { home, cleanup } = tempFlowHome('flow-worker-secrets-');
after(cleanup);

describe('workerSecrets', () => {
  test('the API keys from the env and from config.yaml are masked; other settings are not', () => {
    writeFileSync(join(home, 'config.yaml'), 'provider: local\nmithril:\n  api_key: mk-from-config-file\n', { mode: 0o600 });
    const secrets = workerSecrets({ FLOW_HOME: home, TEMPORAL_API_KEY: 'tmprl-from-env' });
    assert.ok(secrets.includes('tmprl-from-env'));
    assert.ok(secrets.includes('mk-from-config-file'));
    assert.ok(!secrets.includes('local'));
  });

  test('a broken config.yaml still yields the env keys', () => {
    writeFileSync(join(home, 'config.yaml'), 'provider: [unclosed\n');
    assert.deepEqual(workerSecrets({ FLOW_HOME: home, MITHRIL_API_KEY: 'mk-env-only' }), ['mk-env-only']);
  });
});
