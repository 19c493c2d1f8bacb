// Which sites' cookies the extension syncs, and which host permissions that takes.
// The server stores cookies per site (core/vault/sites.py); x.com and twitter.com are one site
// there, so they are one tick here too.

export const DEFAULT_SITES = [
  'youtube.com',
  'x.com',
  'instagram.com',
  'tiktok.com',
  'soundcloud.com',
  'pinterest.com',
  'twitch.tv',
];

const ALIASES = { 'x.com': ['twitter.com'] };

const HOST_RE = /^(?:[a-z0-9-]+\.)*[a-z0-9-]+$/;
const IPV4_RE = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Every cookie domain a ticked site covers (the site itself plus its aliases). */
export function siteDomains(site) {
  return [site, ...(ALIASES[site] ?? [])];
}

/** A user's entry ("https://www.Vimeo.com/x", "vimeo.com", "127.0.0.1") as a site name, or null. */
export function normaliseSite(input) {
  const raw = String(input ?? '').trim().toLowerCase();
  if (!raw) return null;
  let host;
  try {
    host = new URL(raw.includes('://') ? raw : `http://${raw}`).hostname;
  } catch {
    return null;
  }
  host = host.replace(/^www\./, '').replace(/\.$/, '');
  return HOST_RE.test(host) ? host : null;
}

function isAddress(domain) {
  return domain === 'localhost' || IPV4_RE.test(domain);
}

/** Host permissions for a site's cookies: the domain and its subdomains, any scheme. */
export function originPatterns(site) {
  return siteDomains(site).flatMap((domain) =>
    isAddress(domain) ? [`*://${domain}/*`] : [`*://${domain}/*`, `*://*.${domain}/*`],
  );
}

/** True when a host name (or a cookie's domain, leading dot or not) belongs to the site. */
export function belongsTo(hostOrDomain, site) {
  const host = String(hostOrDomain).toLowerCase().replace(/^\./, '');
  return siteDomains(site).some((domain) => host === domain || host.endsWith(`.${domain}`));
}

/** Sites whose page URL is itself worth sending (the server's extractors know them). */
export const KNOWN_MEDIA_SITES = DEFAULT_SITES.flatMap(siteDomains).concat(['youtu.be']);
