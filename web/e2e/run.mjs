// End-to-end test of the dashboard in Debian's headless Chromium, against a Streamlens binary it starts itself:
// sign in, rankings and a period switch, a channel with its chart drawn, a live update without reload, an admin
// re-run, the minute-data permission as an anonymous viewer; screenshots of every page at 1280×800 and 390×844
// go to docs/screenshots/. Exits non-zero on any failure.
//
//   node e2e/run.mjs        (STREAMLENS_BIN: the binary, default ../target/debug/streamlens;
//                            STREAMLENS_APP_FROM_BINARY=0: serve web/dist instead of the binary's own /app/)
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { auditGraphQLOverHttp } from './http-audit.mjs';
import { ADMIN_PASSWORD, WEB, launchChromium, log, startStreamlens } from './server.mjs';

const SHOTS = join(WEB, '..', 'docs', 'screenshots');
const SCRATCH = join(WEB, '.e2e');
const SIZES = [
  { name: '1280x800', width: 1280, height: 800 },
  { name: '390x844', width: 390, height: 844 },
];
const LIVE_TIMEOUT = 75_000;
/** The whole run, server start to cleanup; past it the run fails (and stops the server it started). */
const RUN_TIMEOUT = 300_000;
let stopServer = null;
setTimeout(async () => {
  log(`FAIL the end-to-end test did not finish within ${RUN_TIMEOUT / 1000} s`);
  await stopServer?.();
  process.exit(1);
}, RUN_TIMEOUT).unref();

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const audited = [];

/** axe-core on the page as it is: no serious or critical violation of WCAG rules (contrast, names, landmarks…). */
async function accessible(page, name) {
  await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const { violations } = await window.axe.run(document, { resultTypes: ['violations'] });
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
  expect(violations.length === 0, `accessibility of ${name}: ${violations.join('; ')}`);
  audited.push(name);
}

const steps = [];
async function step(name, fn) {
  const started = Date.now();
  try {
    const value = await fn();
    const ms = Date.now() - started;
    steps.push({ name, ms, ok: true });
    log(`ok   ${name} (${(ms / 1000).toFixed(1)} s)`);
    return value;
  } catch (error) {
    steps.push({ name, ms: Date.now() - started, ok: false });
    log(`FAIL ${name}: ${error.message.split('\n')[0]}`);
    throw error;
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

/** Waits until the chart in `scope` has drawn at least `points` points, and checks it painted the series. */
async function chartDrawn(page, points = 1, timeout = 20_000) {
  await page.waitForFunction(
    (min) => [...document.querySelectorAll('[data-chart][data-drawn]')].some((el) => Number(el.dataset.points) >= min),
    points,
    { timeout },
  );
  // Pixels of the series colours (--chart-1, --chart-2) on the canvas: the curve (or its points) is really there.
  const painted = await page.evaluate(() => {
    const el = [...document.querySelectorAll('[data-chart][data-drawn]')][0];
    const canvas = el.querySelector('canvas');
    const style = getComputedStyle(document.documentElement);
    const colours = ['--chart-1', '--chart-2'].map((name) => {
      const hex = style.getPropertyValue(name).trim();
      return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    });
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 200 && colours.some((want) => want.every((c, k) => Math.abs(data[i + k] - c) < 24))) count += 1;
    }
    return count;
  });
  expect(painted > 10, `the chart's canvas shows no series pixels (${painted})`);
  return painted;
}

async function shoot(page, name, size) {
  await page.setViewportSize({ width: size.width, height: size.height });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SHOTS, `${name}-${size.name}.png`), fullPage: false });
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  mkdirSync(SCRATCH, { recursive: true });
  const totalStart = Date.now();
  const server = await step('start streamlens and wait for the first ready series', () =>
    startStreamlens({ logFile: join(SCRATCH, 'streamlens.log') }),
  );
  stopServer = server.stop;
  await step('GraphQL over HTTP: every audit of graphql-http passes against /graphql', async () => {
    const n = await auditGraphQLOverHttp(server.api);
    log(`${n} audits passed`);
  });
  let chromium = null;
  const pageErrors = [];
  const watch = (page) => {
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) pageErrors.push(message.text());
    });
  };
  let page;
  try {
    chromium = await step('launch chromium', () => launchChromium());
    page = await chromium.context.newPage();
    watch(page);
    const app = server.app;

    await step('overview loads without signing in, chart drawn', async () => {
      await page.goto(app);
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      await page.getByText('Live channels now').waitFor();
      await chartDrawn(page);
      await page.locator('[data-testid="live-status"][data-state="live"]').waitFor({ timeout: 15_000 });
      await accessible(page, 'the overview (anonymous)');
    });

    await step('keyboard: the first Tab reaches the skip link, which moves focus to the content', async () => {
      await page.keyboard.press('Tab');
      expect((await page.evaluate(() => document.activeElement?.textContent)) === 'Skip to content', 'skip link not focused first');
      await page.keyboard.press('Enter');
      expect((await page.evaluate(() => document.activeElement?.id)) === 'main', 'skip link did not move focus to main');
    });

    await step('anonymous: minute data is refused and the page says which permission it needs', async () => {
      const login = await page.locator('table.data tbody tr td a[href*="/app/channel/"]').first().getAttribute('href');
      await page.goto(new URL(`${login}?g=minute`, app).href);
      await page.getByTestId('forbidden').first().waitFor();
      const text = await page.getByTestId('forbidden').first().textContent();
      expect(text.includes('minute-data:read'), `the notice does not name the permission: ${text}`);
      await chartDrawn(page); // the hourly curve the viewer may see
    });

    await step('sign in as admin through the login page', async () => {
      await page.goto(app);
      await page.getByRole('link', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      for (const size of SIZES) await shoot(page, 'login', size);
      await page.setViewportSize({ width: 1280, height: 800 });
      await accessible(page, 'the login page');
      await page.getByLabel('Login', { exact: true }).fill('admin');
      await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      await page.getByRole('link', { name: 'Admin' }).waitFor();
      expect(await page.evaluate(() => !!sessionStorage.getItem('streamlens.session')), 'no session in sessionStorage');
      await chartDrawn(page);
    });
    // No page load from here on, unless a step says so: this marker would be lost.
    await page.evaluate(() => (window.__e2eNoReload = true));

    await step('rankings: open, switch period to week, then back to day', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rankings' }).click();
      await page.getByRole('heading', { level: 1, name: 'Rankings' }).waitFor();
      await page.getByTestId('ranking').waitFor();
      const dayLabel = await page.locator('.period-label strong').textContent();
      await page.getByRole('navigation', { name: 'Period' }).getByRole('link', { name: 'Week' }).click();
      await page.waitForFunction((before) => document.querySelector('.period-label strong')?.textContent !== before, dayLabel);
      const weekLabel = await page.locator('.period-label strong').textContent();
      expect(/^\d{4}-W\d{2}$/.test(weekLabel), `week label ${weekLabel}`);
      expect(page.url().includes('period=week'), `the URL does not say the period: ${page.url()}`);
      // A fresh server may not have rolled its first week up yet: the table, or the page saying so.
      await page.locator('[data-testid="ranking"], .state.empty').first().waitFor();
      await page.getByRole('navigation', { name: 'Period' }).getByRole('link', { name: 'Day' }).click();
      await page.waitForFunction((before) => document.querySelector('.period-label strong')?.textContent === before, dayLabel);
      expect(await page.evaluate(() => window.__e2eNoReload === true), 'the page was reloaded');
      await page.getByTestId('ranking').waitFor();
      await accessible(page, 'the rankings');
    });

    await step('channel: open the top channel, viewer chart drawn with minute data', async () => {
      await page.getByTestId('ranking').locator('tbody tr').first().locator('a[href*="/app/channel/"]').click();
      await page.getByRole('heading', { level: 2, name: 'Viewers' }).waitFor();
      const current = await page.getByRole('navigation', { name: 'Granularity' }).locator('[aria-current="true"]').textContent();
      expect(current === 'Minute', `admins should see minute data first, not ${current}`);
      await chartDrawn(page);
      await accessible(page, 'a channel');
    });

    const channelUrl = page.url();
    await step(`live: a seriesReady updates the channel page without reload (up to ${LIVE_TIMEOUT / 1000} s)`, async () => {
      const before = await page.getByTestId('updated-at').first().getAttribute('data-updated');
      const pointsBefore = Number(await page.locator('[data-chart]').first().getAttribute('data-points'));
      const seriesBefore = await page.getByTestId('live-status').textContent();
      await page.waitForFunction(
        (b) => document.querySelector('[data-testid="updated-at"]')?.getAttribute('data-updated') !== b,
        before,
        { timeout: LIVE_TIMEOUT, polling: 250 },
      );
      const seriesAfter = await page.getByTestId('live-status').textContent();
      expect(seriesAfter !== seriesBefore, `the live status did not move (${seriesAfter})`);
      expect(await page.evaluate(() => window.__e2eNoReload === true), 'the page was reloaded');
      expect(page.url() === channelUrl, 'the page changed');
      // The minute curve has the new minute.
      await chartDrawn(page, pointsBefore + 1, 15_000);
    });
    for (const size of SIZES) await shoot(page, 'channel', size);
    await page.setViewportSize({ width: 1280, height: 800 });

    await step('game: open the channel\'s game, chart drawn', async () => {
      await page.locator('.lede a[href*="/app/game/"]').first().click();
      await page.getByRole('heading', { level: 2, name: 'Top channels' }).waitFor();
      await chartDrawn(page);
      await accessible(page, 'a game');
    });
    for (const size of SIZES) await shoot(page, 'game', size);
    await page.setViewportSize({ width: 1280, height: 800 });

    await step('admin: re-run a series and see it acknowledged, then its new run', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
      await page.getByTestId('series').waitFor();
      const row = page.getByTestId('series').locator('tbody').first();
      const id = (await row.locator('th .sub').textContent()).trim();
      await row.getByRole('button', { name: 'Re-run' }).click();
      const said = page.locator('#series [data-testid="outcome"]');
      await page.waitForFunction(() => /Re-run of .* enqueued: run \w+/.test(document.querySelector('#series [data-testid="outcome"]')?.textContent ?? ''));
      const text = await said.textContent();
      expect(text.includes(id), `the acknowledgement names another series: ${text}`);
      const runId = /run (\w+)\.?$/.exec(text)?.[1];
      // The runs of that series open, and the new run shows up (it is read again with each live update).
      await page.locator(`.runs code:text-is("${runId}")`).waitFor({ timeout: LIVE_TIMEOUT });
      await page.locator('#sources').getByRole('button', { name: /^Pull now/ }).first().click();
      await page.waitForFunction(() => /enqueued/.test(document.querySelector('#sources [data-testid="outcome"]')?.textContent ?? ''));
      await accessible(page, 'the admin page with a run open');
    });
    for (const size of SIZES) await shoot(page, 'admin', size);

    await step('screenshots of overview and rankings at both sizes', async () => {
      for (const size of SIZES) {
        await page.setViewportSize({ width: size.width, height: size.height });
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
        await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
        await chartDrawn(page);
        await shoot(page, 'overview', size);
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rankings' }).click();
        await page.getByTestId('ranking').waitFor();
        await shoot(page, 'rankings', size);
      }
      // Nothing at 390 px may be wider than the screen (tables scroll inside their own box).
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow <= 0, `the rankings page is ${overflow}px wider than a 390px screen`);
    });

    await step('sign out ends the session', async () => {
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('link', { name: 'Sign in' }).waitFor();
      expect(await page.evaluate(() => sessionStorage.getItem('streamlens.session')) === null, 'the session is still stored');
    });

    await step('a refused token ends the session: to the login page, which says why', async () => {
      const forged = await chromium.context.newPage();
      try {
        await forged.addInitScript(() => {
          const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
          sessionStorage.setItem('streamlens.session', JSON.stringify({ token: 'not.a.token', expiresAt, login: 'admin', role: 'ADMIN' }));
        });
        await forged.goto(new URL('rankings?period=week', app).href);
        await forged.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
        await forged.getByText('did not accept your session').waitFor();
        const next = new URL(forged.url()).searchParams.get('next');
        expect(next === '/app/rankings?period=week', `the login page would not go back to the page: ${next}`);
      } finally {
        await forged.close();
      }
    });

    expect(pageErrors.length === 0, `errors in the page:\n${pageErrors.join('\n')}`);
  } catch (error) {
    if (page) await page.screenshot({ path: join(SCRATCH, 'failure.png'), fullPage: true }).catch(() => {});
    log(`the page at the failure: ${page?.url()} (screenshot in web/.e2e/failure.png, server log in web/.e2e/streamlens.log)`);
    if (pageErrors.length) log(`errors in the page:\n${pageErrors.join('\n')}`);
    throw error;
  } finally {
    await chromium?.close();
    await server.stop();
    log(`accessibility (axe-core, serious and critical rules) checked on ${audited.length} pages`);
    log(`e2e: ${steps.filter((s) => s.ok).length}/${steps.length} steps passed in ${((Date.now() - totalStart) / 1000).toFixed(1)} s`);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error.stack ?? String(error));
    process.exit(1);
  },
);
