// MediaFetcher's service worker: it exists so phones can install the app and offer it in the
// share sheet. It caches nothing: media (/media, /thumbs), API answers and pages are private and
// change all the time, so every request goes to the server as if there were no worker at all.
// Caches left by an older version are removed on activation.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});
