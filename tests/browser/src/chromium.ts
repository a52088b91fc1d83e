import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type ConsoleMessage, type Page, chromium } from 'playwright-core';

/** Debian's chromium package; Playwright's own browser downloads are not used (there is no network for them). */
export const CHROMIUM_PATH = process.env.CONVKIT_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_INSTALL = 'apt-get update && apt-get install -y chromium';

/**
 * Headless, offline and quiet: no sandbox (CI runs as root in a container), no GPU process for hardware,
 * so WebGL is SwiftShader's software renderer (enabled explicitly: Chromium stops falling back to it silently).
 */
const ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--headless', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];

export class ChromiumMissingError extends Error {
  override name = 'ChromiumMissingError';
}

export interface ChromiumSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Every console line and page error so far, `[type] text`, to print when a test fails. */
  log: string[];
  close(): Promise<void>;
}

/**
 * Starts Chromium with a fresh profile and one page, viewport `width` x `height`, with `args` after the
 * default flags (WebGPU's, for one). Throws ChromiumMissingError,
 * naming the install command, when the executable is not there.
 */
export async function launchChromium(options: { width?: number; height?: number; echo?: boolean; args?: string[] } = {}): Promise<ChromiumSession> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new ChromiumMissingError(
      `browser tests need Chromium at ${CHROMIUM_PATH}, which is missing. Install Debian's package as root: ` +
        `${CHROMIUM_INSTALL} (or point CONVKIT_CHROMIUM at another Chromium executable)`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'convkit-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: [...ARGS, ...(options.args ?? [])],
    headless: true,
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const log: string[] = [];
  const record = (line: string) => {
    log.push(line);
    if (options.echo) console.log(line);
  };
  page.on('console', (m: ConsoleMessage) => record(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e: Error) => record(`[pageerror] ${e.stack ?? e.message}`));
  return {
    browser: context.browser()!,
    context,
    page,
    log,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
