/**
 * The demo's report.html in a real headless browser (Debian's Chromium, driven by
 * playwright-core; no browser download): every chart rendered, the headline numbers are
 * report.json's, no console error, no request but the file itself. Saves a screenshot.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { cleanEnv } from '../helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

function demo(workdir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'tui/demo.ts'), '--yes', '--workdir', workdir],
    { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('the demo report.html in headless Chromium', () => {
  let dir: string;
  let browser: BrowserContext | undefined;
  let reportDir: string;
  before(async () => {
    await access(CHROMIUM).catch(() => {
      throw new Error(
        `no Chromium at ${CHROMIUM}: apt-get install chromium (npm test does it when run as root)`,
      );
    });
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-html-test-'));
    const r = await demo(join(dir, 'w'));
    assert.equal(r.code, 0, r.stderr);
    reportDir = r.stdout.trim();
    assert.match(
      r.stderr,
      new RegExp(`open in a browser: ${join(reportDir, 'report.html')}`),
      'the plain output names it',
    );
    // A fresh profile per run (playwright's way of passing --user-data-dir).
    browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      viewport: { width: 1000, height: 900 },
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
    });
  });
  after(async () => {
    await browser?.close();
    // The screenshot stays for a person to look at: only the work dir and profile go.
    if (dir) {
      await rm(join(dir, 'w'), { recursive: true, force: true });
      await rm(join(dir, 'profile'), { recursive: true, force: true });
    }
  });

  it('renders every chart, shows report.json’s numbers, logs no error and requests nothing', async (t) => {
    const file = join(reportDir, 'report.html');
    const json = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8'));
    assert.equal(json.html, file, 'report.json names the file');
    assert.match(await readFile(join(reportDir, 'report.txt'), 'utf8'), /html {6}.*report\.html/);

    const page = await browser!.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => ({
        name: f.getAttribute('data-chart'),
        svgs: f.querySelectorAll('svg').length,
        paths: [...f.querySelectorAll('path')].filter((p) => (p.getAttribute('d') ?? '').trim().length > 0)
          .length,
        width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
      })),
    );
    const names = charts.map((c) => c.name);
    // The demo has no failures and no fleet: those two charts are replaced by a sentence.
    for (const want of [
      'timeline',
      'bytes',
      'objects',
      'outcomes',
      'verification',
      'sizes',
      'classes',
      'deadline',
    ])
      assert.ok(names.includes(want), `chart ${want} is in the page (${names.join(', ')})`);
    for (const c of charts) {
      assert.equal(c.svgs, 1, `${c.name}: one svg`);
      assert.ok(c.paths > 0, `${c.name}: drawn (non-empty paths)`);
      assert.ok(c.width > 100, `${c.name}: laid out (${c.width}px wide)`);
    }

    const v = json.verdict;
    const num = async (name: string) => Number(await page.textContent(`[data-num="${name}"]`));
    assert.equal(await num('sourceObjects'), v.sourceObjects);
    assert.equal(await num('migrated'), v.migrated);
    assert.equal(await num('verified'), v.verified);
    assert.equal(await num('problems'), v.problems);
    assert.match(
      (await page.textContent('#outcome')) ?? '',
      new RegExp(`Migrated and verified ${v.verified} of ${v.sourceObjects} objects`),
    );

    // The long list pages (25 rows) and searches client-side.
    const visible = () => page.$$eval('table.paged tbody tr', (rows) => rows.filter((r) => !r.hidden).length);
    assert.equal(await visible(), 25);
    await page.fill('table.paged ~ * input, .pager input', 'photo-001');
    assert.ok((await visible()) >= 1 && (await visible()) < 25, 'search narrows the list');

    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok((await stat(shot)).size > 10_000);
    t.diagnostic(`screenshot: ${shot}; report.html ${(await stat(file)).size} bytes`);

    assert.deepEqual(errors, [], 'no console errors');
    assert.deepEqual(
      requests.filter((u) => !u.startsWith('file:')),
      [],
      'no network request',
    );
    await page.close();
  });

  it('writes report.html beside summary.txt in every pass report too', async () => {
    const json = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8'));
    for (const d of Object.values(json.passReports) as string[]) {
      const html = await readFile(join(d, 'report.html'), 'utf8');
      assert.match(html, /<svg/, `${d}: charts inline`);
      assert.doesNotMatch(
        html,
        /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/,
        `${d}: nothing remote`,
      );
    }
  });
});
