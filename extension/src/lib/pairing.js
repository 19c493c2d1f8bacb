// The extension's half of pairing (the server's half: mediafetcher_app/core/pairing.py).
// A random secret code stays in the extension; only its SHA-256 "challenge" goes into the
// pairing page's URL. After the signed-in user approves, the code is traded for a token.
//
// Which servers: a host on the user's own network (address.js) over http or https, or any host
// over https once the user confirmed that it is a public server (isPublicServer). Plain http to a
// public host is refused: the token and the cookies would cross the internet in clear text.

import { isLocalHost } from './address.js';

const FORM_HINT = 'Enter the address of your MediaFetcher server, for example http://nas.local:3000.';

function base64url(bytes) {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** 32 random bytes as base64url (43 characters): the secret that claims the token. */
export function randomCode(cryptoImpl = globalThis.crypto) {
  return base64url(cryptoImpl.getRandomValues(new Uint8Array(32)));
}

/** Lower-case hex SHA-256 of the code, as the server computes it (auth.digest). */
export async function challengeFor(code, cryptoImpl = globalThis.crypto) {
  const digest = await cryptoImpl.subtle.digest('SHA-256', new TextEncoder().encode(code));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The short code both the popup and the pairing page show (pairing.confirmation_code). */
export function confirmationCode(challenge) {
  return `${challenge.slice(0, 4)}-${challenge.slice(4, 8)}`.toUpperCase();
}

/**
 * "nas.local:3000" or "https://nas.example/app" -> the server's origin; throws Error with a hint
 * for nonsense and for http:// to a host outside the user's network.
 */
export function normaliseServer(input) {
  const raw = String(input ?? '').trim();
  if (!raw) throw new Error(FORM_HINT);
  let url;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new Error(`"${raw}" is not an address. ${FORM_HINT}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(FORM_HINT);
  if (url.username || url.password) throw new Error('Leave the user name and password out of the address.');
  if (url.protocol === 'http:' && !isLocalHost(url.hostname)) {
    throw new Error(
      `${url.hostname} is not on your own network, and http:// would send your token and cookies across the ` +
        'internet unencrypted. Use the address the server has at home (like http://192.168.1.20:3000 or ' +
        'http://nas.local:3000), or its https:// address.',
    );
  }
  return url.origin;
}

/** True for a server on the public internet (only https gets this far): pair only once the user confirms. */
export function isPublicServer(origin) {
  return !isLocalHost(new URL(origin).hostname);
}

/** The sentence the popup shows before pairing with a public server. */
export function publicServerWarning(origin) {
  return (
    `${new URL(origin).hostname} is on the public internet, not on your own network. Pairing gives it this ` +
    "browser's MediaFetcher token (and, for an administrator, the cookies of the sites you tick). Continue only " +
    'if it is your own server.'
  );
}

/**
 * The host permission to request for the server. Without the port: Firefox match patterns
 * cannot hold one (Chromium's ignore it when absent), so this grants that host on any port.
 */
export function hostPermission(origin) {
  const url = new URL(origin);
  return `${url.protocol}//${url.hostname}/*`;
}

export function pairingUrl(origin, challenge, name) {
  return `${origin}/pair?${new URLSearchParams({ challenge, name })}`;
}

/** "Firefox on Linux", "Chrome on Windows": what the pairing page and the token label call us. */
export function browserName(userAgent) {
  const ua = String(userAgent ?? '');
  const browsers = [
    ['Firefox', /Firefox\//],
    ['Edge', /Edg\//],
    ['Opera', /OPR\//],
    ['Chrome', /Chrome\//],
  ];
  const systems = [
    ['Android', /Android/],
    ['ChromeOS', /CrOS/],
    ['Windows', /Windows/],
    ['macOS', /Mac OS X|Macintosh/],
    ['Linux', /Linux/],
  ];
  const browser = browsers.find(([, re]) => re.test(ua))?.[0] ?? 'Browser';
  const system = systems.find(([, re]) => re.test(ua))?.[0];
  return system ? `${browser} on ${system}` : browser;
}
