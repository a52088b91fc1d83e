/**
 * Registers the service worker (service-worker.ts, emitted by the build as sw.js) that keeps the demo
 * usable offline. Not in `vite dev`, where files change under it.
 */
export function registerServiceWorker(onError: (error: unknown) => void): void {
  if (!import.meta.env.PROD) return;
  if (!('serviceWorker' in navigator)) {
    onError(new Error('this browser has no service workers: the demo works while online only'));
    return;
  }
  navigator.serviceWorker.register(new URL('./sw.js', document.baseURI)).catch((error: Error) => {
    onError(new Error(`cannot install the offline copy (sw.js): ${error.message}; the demo works while online only`, { cause: error }));
  });
}
