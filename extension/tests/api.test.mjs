import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ApiError, apiRequest } from '../src/lib/api.js';

const SERVER = 'http://nas.local:3000';

function answering(status, body, seen = []) {
  return async (url, init) => {
    seen.push({ url, init });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  };
}

test('a 2xx answer resolves with its JSON; the token goes as a Bearer header, cookies never', async () => {
  const seen = [];
  const result = await apiRequest(
    { server: SERVER, token: 'mft_abc', fetchImpl: answering(202, { job_id: 7 }, seen) },
    'POST',
    '/api/v1/downloads',
    { url: 'https://x.com/a/status/1' },
  );
  assert.deepEqual(result, { status: 202, data: { job_id: 7 } });
  assert.equal(seen[0].url, `${SERVER}/api/v1/downloads`);
  assert.equal(seen[0].init.headers.Authorization, 'Bearer mft_abc');
  assert.equal(seen[0].init.credentials, 'omit');
  assert.equal(seen[0].init.body, JSON.stringify({ url: 'https://x.com/a/status/1' }));
});

test('no token, no Authorization header (the pairing claim)', async () => {
  const seen = [];
  await apiRequest({ server: SERVER, fetchImpl: answering(202, { status: 'pending' }, seen) }, 'POST', '/x', {});
  assert.equal('Authorization' in seen[0].init.headers, false);
});

async function failure(fetchImpl) {
  try {
    await apiRequest({ server: SERVER, token: 't', fetchImpl }, 'GET', '/api/v1/ping');
  } catch (error) {
    assert.ok(error instanceof ApiError);
    return error;
  }
  assert.fail('expected an ApiError');
}

test('a network failure says the server cannot be reached, and where', async () => {
  const error = await failure(async () => {
    throw new TypeError('Failed to fetch');
  });
  assert.equal(error.kind, 'unreachable');
  assert.match(error.message, /Cannot reach MediaFetcher at http:\/\/nas\.local:3000/);
});

test('401 means the pairing was revoked: pair again', async () => {
  const error = await failure(answering(401, { error: { code: 'not_authenticated', message: 'x' } }));
  assert.equal(error.kind, 'revoked');
  assert.match(error.message, /revoked\. Pair again/);
});

test("other errors carry the server's own sentence and code", async () => {
  const error = await failure(answering(403, { error: { code: 'forbidden', message: 'Only an administrator can do this.' } }));
  assert.deepEqual([error.kind, error.status, error.code, error.message], [
    'forbidden',
    403,
    'forbidden',
    'Only an administrator can do this.',
  ]);
  const broken = await failure(answering(502, '<html>Bad gateway</html>'));
  assert.equal(broken.kind, 'server');
  assert.match(broken.message, /HTTP 502/);
});
