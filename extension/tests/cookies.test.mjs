import assert from 'node:assert/strict';
import { test } from 'node:test';

import { collectCookies, mergeStores, toPayload } from '../src/lib/cookies.js';

const chromeCookie = (overrides) => ({
  name: 'SID',
  value: 'secret',
  domain: '.youtube.com',
  hostOnly: false,
  path: '/',
  secure: true,
  httpOnly: true,
  sameSite: 'no_restriction',
  session: false,
  expirationDate: 1893456000.25,
  storeId: '0',
  ...overrides,
});

test('a chrome.cookies object becomes exactly the fields the server reads', () => {
  assert.deepEqual(toPayload(chromeCookie({ partitionKey: { topLevelSite: 'x' } })), {
    name: 'SID',
    value: 'secret',
    domain: '.youtube.com',
    hostOnly: false,
    path: '/',
    secure: true,
    httpOnly: true,
    session: false,
    expirationDate: 1893456000.25,
  });
});

test('a session cookie carries no expiry, a host-only cookie keeps its flag', () => {
  const payload = toPayload(chromeCookie({ session: true, expirationDate: undefined, hostOnly: true, domain: 'x.com' }));
  assert.equal(payload.session, true);
  assert.equal('expirationDate' in payload, false);
  assert.equal(payload.hostOnly, true);
});

test('the same cookie from several stores is sent once, the first store winning', () => {
  const normal = chromeCookie({ value: 'from-normal' });
  const privateCopy = chromeCookie({ value: 'from-private', storeId: '1' });
  const other = chromeCookie({ name: 'HSID', storeId: '1' });
  assert.deepEqual(
    mergeStores([[normal], [privateCopy, other]]).map((c) => [c.name, c.value]),
    [
      ['SID', 'from-normal'],
      ['HSID', 'secret'],
    ],
  );
});

test('collects from every store and every domain of each site (x.com includes twitter.com)', async () => {
  const jar = {
    0: [chromeCookie({ domain: '.x.com', name: 'auth_token' }), chromeCookie({ domain: '.twitter.com', name: 'ct0' })],
    'firefox-container-1': [chromeCookie({ domain: '.x.com', name: 'guest_id' })],
  };
  const calls = [];
  const cookiesApi = {
    getAllCookieStores: async () => [{ id: '0' }, { id: 'firefox-container-1' }],
    getAll: async ({ domain, storeId }) => {
      calls.push(`${storeId}:${domain}`);
      return (jar[storeId] ?? []).filter((c) => c.domain.replace(/^\./, '') === domain);
    },
  };
  const cookies = await collectCookies(cookiesApi, ['x.com']);
  assert.deepEqual(calls, ['0:x.com', '0:twitter.com', 'firefox-container-1:x.com', 'firefox-container-1:twitter.com']);
  assert.deepEqual(cookies.map((c) => `${c.domain} ${c.name}`).sort(), [
    '.twitter.com ct0',
    '.x.com auth_token',
    '.x.com guest_id',
  ]);
});
