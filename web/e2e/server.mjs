// Starts a Streamlens binary for the end-to-end test and the benchmark: a fresh data dir, a free loopback port,
// the admin password given, and waits until it is ready and has a first ready series. The binary serves the
// dashboard at /app/ itself (embedded from web/dist when it was compiled; the test checks it is this build). With
// STREAMLENS_APP_FROM_BINARY=0 (a binary built before a change to web/), a small Node server serves web/dist at
// /app/ (with the same SPA fallback) and forwards everything else, websockets included, to the binary.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, createWriteStream } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ADMIN_PASSWORD = 'e2e-admin-password-1234';

export function log(message) {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export async function freePort() {
  return new Promise((ok, fail) => {
    const server = net.createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `promise`, or nothing once `ms` have passed (cleanups must not hang a run). */
export function withTimeout(promise, ms) {
  let timer;
  return Promise.race([promise, new Promise((ok) => (timer = setTimeout(ok, ms)))]).finally(() => clearTimeout(timer));
}

export async function graphql(base, query, variables = {}, token) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

async function waitFor(what, timeoutMs, probe) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Serves `dist` at /app/ like the binary does (api/src/http/webapp.rs), and forwards the rest to `backend`. */
export async function startAppServer(dist, backendPort) {
  const root = resolve(dist);
  const file = (rel) => {
    const path = normalize(join(root, rel));
    if (!path.startsWith(root)) return null;
    return existsSync(path) && statSync(path).isFile() ? path : null;
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/app') {
      res.writeHead(308, { location: '/app/' }).end();
      return;
    }
    if (url.pathname.startsWith('/app/')) {
      const rel = decodeURIComponent(url.pathname.slice('/app/'.length));
      const last = rel.split('/').pop() ?? '';
      let path = rel ? file(rel) : file('index.html');
      if (!path && !last.includes('.')) path = file('index.html');
      if (!path) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such file in the web app');
        return;
      }
      res.writeHead(200, {
        'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
        'cache-control': rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
      res.end(readFileSync(path));
      return;
    }
    const upstream = http.request(
      { host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  const tunnels = new Set();
  server.on('upgrade', (req, socket, head) => {
    const upstream = net.connect(backendPort, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head?.length) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    const close = () => {
      socket.destroy();
      upstream.destroy();
      tunnels.delete(close);
    };
    tunnels.add(close);
    upstream.on('error', close);
    upstream.on('close', close);
    socket.on('error', close);
    socket.on('close', close);
  });
  const port = await freePort();
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  return {
    port,
    close: () =>
      new Promise((ok) => {
        for (const close of [...tunnels]) close();
        server.close(() => ok());
        server.closeAllConnections?.();
      }),
  };
}

/**
 * Starts the binary (env STREAMLENS_BIN, default ../target/debug/streamlens) and, unless it serves /app/ itself,
 * the dist server. Returns the URLs and a stop function.
 */
export async function startStreamlens({ dist = join(WEB, 'dist'), logFile } = {}) {
  const bin = resolve(WEB, process.env.STREAMLENS_BIN ?? '../target/debug/streamlens');
  if (!existsSync(bin)) throw new Error(`no Streamlens binary at ${bin} (set STREAMLENS_BIN)`);
  const fromBinary = (process.env.STREAMLENS_APP_FROM_BINARY ?? '1') === '1';
  const dataDir = mkdtempSync(join(tmpdir(), 'streamlens-e2e-'));
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const started = Date.now();
  const out = logFile ? createWriteStream(logFile) : null;
  const child = spawn(bin, [], {
    env: {
      ...process.env,
      STREAMLENS_DATA_DIR: dataDir,
      STREAMLENS_LISTEN: `127.0.0.1:${port}`,
      STREAMLENS_ADMIN_PASSWORD: ADMIN_PASSWORD,
      STREAMLENS_SIMULATOR_SPEED: process.env.STREAMLENS_SIMULATOR_SPEED ?? '1',
      STREAMLENS_LOG: process.env.STREAMLENS_LOG ?? 'warn',
    },
    stdio: ['ignore', out ? 'pipe' : 'ignore', out ? 'pipe' : 'ignore'],
  });
  if (out) {
    child.stdout.pipe(out);
    child.stderr.pipe(out);
  }
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });

  let proxy = null;
  const stop = async () => {
    await withTimeout(proxy?.close(), 5_000);
    if (!exited) {
      child.kill('SIGINT');
      const until = Date.now() + 10_000;
      while (!exited && Date.now() < until) await sleep(100);
      if (!exited) child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitFor('/readyz', 60_000, async () => {
      if (exited) throw new Error(`the binary exited (${exited.code ?? exited.signal})`);
      const response = await fetch(`${api}/readyz`);
      return response.ok;
    });
    const ready = Date.now();
    const series = await waitFor('the first ready series', 60_000, async () => {
      const answer = await graphql(api, '{ seriesList(status: READY, first: 1) { edges { node { id } } } }');
      return answer.data?.seriesList.edges[0]?.node.id;
    });
    log(`streamlens ready on ${api} in ${((ready - started) / 1000).toFixed(1)} s; first series ${series} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    let app;
    if (fromBinary) {
      app = `${api}/app/`;
      // The binary embeds web/dist when it is compiled: make sure it is this web/dist, not an older build.
      const served = await (await fetch(app)).text();
      const built = readFileSync(join(dist, 'index.html'), 'utf8');
      if (served !== built) {
        throw new Error(`${bin} serves another build of the dashboard than ${dist}: rebuild the binary, or unset STREAMLENS_APP_FROM_BINARY`);
      }
    } else {
      if (!existsSync(join(dist, 'index.html'))) throw new Error(`no ${dist}/index.html: run npm run build`);
      proxy = await startAppServer(dist, port);
      app = `http://127.0.0.1:${proxy.port}/app/`;
      log(`serving ${dist} at ${app} (STREAMLENS_APP_FROM_BINARY=1 uses the binary's /app/)`);
    }
    return { api, app, bin, fromBinary, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/**
 * Launches Debian's Chromium headless with a fresh profile (`--user-data-dir`, which Playwright takes as the
 * persistent context's directory); returns its browser context and a cleanup that also removes the profile.
 */
export async function launchChromium(options = {}) {
  const { chromium } = await import('playwright-core');
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'streamlens-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    ...options,
  });
  return {
    context,
    close: async () => {
      await withTimeout(context.close().catch(() => {}), 15_000);
      const browser = context.browser();
      if (browser) await withTimeout(browser.close().catch(() => {}), 5_000);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
