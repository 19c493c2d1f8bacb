// Finding media on a page, and choosing what a context-menu click sends.

/**
 * Lists the media on a page: the page itself when it is on a known site, <video> and <audio>
 * sources, og:video/og:image, and large <img>s. Returns {page: {url, title}, items: [...]},
 * each item {kind: page|video|audio|image, url, label}, without duplicates or blob:/data: URLs.
 *
 * It is injected into the tab with scripting.executeScript({func: detectMedia, args: [sites]}),
 * which sends the function's source text: everything it uses must be inside it. `doc` is for
 * tests (a linkedom document); in a tab it is the page's document.
 */
export function detectMedia(knownSites, doc = document) {
  const MIN_IMAGE_SIDE = 200;
  const MAX_ITEMS = 50;
  const pageUrl = doc.URL;
  const items = [];
  const seen = new Set();

  const absolute = (raw) => {
    if (!raw) return null;
    try {
      const url = new URL(raw.trim(), doc.baseURI || pageUrl);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
    } catch {
      return null;
    }
  };
  const add = (kind, raw, label) => {
    const url = absolute(raw);
    if (!url || seen.has(url) || items.length >= MAX_ITEMS) return;
    seen.add(url);
    items.push({ kind, url, label: (label || '').trim().slice(0, 120) || url.split('/').pop() || url });
  };
  const side = (img, natural, attribute) => img[natural] || Number.parseInt(img.getAttribute(attribute), 10) || 0;
  const title = (doc.title || '').trim();

  const host = (() => {
    try {
      return new URL(pageUrl).hostname.toLowerCase();
    } catch {
      return '';
    }
  })();
  if (knownSites.some((site) => host === site || host.endsWith(`.${site}`))) add('page', pageUrl, title);

  for (const kind of ['video', 'audio']) {
    for (const element of doc.querySelectorAll(kind)) {
      const label = element.getAttribute('title') || element.getAttribute('aria-label') || title;
      add(kind, element.currentSrc || element.getAttribute('src'), label);
      for (const source of element.querySelectorAll('source')) add(kind, source.getAttribute('src'), label);
    }
  }
  const meta = (property) =>
    [...doc.querySelectorAll(`meta[property="${property}"], meta[name="${property}"]`)].map((m) =>
      m.getAttribute('content'),
    );
  for (const property of ['og:video', 'og:video:url', 'og:video:secure_url']) {
    for (const url of meta(property)) add('video', url, title);
  }
  for (const property of ['og:image', 'og:image:url', 'og:image:secure_url']) {
    for (const url of meta(property)) add('image', url, title);
  }
  for (const img of doc.querySelectorAll('img')) {
    const width = side(img, 'naturalWidth', 'width');
    const height = side(img, 'naturalHeight', 'height');
    if (Math.min(width, height) >= MIN_IMAGE_SIDE) add('image', img.currentSrc || img.getAttribute('src'), img.alt);
  }
  return { page: { url: pageUrl, title }, items };
}

function isWeb(url) {
  return typeof url === 'string' && /^https?:\/\//i.test(url);
}

/**
 * What "Send to MediaFetcher" sends for a context-menu click (contextMenus.OnClickData):
 * the image/video/audio file when it has a real URL, else the link, else the page (a video
 * played from a blob: URL is best fetched through its page, which the server's extractors know).
 */
export function menuTargetUrl(info) {
  if (['image', 'video', 'audio'].includes(info.mediaType) && isWeb(info.srcUrl)) return info.srcUrl;
  if (isWeb(info.linkUrl)) return info.linkUrl;
  if (isWeb(info.srcUrl)) return info.srcUrl;
  return isWeb(info.pageUrl) ? info.pageUrl : null;
}
