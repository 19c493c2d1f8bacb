// The popup: a view of storage.local plus buttons that ask the background worker to act.
// Permission requests happen here, inside the click, because browsers grant them only to a
// user gesture. Page-provided text is only ever set as textContent.

import { describeBatch, describeJob, isFinal } from '../lib/jobs.js';
import { describeSync } from '../lib/format.js';
import { detectMedia } from '../lib/media.js';
import { hostPermission, isPublicServer, normaliseServer, publicServerWarning } from '../lib/pairing.js';
import { KNOWN_MEDIA_SITES, normaliseSite, originPatterns } from '../lib/sites.js';
import { allSites, loadState, saveState } from '../lib/store.js';

const JOB_POLL_MS = 1500;
const $ = (id) => document.getElementById(id);

let state = null;
let jobTimer = null;

/** Ask the background worker; resolves to its result or throws an Error with its message. */
async function ask(type, extra = {}) {
  const answer = await chrome.runtime.sendMessage({ type, ...extra });
  if (!answer?.ok) throw Object.assign(new Error(answer?.message ?? 'The extension did not answer.'), answer);
  return answer.result;
}

function showProblem(message) {
  $('problem').textContent = message ?? '';
  $('problem').hidden = !message;
}

function element(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

// --- rendering -------------------------------------------------------------------------------

function renderPairing() {
  const paired = Boolean(state.token);
  const pairing = Boolean(state.pairing);
  $('pair-section').hidden = paired || pairing;
  $('pairing-section').hidden = !pairing;
  $('paired').hidden = !paired;
  if (!$('server-input').value) $('server-input').value = state.pairing?.server || state.server || '';
  $('confirmation').textContent = state.pairing?.confirmation ?? '';
  const pill = $('status-pill');
  const unreachable = state.problem?.kind === 'unreachable';
  pill.textContent = paired ? (unreachable ? 'unreachable' : 'paired') : pairing ? 'waiting' : 'not paired';
  pill.className = `pill ${paired && !unreachable ? 'ok' : state.problem ? 'bad' : ''}`;
  if (paired && state.user) {
    $('paired-as').textContent = `Paired as ${state.user.username} (${state.user.role}) with ${state.server}`;
  }
  showProblem(state.problem?.message);
}

function renderJobs() {
  const list = $('job-list');
  list.replaceChildren(
    ...state.jobs.map((job) => {
      const bar = element('progress', { max: 100 });
      if (typeof job.percent === 'number') bar.value = job.percent;
      const item = element(
        'li',
        { className: 'job', title: job.url },
        element('span', { className: 'what', textContent: job.url }),
        ...(isFinal(job) ? [] : [bar]),
        element('span', { className: 'state', textContent: describeJob(job), title: describeJob(job) }),
      );
      item.dataset.status = job.status;
      item.dataset.jobId = String(job.id);
      return item;
    }),
  );
  $('jobs-empty').hidden = state.jobs.length > 0;
  const active = state.jobs.some((job) => !isFinal(job));
  if (active && !jobTimer) jobTimer = setInterval(() => ask('refreshJobs').catch(() => {}), JOB_POLL_MS);
  if (!active && jobTimer) {
    clearInterval(jobTimer);
    jobTimer = null;
  }
}

/** Ticked by default but never granted: one click asks the browser for that site's access. */
function accessButton(site) {
  const button = element('button', { type: 'button', className: 'link no-access', textContent: 'allow access' });
  button.addEventListener('click', async () => {
    if (await chrome.permissions.request({ origins: originPatterns(site) })) renderSites();
  });
  return button;
}

async function renderSites() {
  const items = [];
  for (const site of allSites(state)) {
    const box = element('input', { type: 'checkbox', checked: state.enabledSites.includes(site) });
    box.dataset.site = site;
    box.addEventListener('change', () => toggleSite(site, box));
    const granted = await chrome.permissions.contains({ origins: originPatterns(site) });
    const label = element('label', {}, box, ` ${site} `);
    if (box.checked && !granted) label.append(accessButton(site));
    items.push(element('li', {}, label));
  }
  $('site-list').replaceChildren(...items);
  const canSync = state.user?.scopes?.includes('cookies:write');
  $('sync-now').disabled = !canSync;
  $('last-sync').textContent = canSync
    ? describeSync(state.lastSync)
    : 'Cookie sync needs a newer pairing: unpair, then pair again.';
}

function render() {
  renderPairing();
  if (state.token) {
    renderJobs();
    renderSites();
  }
}

// --- this page's media -------------------------------------------------------------------------

/** The page to list: the active tab, or `?tab=<id>` when the popup is opened in a tab of its own
 * (chrome-extension://.../popup/popup.html?tab=12; the browser tests drive it that way). */
async function targetTab() {
  const requested = Number(new URLSearchParams(location.search).get('tab'));
  if (requested) return chrome.tabs.get(requested);
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  return tab;
}

function sendButton(url) {
  const button = element('button', { type: 'button', textContent: 'Send to NAS', className: 'secondary' });
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await ask('send', { url });
      button.textContent = 'Sent';
    } catch (error) {
      showProblem(error.message);
      button.disabled = false;
    }
  });
  return button;
}

async function listMedia() {
  const tab = await targetTab();
  const pageUrl = tab?.url ?? '';
  $('send-page').onclick = async () => {
    try {
      await ask('send', { url: pageUrl });
      $('send-page').textContent = 'Page sent';
    } catch (error) {
      showProblem(error.message);
    }
  };
  $('send-page').disabled = !/^https?:/.test(pageUrl);
  let found;
  try {
    const [injection] = await chrome.scripting.executeScript({
      target: { tabId: tab.id },
      func: detectMedia,
      args: [KNOWN_MEDIA_SITES],
    });
    found = injection.result;
  } catch {
    $('media-note').textContent = 'This page cannot be read (browser pages and stores are off limits).';
    return;
  }
  const media = found.items.filter((item) => item.kind !== 'page');
  $('media-list').replaceChildren(
    ...media.map((item) => {
      const li = element(
        'li',
        { className: 'media-item', title: item.url },
        element('span', { className: 'kind', textContent: item.kind }),
        element('span', { className: 'what', textContent: item.label }),
        sendButton(item.url),
      );
      li.dataset.kind = item.kind;
      li.dataset.url = item.url;
      return li;
    }),
  );
  $('send-all').hidden = media.length < 2;
  $('send-all').textContent = `Send all ${media.length} found media`;
  $('send-all').onclick = async () => {
    $('send-all').disabled = true;
    try {
      const answer = await ask('sendAll', { urls: media.map((item) => item.url) });
      $('media-note').textContent = describeBatch(answer);
    } catch (error) {
      showProblem(error.message);
      $('send-all').disabled = false;
    }
  };
  const known = found.items.some((item) => item.kind === 'page');
  $('media-note').textContent = media.length
    ? known
      ? 'This site is known: sending the page gets the best quality.'
      : ''
    : 'No video, audio or large image found on this page.';
}

// --- actions ---------------------------------------------------------------------------------

/** Asks for the host permission (inside the user's click) and starts pairing. */
async function pairWith(server, publicConfirmed) {
  // First thing in the handler: Firefox grants permissions only directly to the user's click.
  const granted = await chrome.permissions.request({ origins: [hostPermission(server)] });
  if (!granted) {
    showProblem(`MediaFetcher needs your permission to talk to ${server}.`);
    return;
  }
  try {
    await ask('pair', { server, publicConfirmed });
  } catch (error) {
    showProblem(error.message);
  }
}

$('pair-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('public-warning').hidden = true;
  let server;
  try {
    server = normaliseServer($('server-input').value);
  } catch (error) {
    showProblem(error.message);
    return;
  }
  if (isPublicServer(server)) {
    // A public server is paired only after the user read this and clicked once more.
    showProblem('');
    $('public-warning-text').textContent = publicServerWarning(server);
    $('public-warning').hidden = false;
    $('public-confirm').onclick = () => pairWith(server, true);
    return;
  }
  await pairWith(server, false);
});

$('cancel-pairing').addEventListener('click', () => ask('cancelPairing'));
$('unpair-button').addEventListener('click', () => ask('unpair'));

async function toggleSite(site, box) {
  const enabled = new Set(state.enabledSites);
  if (box.checked) {
    const granted = await chrome.permissions.request({ origins: originPatterns(site) });
    if (!granted) {
      box.checked = false;
      showProblem(`Without access to ${site} its cookies cannot be read.`);
      return;
    }
    enabled.add(site);
  } else {
    enabled.delete(site);
  }
  await saveState({ enabledSites: [...enabled] });
}

$('add-site-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const site = normaliseSite($('custom-site-input').value);
  if (!site) {
    showProblem('Enter a site name such as vimeo.com.');
    return;
  }
  const granted = await chrome.permissions.request({ origins: originPatterns(site) });
  if (!granted) {
    showProblem(`Without access to ${site} its cookies cannot be read.`);
    return;
  }
  $('custom-site-input').value = '';
  await saveState({
    customSites: [...new Set([...state.customSites, site])],
    enabledSites: [...new Set([...state.enabledSites, site])],
  });
});

$('sync-now').addEventListener('click', async () => {
  $('sync-now').disabled = true;
  try {
    await ask('syncNow');
  } finally {
    $('sync-now').disabled = false;
  }
});

let mediaListed = false;

function whenPaired() {
  if (mediaListed) return;
  mediaListed = true;
  ask('check').catch(() => {}); // refreshes the problem banner: unreachable, revoked
  listMedia();
}

chrome.storage.onChanged.addListener(async (_changes, area) => {
  if (area !== 'local') return;
  state = await loadState();
  render();
  if (state.token) whenPaired();
});

// Relative times ("just now") age while the popup stays open.
setInterval(() => {
  if (state?.lastSync) $('last-sync').textContent = describeSync(state.lastSync);
}, 30000);

state = await loadState();
render();
if (state.token) whenPaired();
