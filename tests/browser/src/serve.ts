import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.safetensors': 'application/octet-stream',
};

export interface StaticServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves files on 127.0.0.1 at an ephemeral port: each URL prefix in `mounts` maps to a folder
 * ('/' to the site, '/fixtures/' to a fixture folder), and `pages` answers exact paths from memory
 * (a bundle built for the test). A path that leaves its folder is refused. `headers` go on every
 * response (COOP/COEP, for a cross-origin isolated page).
 */
export async function serveStatic(
  mounts: Record<string, string>,
  pages: Record<string, { type: string; body: string | Uint8Array }> = {},
  options: { headers?: Record<string, string> } = {},
): Promise<StaticServer> {
  const extra = options.headers ?? {};
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const page = pages[path];
    if (page) {
      response.writeHead(200, { ...extra, 'content-type': page.type, 'cache-control': 'no-store' });
      response.end(page.body);
      return;
    }
    const prefix = prefixes.find((p) => path.startsWith(p));
    if (!prefix) return notFound(response, path);
    const root = normalize(mounts[prefix]!);
    let file = normalize(join(root, path.slice(prefix.length)));
    if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) return notFound(response, path);
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const size = statSync(file).size;
      response.writeHead(200, { ...extra, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': size });
      createReadStream(file).pipe(response);
    } catch {
      notFound(response, path);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function notFound(response: import('node:http').ServerResponse, path: string): void {
  response.writeHead(404, { 'content-type': 'text/plain' });
  response.end(`not found: ${path}`);
}
