// Registers the (non-caching) service worker that makes MediaFetcher installable. The page adds
// this script after it has loaded, so it registers at once rather than waiting for "load".
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
    console.warn("MediaFetcher: the service worker could not be registered:", error);
  });
}
