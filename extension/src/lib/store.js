// The extension's state in storage.local: the popup renders it, the background worker writes
// what comes from the server. Kept in storage (not in worker globals) because the worker sleeps.

import { DEFAULT_SITES } from './sites.js';

export const DEFAULTS = {
  server: '', // the paired server's origin (kept after a revocation, to pair again)
  token: '',
  user: null, // {username, role, scopes}
  pairing: null, // {server, code, challenge, confirmation, expiresAt} while waiting for approval
  problem: null, // {kind, message}: the last error worth showing
  enabledSites: DEFAULT_SITES,
  customSites: [],
  lastSync: null, // {at, ok, total, sites, message}
  jobs: [],
};

export async function loadState(storage = chrome.storage.local) {
  return { ...DEFAULTS, ...(await storage.get(Object.keys(DEFAULTS))) };
}

export function saveState(patch, storage = chrome.storage.local) {
  return storage.set(patch);
}

/** Every site shown in the popup: the built-in ones, then those the user added. */
export function allSites(state) {
  return [...DEFAULT_SITES, ...state.customSites.filter((site) => !DEFAULT_SITES.includes(site))];
}
