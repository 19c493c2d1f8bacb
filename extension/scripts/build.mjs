// Builds the extension for each browser from the one source tree in src/.
//
//   node scripts/build.mjs                     -> build/{chromium,firefox}/ and ../dist/*.zip, *.xpi
//   node scripts/build.mjs --unpacked DIR      -> DIR/chromium/ only (what the browser tests load)
//
// src/manifest.json serves both browsers; each build keeps only its own keys, so neither
// browser warns about the other's: Chromium runs background.service_worker and has no use for
// browser_specific_settings; Firefox runs background.scripts (it has no extension service workers).

import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
export const TARGETS = ['chromium', 'firefox'];

/** The manifest for one browser. */
export function manifestFor(target, manifest) {
  const out = structuredClone(manifest);
  if (target === 'chromium') {
    delete out.browser_specific_settings;
    delete out.background.scripts;
  } else {
    delete out.background.service_worker;
  }
  return out;
}

/** Copies src/ to `dir` with the target's manifest; returns `dir`. */
export function buildUnpacked(target, dir) {
  const manifest = JSON.parse(readFileSync(join(SRC, 'manifest.json'), 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  cpSync(SRC, dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifestFor(target, manifest), null, 2)}\n`);
  return dir;
}

function filesUnder(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
}

/** Zips a built tree with the manifest at the archive's root (what both stores expect). */
async function archive(dir, file) {
  const { zipSync } = await import('fflate');
  const entries = Object.fromEntries(filesUnder(dir).map((path) => [relative(dir, path), readFileSync(path)]));
  mkdirSync(dirname(file), { recursive: true });
  // a fixed date keeps the archive byte-identical between builds of the same source
  writeFileSync(file, zipSync(entries, { level: 9, mtime: new Date('2026-01-01T00:00:00Z') }));
  return file;
}

async function main(args) {
  const unpacked = args.indexOf('--unpacked');
  if (unpacked !== -1) {
    console.log(buildUnpacked('chromium', join(resolve(args[unpacked + 1]), 'chromium')));
    return;
  }
  const { version } = JSON.parse(readFileSync(join(SRC, 'manifest.json'), 'utf8'));
  const dist = join(ROOT, '..', 'dist');
  for (const target of TARGETS) {
    const dir = buildUnpacked(target, join(ROOT, 'build', target));
    const suffix = target === 'firefox' ? 'xpi' : 'zip';
    console.log(await archive(dir, join(dist, `mediafetcher-extension-${version}-${target}.${suffix}`)));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
