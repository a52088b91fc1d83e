export { CHROMIUM_INSTALL, CHROMIUM_PATH, ChromiumMissingError, type ChromiumSession, launchChromium } from './chromium.js';
export { type StaticServer, serveStatic } from './serve.js';
