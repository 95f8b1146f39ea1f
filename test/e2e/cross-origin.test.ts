/**
 * The trust boundary of browser mode in real Chromium: the printed URL signs the browser
 * in and leaves a token-free address; a page served by another local server — which the
 * browser does send our cookie to, since cookies ignore ports — can neither open the
 * WebSocket nor upload.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { launchBrowser, openApp, screenshot } from './browser';

const appUrl = inject('appUrl');
const dataDir = inject('dataDir');
let browser: Browser;
let attacker: http.Server;
let attackerOrigin: string;
/** The Cookie headers the other local server received from the browser. */
const cookiesSeen: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  attacker = http.createServer((req, res) => {
    cookiesSeen.push(req.headers.cookie ?? '');
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>another local server</title><p>a notebook, a dev server…</p>');
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerOrigin = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => attacker?.close(() => resolve()));
});

describe('browser mode admits only its own page', () => {
  test('the printed URL signs in with an HttpOnly per-instance cookie and leaves no token behind', async () => {
    const { page, problems } = await openApp(browser, appUrl);
    const app = new URL(appUrl);
    expect(page.url()).toBe(`${app.origin}/`);
    const cookies = await page.context().cookies(app.origin);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookies[0]!.name).toMatch(/^lstm_studio_[0-9a-f]{8}$/);
    expect(cookies[0]!.value).not.toBe(app.searchParams.get('token'));
    // HttpOnly: the page's own script cannot read it.
    const pageCookies = await page.evaluate(
      () => (globalThis as unknown as { document: { cookie: string } }).document.cookie,
    );
    expect(pageCookies).toBe('');
    expect(problems).toEqual([]);
  });

  test('a page on another local port gets neither the WebSocket nor an upload, though it carries the cookie', async () => {
    const { page } = await openApp(browser, appUrl);
    const app = new URL(appUrl);
    const uploads = path.join(dataDir, 'uploads');
    const before = readdirSync(uploads).length;

    const other = await page.context().newPage();
    await other.goto(attackerOrigin);
    // The browser sent our session cookie to the other server: ports do not separate cookies.
    const [cookie] = await page.context().cookies(app.origin);
    expect(cookiesSeen.at(-1)).toContain(`${cookie!.name}=${cookie!.value}`);

    const outcome = await other.evaluate(async (target) => {
      const socket = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://${target}/ws`);
        ws.onopen = () => resolve('open');
        ws.onerror = () => resolve('refused');
      });
      // A "simple" cross-origin POST, the kind a form can send; its answer is opaque.
      await fetch(`http://${target}/upload`, {
        method: 'POST',
        mode: 'no-cors',
        credentials: 'include',
        body: 'planted',
      }).catch(() => null);
      return socket;
    }, app.host);
    expect(outcome).toBe('refused');
    expect(readdirSync(uploads).length).toBe(before);
    await screenshot(other, 'e2e-6-other-local-page');

    // Our own page, in the same browser, still has both.
    const fromOwnPage = await page.evaluate(async (target) => {
      const socket = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://${target}/ws`);
        ws.onopen = () => {
          ws.close();
          resolve('open');
        };
        ws.onerror = () => resolve('refused');
      });
      const upload = await fetch('/upload', {
        method: 'POST',
        headers: { 'x-file-name': 'own.txt' },
        body: 'from our own page',
      });
      return { socket, upload: upload.status };
    }, app.host);
    expect(fromOwnPage).toEqual({ socket: 'open', upload: 200 });
    expect(readdirSync(uploads).length).toBe(before + 1);
  });
});
