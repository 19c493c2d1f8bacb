// Reading cookies with the `cookies` API and shaping them for POST /api/v1/cookies.
import { siteDomains } from './sites.js';

/**
 * The fields the server reads from a chrome.cookies Cookie (core/vault/parse.py `from_chrome`).
 * Store ids, partition keys and sameSite stay behind: the engines that use the jar ignore them.
 */
export function toPayload(cookie) {
  const out = {
    name: cookie.name,
    value: cookie.value,
    domain: cookie.domain,
    hostOnly: Boolean(cookie.hostOnly),
    path: cookie.path || '/',
    secure: Boolean(cookie.secure),
    httpOnly: Boolean(cookie.httpOnly),
    session: Boolean(cookie.session),
  };
  if (!cookie.session && typeof cookie.expirationDate === 'number') out.expirationDate = cookie.expirationDate;
  return out;
}

/** One cookie per (domain, path, name): the first store that has it wins (the default store comes first). */
export function mergeStores(lists) {
  const seen = new Map();
  for (const list of lists) {
    for (const cookie of list) {
      const key = `${cookie.domain}\t${cookie.path}\t${cookie.name}`;
      if (!seen.has(key)) seen.set(key, cookie);
    }
  }
  return [...seen.values()];
}

/**
 * Every cookie of the given sites from every cookie store (normal and private windows,
 * Firefox containers), as payload objects. `cookiesApi` is chrome.cookies (a fake in tests).
 */
export async function collectCookies(cookiesApi, sites) {
  const stores = await cookiesApi.getAllCookieStores();
  const lists = [];
  for (const store of stores) {
    for (const domain of sites.flatMap(siteDomains)) {
      lists.push(await cookiesApi.getAll({ domain, storeId: store.id }));
    }
  }
  return mergeStores(lists).map(toPayload);
}
