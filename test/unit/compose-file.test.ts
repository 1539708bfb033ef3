import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/definitions';

// CI has no engine that runs compose stacks: the file is checked against the Compose
// Specification's JSON schema (vendored) and against the rules Flow's deployment relies on.
const ROOT = join(__dirname, '..', '..', '..');
const COMPOSE_FILE = join(ROOT, 'temporal-compose.yml');
const SCHEMA_FILE = join(ROOT, 'test', 'fixtures', 'compose-spec', 'compose-spec.json');

interface Service {
  image?: string;
  build?: unknown;
  healthcheck?: { test?: unknown; disable?: boolean };
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  secrets?: Array<string | { source: string; target?: string }>;
  command?: unknown;
  entrypoint?: unknown;
}
interface ComposeFile {
  services: Record<string, Service>;
  secrets?: Record<string, { file?: string; environment?: string }>;
  volumes?: Record<string, unknown>;
}

function loadCompose(): ComposeFile {
  return parse(readFileSync(COMPOSE_FILE, 'utf8')) as ComposeFile;
}

function validator() {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object;
  // The schema names its draft-07 meta-schema by an https URL Ajv does not bundle: skip that check.
  return new Ajv({ strict: false, allErrors: true, validateSchema: false }).compile(schema);
}

/** A one-shot runs to completion: it never restarts, and a service waits for it to complete. */
function isOneShot(name: string, compose: ComposeFile): boolean {
  const restart = compose.services[name]?.restart;
  const awaited = Object.values(compose.services).some((service) => service.depends_on?.[name]?.condition === 'service_completed_successfully');
  return (restart === undefined || restart === 'no') && awaited;
}

describe('temporal-compose.yml', () => {
  test('is valid against the Compose Specification schema', () => {
    const validate = validator();
    const valid = validate(loadCompose());
    assert.ok(valid, `temporal-compose.yml breaks the compose schema: ${JSON.stringify(validate.errors, null, 2)}`);
  });

  test('the schema check is real: a misspelled healthcheck key is rejected', () => {
    const validate = validator();
    const broken = loadCompose();
    (broken.services.temporal!.healthcheck as Record<string, unknown>).intervall = '5s';
    assert.equal(validate(broken), false);
    assert.ok(validate.errors?.some((error) => error.instancePath === '/services/temporal/healthcheck'));
  });

  test('has the Temporal server on PostgreSQL, its UI, a setup one-shot, a Flow worker and the codec server', () => {
    const { services } = loadCompose();
    assert.match(services.postgresql?.image ?? '', /^postgres:\d+\.\d+$/);
    assert.equal(services.temporal?.environment?.DB, 'postgres12');
    assert.match(services['temporal-ui']?.image ?? '', /^temporalio\/ui:\d+\.\d+\.\d+$/);
    assert.deepEqual(services['flow-worker']?.build, { context: '.', dockerfile: 'Dockerfile' });
    assert.ok(services['codec-server'], 'a codec-server service');
  });

  test('every image tag is pinned (no latest, no untagged image)', () => {
    for (const [name, service] of Object.entries(loadCompose().services)) {
      if (service.image === undefined) continue;
      assert.match(service.image, /:[\w.-]+$/, `${name}'s image ${service.image} has no tag`);
      assert.doesNotMatch(service.image, /:latest$/, `${name} uses :latest`);
    }
  });

  test('every service has a healthcheck or is a one-shot another service waits for', () => {
    const compose = loadCompose();
    for (const [name, service] of Object.entries(compose.services)) {
      const healthy = service.healthcheck?.test !== undefined && service.healthcheck.disable !== true;
      assert.ok(healthy || isOneShot(name, compose), `${name} has no healthcheck and is not a one-shot`);
    }
    assert.ok(isOneShot('temporal-setup', compose));
  });

  test('the worker waits for a healthy server and the namespace set-up', () => {
    const worker = loadCompose().services['flow-worker']!;
    assert.equal(worker.depends_on?.temporal?.condition, 'service_healthy');
    assert.equal(worker.depends_on?.['temporal-setup']?.condition, 'service_completed_successfully');
    assert.equal(worker.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
  });

  test("the setup registers every one of Flow's search attributes as Keyword", () => {
    const setup = loadCompose().services['temporal-setup']!;
    const names = (setup.environment?.FLOW_SEARCH_ATTRIBUTES ?? '').split(/\s+/).filter(Boolean);
    assert.deepEqual([...names].sort(), [...SEARCH_ATTRIBUTES].sort());
    assert.match(JSON.stringify(setup.command), /search-attribute create .*--type Keyword/);
  });

  test('the payload key is a file secret mounted into the worker and codec server, read through FLOW_ENCRYPTION_KEY_FILE', () => {
    const compose = loadCompose();
    assert.ok(compose.secrets?.flow_encryption_key?.file, 'a top-level file secret flow_encryption_key');
    for (const name of ['flow-worker', 'codec-server']) {
      const service = compose.services[name]!;
      const sources = (service.secrets ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.source));
      assert.ok(sources.includes('flow_encryption_key'), `${name} mounts the key secret`);
      assert.equal(service.environment?.FLOW_ENCRYPTION_KEY_FILE, '/run/secrets/flow_encryption_key');
      assert.equal(service.environment?.FLOW_ENCRYPTION_KEY, undefined, `${name} must not take the key inline`);
    }
  });

  test('no secret value is written inline: passwords and keys are interpolated or secret files', () => {
    const secretName = /PASSWORD|PWD|API_KEY|TOKEN|SECRET|ENCRYPTION_KEY$/;
    for (const [name, service] of Object.entries(loadCompose().services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (!secretName.test(key)) continue;
        assert.match(String(value), /^\$\{[A-Z_]+:\?[^}]*\}$/, `${name}.${key} must come from a required variable, not a value in the file`);
      }
    }
  });

  test('state lives in named volumes', () => {
    const compose = loadCompose();
    assert.ok(compose.volumes && 'temporal-postgres' in compose.volumes && 'flow-home' in compose.volumes);
  });
});
