import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, describe, test } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { codecKeys, encryptionKeysPath, ensureKeyFile, parseKeySpec, rotateKey } from '../../src/security/encryption-keys';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, PayloadAuthenticationError } from '../../src/security/payload-codec';
import { tempFlowHome } from '../helpers/flow-home';

const key = (id: string) => ({ id, key: randomBytes(32) });
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const SECRET = 'sekret-unit-4711';

describe('AES-256-GCM payload codec', () => {
  const codec = new AesGcmPayloadCodec([key('k1')]);
  const plain = defaultPayloadConverter.toPayload({ taskId: 't-1', secrets: { TOKEN: SECRET } });

  test('a round trip gives back the exact payload, metadata included', async () => {
    const [sealed] = await codec.encode([plain]);
    assert.equal(text(sealed!.metadata!.encoding), ENCRYPTED_ENCODING);
    assert.equal(text(sealed!.metadata![KEY_ID_METADATA]), 'k1');
    assert.ok(!Buffer.from(sealed!.data!).includes(SECRET), 'the secret is not in the ciphertext');
    const [opened] = await codec.decode([sealed!]);
    const bytes = (metadata: Payload['metadata']) => Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('hex')]));
    assert.deepEqual(bytes(opened!.metadata), bytes(plain.metadata));
    assert.deepEqual(Buffer.from(opened!.data!), Buffer.from(plain.data!));
    assert.deepEqual(defaultPayloadConverter.fromPayload(opened!), { taskId: 't-1', secrets: { TOKEN: SECRET } });
  });

  test('two encodings of one payload differ (a fresh IV each)', async () => {
    const [a, b] = await codec.encode([plain, plain]);
    assert.notDeepEqual(Buffer.from(a!.data!), Buffer.from(b!.data!));
  });

  test('decode refuses a plain payload', async () => {
    await assert.rejects(codec.decode([plain]), (error: Error) => {
      assert.ok(error instanceof PayloadAuthenticationError);
      assert.match(error.message, /not encrypted/);
      assert.ok(!error.message.includes(SECRET));
      return true;
    });
  });

  test('decode passes through the one clear payload the server writes (an activity cancelled before it started), and no look-alike', async () => {
    const server: Payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"ACTIVITY_ID_NOT_STARTED"') };
    const [passed] = await codec.decode([server]);
    assert.equal(defaultPayloadConverter.fromPayload(passed!), 'ACTIVITY_ID_NOT_STARTED');
    const lookAlike: Payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"ACTIVITY_ID_NOT_STARTED" ') };
    await assert.rejects(codec.decode([lookAlike]), /not encrypted/);
    const otherEncoding: Payload = { metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.from('"ACTIVITY_ID_NOT_STARTED"') };
    await assert.rejects(codec.decode([otherEncoding]), /not encrypted/);
  });

  test('decode refuses a tampered payload without quoting its bytes', async () => {
    const [sealed] = await codec.encode([plain]);
    const data = Buffer.from(sealed!.data!);
    data[20] = data[20]! ^ 1;
    const tampered: Payload = { metadata: sealed!.metadata, data };
    await assert.rejects(codec.decode([tampered]), /k1: it failed authentication/);
  });

  test('decode refuses a payload relabelled to another known key id', async () => {
    const two = new AesGcmPayloadCodec([key('k1'), key('k2')]);
    const [sealed] = await two.encode([plain]);
    const relabelled: Payload = { metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') }, data: sealed!.data };
    await assert.rejects(two.decode([relabelled]), /k2: it failed authentication/);
  });

  test('decode refuses an unknown key id', async () => {
    const [sealed] = await new AesGcmPayloadCodec([key('other')]).encode([plain]);
    await assert.rejects(codec.decode([sealed!]), /unknown key id "other"/);
  });

  test('rotation: the newest key encrypts, an old key still decrypts', async () => {
    const old = key('old');
    const [fromOld] = await new AesGcmPayloadCodec([old]).encode([plain]);
    const rotated = new AesGcmPayloadCodec([key('new'), old]);
    const [opened] = await rotated.decode([fromOld!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(opened!), { taskId: 't-1', secrets: { TOKEN: SECRET } });
    const [fresh] = await rotated.encode([plain]);
    assert.equal(text(fresh!.metadata![KEY_ID_METADATA]), 'new');
  });
});

describe('encryption keys', () => {
  const { home, cleanup } = tempFlowHome('flow-keys-');
  after(cleanup);

  test('FLOW_ENCRYPTION_KEY: base64 of 32 bytes or id:base64; a bad one is refused without echoing it', () => {
    const raw = randomBytes(32).toString('base64');
    assert.match(parseKeySpec(raw).id, /^k-[0-9a-f]{12}$/);
    assert.equal(parseKeySpec(`team-1:${raw}`).id, 'team-1');
    const bad = 'c2hvcnQta2V5LXZhbHVl';
    assert.throws(() => parseKeySpec(bad), (error: Error) => /FLOW_ENCRYPTION_KEY must be the base64 of 32/.test(error.message) && !error.message.includes(bad));
  });

  test('the key file is made on first use, 0600 in a 0700 folder, and then reused', () => {
    const first = ensureKeyFile(home);
    const path = encryptionKeysPath(home);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(dirname(path)).mode & 0o777, 0o700);
    const again = ensureKeyFile(home);
    assert.deepEqual(again.map((k) => k.id), first.map((k) => k.id));
    assert.deepEqual(codecKeys({ home, embedded: true })!.map((k) => k.id), first.map((k) => k.id));
  });

  test('rotate-key: the new key encrypts, payloads sealed with the old one still open', async () => {
    const before = new AesGcmPayloadCodec(ensureKeyFile(home));
    const [old] = await before.encode([defaultPayloadConverter.toPayload('hello')]);
    const newId = rotateKey(home);
    const keys = ensureKeyFile(home);
    assert.equal(keys[0]!.id, newId);
    assert.equal(keys.length, 2);
    const after = new AesGcmPayloadCodec(keys);
    assert.equal(defaultPayloadConverter.fromPayload((await after.decode([old!]))[0]!), 'hello');
    assert.equal(text((await after.encode([defaultPayloadConverter.toPayload('x')]))[0]!.metadata![KEY_ID_METADATA]), newId);
  });

  test('a remote cluster gets the codec only with a configured key', () => {
    assert.equal(codecKeys({ home, embedded: false }), undefined);
    const raw = randomBytes(32).toString('base64');
    assert.deepEqual(codecKeys({ home, embedded: false, configuredKey: `r1:${raw}` })!.map((k) => k.id), ['r1']);
  });
});
