// The dashboard's first-load benchmark and bundle size (docs/BENCHMARKS.md, "The web app").
//
//   node scripts/bench.mjs [runs]      (default 7 runs; STREAMLENS_BIN picks the binary, as for the e2e test)
//
// Starts Streamlens on a fresh data dir (like e2e/run.mjs), then loads the overview page `runs` times, each in a
// fresh Chromium with a fresh profile (nothing cached), on loopback, and measures the time from the start of the
// navigation to the first draw of the chart (performance.now() when the chart's element gets `data-drawn`).
// The bundle size is the sum of `gzip -9` of the JavaScript and CSS files of web/dist/assets.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { WEB, launchChromium, log, startStreamlens } from '../e2e/server.mjs';

const runs = Number(process.argv[2] ?? process.env.BENCH_RUNS ?? 7);
const dist = join(WEB, 'dist');

function gzip9(path) {
  try {
    return execFileSync('gzip', ['-9', '-c', path], { maxBuffer: 64 << 20 }).length;
  } catch {
    return gzipSync(readFileSync(path), { level: 9 }).length;
  }
}

function bundle() {
  const assets = join(dist, 'assets');
  const files = readdirSync(assets).filter((f) => /\.(js|css)$/.test(f)).sort();
  const rows = files.map((f) => ({ file: `assets/${f}`, raw: readFileSync(join(assets, f)).length, gzip: gzip9(join(assets, f)) }));
  return { rows, raw: rows.reduce((n, r) => n + r.raw, 0), gzip: rows.reduce((n, r) => n + r.gzip, 0) };
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function coldLoad(app) {
  const chromium = await launchChromium();
  try {
    const page = await chromium.context.newPage();
    await page.addInitScript(() => {
      const seen = () => {
        if (document.querySelector('[data-chart][data-drawn]')) {
          window.__chartDrawnAt = performance.now();
          return true;
        }
        return false;
      };
      new MutationObserver((_, observer) => {
        if (seen()) observer.disconnect();
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-drawn'] });
    });
    await page.goto(app, { waitUntil: 'commit' });
    await page.waitForFunction(() => window.__chartDrawnAt !== undefined, null, { timeout: 30_000, polling: 50 });
    return await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      return {
        chart: window.__chartDrawnAt,
        ttfb: nav.responseStart,
        domContentLoaded: nav.domContentLoadedEventEnd,
        requests: performance.getEntriesByType('resource').length + 1,
      };
    });
  } finally {
    await chromium.close();
  }
}

async function main() {
  if (!existsSync(join(dist, 'index.html'))) throw new Error('no web/dist: run npm run build');
  const size = bundle();
  const release = resolve(WEB, '../target/release/streamlens');
  const server = await startStreamlens();
  const results = [];
  try {
    // One load first, not counted: the gateway's first answers (debug build, cold caches) are not the page's.
    await coldLoad(server.app);
    for (let i = 0; i < runs; i += 1) {
      const r = await coldLoad(server.app);
      results.push(r);
      log(`cold load ${i + 1}/${runs}: chart drawn at ${r.chart.toFixed(0)} ms (DOMContentLoaded ${r.domContentLoaded.toFixed(0)} ms, ${r.requests} requests)`);
    }
  } finally {
    await server.stop();
  }
  const charts = results.map((r) => r.chart);
  const summary = {
    date: new Date().toISOString().slice(0, 10),
    binary: server.bin,
    releaseBinaryExists: existsSync(release),
    servedBy: server.fromBinary ? 'the binary (/app/)' : 'e2e/server.mjs (web/dist) in front of the binary',
    runs,
    chartDrawnMs: {
      median: Math.round(median(charts)),
      min: Math.round(Math.min(...charts)),
      max: Math.round(Math.max(...charts)),
      all: charts.map((c) => Math.round(c)),
    },
    domContentLoadedMs: Math.round(median(results.map((r) => r.domContentLoaded))),
    bundle: { files: size.rows, rawBytes: size.raw, gzipBytes: size.gzip },
  };
  console.log(JSON.stringify(summary, null, 2));
  console.log(
    `\nfirst load of the overview, navigation to chart drawn: median ${summary.chartDrawnMs.median} ms ` +
      `(${summary.chartDrawnMs.min} to ${summary.chartDrawnMs.max} ms over ${runs} cold loads; target < 1,000 ms)\n` +
      `bundle, JS + CSS, gzip -9: ${(size.gzip / 1024).toFixed(1)} KiB (${size.gzip} bytes; ${(size.raw / 1024).toFixed(1)} KiB raw; target < 250 KB)`,
  );
  if (!summary.releaseBinaryExists) console.log(`measured against ${server.bin}: there is no release binary at ${release}`);
}

main().catch((error) => {
  console.error(error.stack ?? String(error));
  process.exit(1);
});
