import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};

/**
 * COOP/COEP on every response make the page cross-origin isolated, which SharedArrayBuffer (and so every
 * threaded wasm build) needs. Written here rather than with @convkit/browser-test's serveStatic, which
 * sends no such headers.
 */
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

export interface BenchServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `pages` from memory and each prefix of `mounts` from its folder, on 127.0.0.1 at an ephemeral port. */
export async function serveIsolated(mounts: Record<string, string>, pages: Record<string, { type: string; body: string | Uint8Array }>): Promise<BenchServer> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const page = pages[path];
    if (page) {
      response.writeHead(200, { ...ISOLATION, 'content-type': page.type, 'cache-control': 'no-store' });
      response.end(page.body);
      return;
    }
    const prefix = Object.keys(mounts).find((p) => path.startsWith(p));
    const root = prefix && normalize(mounts[prefix]!);
    const file = root && normalize(join(root, path.slice(prefix.length)));
    let size = -1;
    try {
      if (file && file.startsWith(root + sep)) size = statSync(file).size;
    } catch {
      // answered as not found below
    }
    if (size < 0) {
      response.writeHead(404, { ...ISOLATION, 'content-type': 'text/plain' });
      response.end(`not found: ${path}`);
      return;
    }
    response.writeHead(200, { ...ISOLATION, 'content-type': TYPES[extname(file!)] ?? 'application/octet-stream', 'content-length': size });
    createReadStream(file!).pipe(response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
