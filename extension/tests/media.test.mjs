import assert from 'node:assert/strict';
import { test } from 'node:test';
import vm from 'node:vm';

import { detectMedia, menuTargetUrl } from '../src/lib/media.js';
import { KNOWN_MEDIA_SITES } from '../src/lib/sites.js';
import { fixturePage } from './helpers.mjs';

const PAGE = 'https://www.example.test/trips/2026.html';

test('finds videos, sources, audio, og tags and large images, resolved and without duplicates', () => {
  const { page, items } = detectMedia(KNOWN_MEDIA_SITES, fixturePage('media-page.html', PAGE));
  assert.deepEqual(page, { url: PAGE, title: 'Holiday clips' });
  assert.deepEqual(
    items.map(({ kind, url }) => [kind, url]),
    [
      ['video', 'https://www.example.test/media/clip.mp4'],
      ['video', 'https://www.example.test/trips/media/mountains.webm'],
      ['video', 'https://www.example.test/trips/media/mountains.mp4'],
      ['audio', 'https://audio.example.test/song.mp3'],
      ['video', 'https://cdn.example.test/og/clip.mp4'],
      ['image', 'https://www.example.test/og/poster.jpg'],
      ['image', 'https://www.example.test/photos/big.jpg'],
    ],
  );
  const labels = Object.fromEntries(items.map((item) => [item.url, item.label]));
  assert.equal(labels['https://www.example.test/media/clip.mp4'], 'Beach');
  assert.equal(labels['https://www.example.test/trips/media/mountains.mp4'], 'Mountains');
  assert.equal(labels['https://www.example.test/photos/big.jpg'], 'Sunset over the sea');
});

test('on a known site the page itself comes first and blob: players are skipped', () => {
  const url = 'https://www.youtube.com/watch?v=abc';
  const { items } = detectMedia(KNOWN_MEDIA_SITES, fixturePage('known-site.html', url));
  assert.deepEqual(
    items.map(({ kind, url: found }) => [kind, found]),
    [
      ['page', url],
      ['image', 'https://i.ytimg.test/vi/abc/maxresdefault.jpg'],
    ],
  );
  assert.equal(items[0].label, 'A talk - YouTube');
});

test('subdomains of known sites count, look-alike hosts do not', () => {
  const mobile = detectMedia(KNOWN_MEDIA_SITES, fixturePage('no-media.html', 'https://m.twitch.tv/videos/1'));
  assert.equal(mobile.items[0]?.kind, 'page');
  const lookalike = detectMedia(KNOWN_MEDIA_SITES, fixturePage('no-media.html', 'https://notyoutube.com/watch'));
  assert.deepEqual(lookalike.items, []);
});

test('a page without media lists nothing (small images are not media)', () => {
  const { items } = detectMedia(KNOWN_MEDIA_SITES, fixturePage('no-media.html', PAGE));
  assert.deepEqual(items, []);
});

test('the function is self-contained, as executeScript({func}) needs: it runs from its source text alone', () => {
  const document = fixturePage('media-page.html', PAGE);
  const sandbox = vm.createContext({ document, URL, Number, Set });
  const injected = vm.runInContext(`(${detectMedia.toString()})`, sandbox);
  const result = injected(['example.test']);
  assert.equal(result.items[0].kind, 'page');
  assert.equal(result.items.length, 8);
});

test('context menu: the media file when it has a web URL, else the link, else the page', () => {
  const page = 'https://www.example.test/post/1';
  assert.equal(
    menuTargetUrl({ mediaType: 'image', srcUrl: 'https://cdn.example.test/a.jpg', pageUrl: page }),
    'https://cdn.example.test/a.jpg',
  );
  assert.equal(menuTargetUrl({ mediaType: 'video', srcUrl: 'blob:https://x.com/1', pageUrl: page }), page);
  assert.equal(
    menuTargetUrl({ linkUrl: 'https://www.youtube.com/watch?v=1', pageUrl: page }),
    'https://www.youtube.com/watch?v=1',
  );
  assert.equal(menuTargetUrl({ linkUrl: 'javascript:void(0)', pageUrl: 'chrome://newtab/' }), null);
});
