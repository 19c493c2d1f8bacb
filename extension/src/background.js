// The background worker: pairing, cookie sync, sending URLs, job progress.
//
// Every listener is registered synchronously at the top level: a Manifest V3 worker is stopped
// when idle and started again for an event, and only listeners present after that first run
// get it. State lives in storage.local (lib/store.js), never in globals that a stop would lose.

import { ApiError, apiRequest } from './lib/api.js';
import { collectCookies } from './lib/cookies.js';
import { applyViews, isFinal, jobsFromBatch, rememberJob } from './lib/jobs.js';
import { menuTargetUrl } from './lib/media.js';
import {
  browserName,
  challengeFor,
  confirmationCode,
  hostPermission,
  isPublicServer,
  normaliseServer,
  pairingUrl,
  randomCode,
} from './lib/pairing.js';
import { belongsTo, originPatterns } from './lib/sites.js';
import { loadState, saveState } from './lib/store.js';
import { throttle } from './lib/throttle.js';

const MENU_ID = 'send-to-mediafetcher';
const SYNC_ALARM = 'cookie-sync';
const SYNC_EVERY_MIN = 30;
const PAIR_ALARM = 'pairing';
const PAIR_POLL_MS = 1500;
const PAIR_TTL_MS = 10 * 60 * 1000;
const CHANGE_THROTTLE_MS = 10 * 1000;

chrome.runtime.onInstalled.addListener(setUp);
chrome.runtime.onStartup.addListener(setUp);
chrome.alarms.onAlarm.addListener(onAlarm);
chrome.cookies.onChanged.addListener(onCookieChanged);
chrome.contextMenus.onClicked.addListener(onMenuClick);
chrome.runtime.onMessage.addListener(onMessage);
pollPairing(); // a worker started mid-pairing carries on waiting for the approval

function setUp() {
  chrome.contextMenus.removeAll(() => {
    chrome.contextMenus.create({
      id: MENU_ID,
      title: 'Send to MediaFetcher',
      contexts: ['link', 'image', 'video', 'audio'],
    });
  });
  chrome.alarms.create(SYNC_ALARM, { periodInMinutes: SYNC_EVERY_MIN });
}

function onAlarm(alarm) {
  if (alarm.name === SYNC_ALARM) syncCookies();
  if (alarm.name === PAIR_ALARM) pollPairing();
}

// --- talking to the server -----------------------------------------------------------------

/** A call with the stored token; a 401 means the token was revoked: forget it and say so. */
async function call(method, path, body) {
  const state = await loadState();
  if (!state.token) throw new ApiError('unpaired', 'This browser is not paired with a MediaFetcher server yet.');
  try {
    const result = await apiRequest({ server: state.server, token: state.token }, method, path, body);
    if (state.problem) await saveState({ problem: null });
    return result;
  } catch (error) {
    if (error.kind === 'revoked') await saveState({ token: '', user: null });
    if (['revoked', 'unreachable'].includes(error.kind)) {
      await saveState({ problem: { kind: error.kind, message: error.message } });
    }
    throw error;
  }
}

/** Popup opened: is the server there and does it still accept our token? Refreshes the user. */
async function check() {
  const { data } = await call('GET', '/api/v1/ping');
  await saveState({ user: { username: data.user.username, role: data.user.role, scopes: data.user.scopes } });
}

// --- pairing -------------------------------------------------------------------------------

/** The popup already holds the host permission (requested on the click); open the approval page. */
async function startPairing(serverInput, publicConfirmed) {
  const server = normaliseServer(serverInput);
  if (isPublicServer(server) && !publicConfirmed) {
    throw new Error(`${server} is on the public internet: confirm in the popup that it is your server.`);
  }
  const code = randomCode();
  const challenge = await challengeFor(code);
  const pairing = {
    server,
    code,
    challenge,
    confirmation: confirmationCode(challenge),
    expiresAt: Date.now() + PAIR_TTL_MS,
  };
  await saveState({ pairing, problem: null });
  await chrome.tabs.create({ url: pairingUrl(server, challenge, browserName(navigator.userAgent)) });
  chrome.alarms.create(PAIR_ALARM, { periodInMinutes: 0.5 });
  pollPairing();
}

async function endPairing(patch) {
  await chrome.alarms.clear(PAIR_ALARM);
  await saveState({ pairing: null, ...patch });
}

let polling = false;

/** Claim until approved, refused or expired; one loop per worker, restarted by the alarm. */
async function pollPairing() {
  if (polling) return;
  polling = true;
  try {
    for (;;) {
      const { pairing } = await loadState();
      if (!pairing) return;
      if (Date.now() > pairing.expiresAt) {
        const message = 'Nobody approved the pairing within 10 minutes. Start again.';
        await endPairing({ problem: { kind: 'expired', message } });
        return;
      }
      try {
        const { status, data } = await apiRequest({ server: pairing.server }, 'POST', '/api/v1/pair/claim', {
          code: pairing.code,
        });
        if (status === 200) {
          const user = { username: data.username, role: data.role, scopes: data.scopes };
          await endPairing({ server: pairing.server, token: data.token, user, problem: null });
          syncCookies();
          return;
        }
      } catch (error) {
        if (error.kind !== 'unreachable') {
          await endPairing({ problem: { kind: error.code || error.kind, message: error.message } });
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, PAIR_POLL_MS));
    }
  } finally {
    polling = false;
  }
}

async function unpair() {
  try {
    await call('POST', '/api/v1/pair/unpair');
  } catch {
    // already revoked or unreachable: forgetting the token is what matters here
  }
  const { server } = await loadState();
  await saveState({ token: '', user: null, problem: null, lastSync: null });
  if (server) await chrome.permissions.remove({ origins: [hostPermission(server)] }).catch(() => false);
}

// --- cookie sync ---------------------------------------------------------------------------

async function grantedSites(sites) {
  const granted = [];
  for (const site of sites) {
    if (await chrome.permissions.contains({ origins: originPatterns(site) })) granted.push(site);
  }
  return granted;
}

async function runSync() {
  const state = await loadState();
  if (!state.token) return;
  const at = Date.now();
  if (!state.user?.scopes?.includes('cookies:write')) {
    const message = 'cookie sync needs a newer pairing: unpair, then pair again.';
    await saveState({ lastSync: { at, ok: false, message } });
    return;
  }
  const sites = await grantedSites(state.enabledSites);
  if (!sites.length) {
    await saveState({ lastSync: { at, ok: false, message: 'no ticked site has been given access yet.' } });
    return;
  }
  const cookies = await collectCookies(chrome.cookies, sites);
  if (!cookies.length) {
    await saveState({ lastSync: { at, ok: true, message: 'no cookies yet (not signed in on the ticked sites).' } });
    return;
  }
  try {
    const { data } = await call('POST', '/api/v1/cookies', { cookies });
    await saveState({ lastSync: { at, ok: true, total: data.total, sites: Object.keys(data.domains).length } });
  } catch (error) {
    await saveState({ lastSync: { at, ok: false, message: error.message } });
  }
}

let syncing = Promise.resolve();

/** Syncs run one after another, never two at once. */
function syncCookies() {
  syncing = syncing.then(runSync, runSync);
  return syncing;
}

const syncSoon = throttle(syncCookies, CHANGE_THROTTLE_MS);

async function onCookieChanged({ cookie }) {
  const { token, enabledSites } = await loadState();
  if (token && enabledSites.some((site) => belongsTo(cookie.domain, site))) syncSoon();
}

// --- sending URLs and following their jobs -------------------------------------------------

async function sendUrl(url) {
  const { data } = await call('POST', '/api/v1/downloads', { url });
  const job = { id: data.job_id, url, status: data.status, stage: '', percent: null, error: '' };
  const { jobs } = await loadState();
  await saveState({ jobs: rememberJob(jobs, job) });
  return job;
}

/** Every media the popup found on a page, in one request; each link is answered on its own. */
async function sendAll(urls) {
  const { data } = await call('POST', '/api/v1/downloads', { urls });
  let { jobs } = await loadState();
  for (const job of jobsFromBatch(data).reverse()) jobs = rememberJob(jobs, job);
  await saveState({ jobs });
  return data;
}

async function refreshJobs() {
  const { jobs } = await loadState();
  const views = [];
  for (const job of jobs.filter((j) => !isFinal(j))) {
    try {
      views.push((await call('GET', `/api/v1/downloads/${job.id}`)).data);
    } catch (error) {
      if (error.status === 404) views.push({ id: job.id, status: 'failed', error: { message: error.message } });
      else throw error;
    }
  }
  await saveState({ jobs: applyViews((await loadState()).jobs, views) });
}

async function flashBadge(text, color) {
  await chrome.action.setBadgeBackgroundColor({ color });
  await chrome.action.setBadgeText({ text });
  setTimeout(() => chrome.action.setBadgeText({ text: '' }), 4000);
}

async function onMenuClick(info) {
  const url = menuTargetUrl(info);
  try {
    if (!url) throw new Error('There is no web address to send here.');
    await sendUrl(url);
    await flashBadge('✓', '#2f9e44');
  } catch (error) {
    await saveState({ problem: { kind: error.kind ?? 'invalid', message: error.message } });
    await flashBadge('!', '#e03131');
  }
}

// --- the popup's requests ------------------------------------------------------------------

const ACTIONS = {
  check: () => check(),
  pair: (message) => startPairing(message.server, message.publicConfirmed === true),
  cancelPairing: () => endPairing({}),
  unpair: () => unpair(),
  syncNow: () => syncCookies(),
  send: (message) => sendUrl(message.url),
  sendAll: (message) => sendAll(message.urls),
  refreshJobs: () => refreshJobs(),
};

function onMessage(message, _sender, sendResponse) {
  const action = ACTIONS[message?.type];
  if (!action) return false;
  action(message).then(
    (result) => sendResponse({ ok: true, result }),
    (error) => sendResponse({ ok: false, kind: error.kind ?? 'invalid', message: error.message }),
  );
  return true; // answer asynchronously
}
