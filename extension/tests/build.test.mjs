import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { TARGETS, buildUnpacked } from '../scripts/build.mjs';

test('each build has its own manifest, and every file a manifest names exists', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'mf-ext-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const manifests = {};
  for (const target of TARGETS) {
    const dir = buildUnpacked(target, join(root, target));
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    manifests[target] = manifest;
    const named = [
      manifest.background.service_worker,
      ...(manifest.background.scripts ?? []),
      manifest.action.default_popup,
      ...Object.values(manifest.icons),
      ...Object.values(manifest.action.default_icon),
    ].filter(Boolean);
    for (const file of named) assert.ok(existsSync(join(dir, file)), `${target}: ${file} is missing`);
  }
  const { chromium, firefox } = manifests;
  assert.equal(chromium.manifest_version, 3);
  assert.equal(chromium.background.service_worker, 'background.js');
  assert.equal(chromium.background.scripts, undefined);
  assert.equal(chromium.browser_specific_settings, undefined);
  assert.deepEqual(firefox.background.scripts, ['background.js']);
  assert.equal(firefox.background.service_worker, undefined);
  assert.match(firefox.browser_specific_settings.gecko.id, /@/);
  for (const manifest of [chromium, firefox]) {
    assert.deepEqual(manifest.host_permissions, undefined, 'no host is granted at install: each is asked for');
    assert.ok(manifest.permissions.includes('cookies') && manifest.permissions.includes('alarms'));
  }
});
