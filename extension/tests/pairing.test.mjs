import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

import {
  browserName,
  challengeFor,
  confirmationCode,
  hostPermission,
  normaliseServer,
  pairingUrl,
  randomCode,
} from '../src/lib/pairing.js';

test('codes are 43 base64url characters (what the server accepts) and never repeat', () => {
  const codes = new Set(Array.from({ length: 200 }, () => randomCode()));
  assert.equal(codes.size, 200);
  for (const code of codes) assert.match(code, /^[A-Za-z0-9_-]{43}$/);
});

test('the challenge is the hex SHA-256 the server computes', async () => {
  const code = randomCode();
  assert.equal(await challengeFor(code), createHash('sha256').update(code).digest('hex'));
  assert.equal(confirmationCode('ab12cd34' + '0'.repeat(56)), 'AB12-CD34');
});

test('server addresses: scheme optional, origin kept, nonsense refused with a hint', () => {
  assert.equal(normaliseServer('nas.local:3000'), 'http://nas.local:3000');
  assert.equal(normaliseServer(' https://media.example.org/app/ '), 'https://media.example.org');
  assert.equal(normaliseServer('http://192.168.1.20:3000/'), 'http://192.168.1.20:3000');
  assert.throws(() => normaliseServer(''), /address of your MediaFetcher server/);
  assert.throws(() => normaliseServer('ftp://nas.local'), /address of your MediaFetcher server/);
  assert.throws(() => normaliseServer('http://bob:pw@nas.local'), /user name and password/);
});

test('the host permission names the host without a port (Firefox patterns cannot hold one)', () => {
  assert.equal(hostPermission('http://nas.local:3000'), 'http://nas.local/*');
  assert.equal(hostPermission('https://media.example.org'), 'https://media.example.org/*');
});

test('the pairing URL carries the challenge and the name, never the code', () => {
  const url = new URL(pairingUrl('http://nas.local:3000', 'c'.repeat(64), 'Firefox on Linux'));
  assert.equal(url.pathname, '/pair');
  assert.deepEqual(Object.fromEntries(url.searchParams), { challenge: 'c'.repeat(64), name: 'Firefox on Linux' });
});

test('browser names for the approval page', () => {
  const chromium = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
  const firefox = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0';
  const edge = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/140.0 Safari/537.36 Edg/140.0';
  assert.equal(browserName(chromium), 'Chrome on Linux');
  assert.equal(browserName(firefox), 'Firefox on Windows');
  assert.equal(browserName(edge), 'Edge on macOS');
  assert.equal(browserName(''), 'Browser');
});
