import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DEFAULT_SITES, belongsTo, normaliseSite, originPatterns } from '../src/lib/sites.js';

test('the default sites are the ones the issue names', () => {
  assert.deepEqual(DEFAULT_SITES, [
    'youtube.com',
    'x.com',
    'instagram.com',
    'tiktok.com',
    'soundcloud.com',
    'pinterest.com',
    'twitch.tv',
  ]);
});

test('what a user types becomes a site name', () => {
  assert.equal(normaliseSite('https://www.Vimeo.com/channels/x'), 'vimeo.com');
  assert.equal(normaliseSite(' music.example.org '), 'music.example.org');
  assert.equal(normaliseSite('127.0.0.1:8080'), '127.0.0.1');
  assert.equal(normaliseSite('localhost'), 'localhost');
  assert.equal(normaliseSite(''), null);
  assert.equal(normaliseSite('not a site'), null);
});

test('host permissions cover the site, its subdomains and its aliases', () => {
  assert.deepEqual(originPatterns('x.com'), ['*://x.com/*', '*://*.x.com/*', '*://twitter.com/*', '*://*.twitter.com/*']);
  assert.deepEqual(originPatterns('127.0.0.1'), ['*://127.0.0.1/*']);
});

test('cookie domains belong to a site on label boundaries only', () => {
  assert.ok(belongsTo('.youtube.com', 'youtube.com'));
  assert.ok(belongsTo('music.youtube.com', 'youtube.com'));
  assert.ok(belongsTo('.twitter.com', 'x.com'));
  assert.ok(!belongsTo('box.com', 'x.com'));
  assert.ok(!belongsTo('notyoutube.com', 'youtube.com'));
});
