/**
 * The secure defaults of Electron's security checklist, in one place: which URL is our
 * renderer (so IPC from anything else is refused), which links may leave the app (http
 * and https only, through the system browser), and the window guards (no new windows, no
 * navigation).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { session, shell, type BrowserWindow } from 'electron';

/** Where our renderer is loaded from: the built index.html, or the dev server in `npm run dev`. */
export type RendererLocation = { kind: 'file'; path: string } | { kind: 'dev'; url: string };

/** True when `url` is our renderer's page (any hash or query), nothing else. */
export function isTrustedRendererUrl(url: string, location: RendererLocation): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (location.kind === 'dev') {
    const dev = new URL(location.url);
    return (
      (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.origin === dev.origin
    );
  }
  if (parsed.protocol !== 'file:' || parsed.host !== '') return false;
  try {
    return path.resolve(fileURLToPath(parsed)) === path.resolve(location.path);
  } catch {
    return false;
  }
}

/**
 * An external link the user may open: parsed with `new URL`, http or https only, no
 * credentials. Returns the normalised URL, or null.
 */
export function externalUrl(candidate: unknown): string | null {
  if (typeof candidate !== 'string' || candidate.length > 2048) return null;
  let parsed: URL;
  try {
    parsed = new URL(candidate);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  if (parsed.username || parsed.password) return null;
  return parsed.href;
}

/** Opens an http(s) link in the system browser; anything else is ignored. */
export function openExternalSafely(candidate: unknown): boolean {
  const url = externalUrl(candidate);
  if (!url) return false;
  void shell.openExternal(url);
  return true;
}

/** New windows are denied (links go to the system browser); navigation away from the app is blocked. */
export function guardWindow(window: BrowserWindow, location: RendererLocation): void {
  const contents = window.webContents;
  contents.setWindowOpenHandler(({ url }) => {
    openExternalSafely(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    // Reloading our own page is fine; a dropped file or a link must not replace the app.
    if (!isTrustedRendererUrl(url, location)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.on('will-redirect', (event, url) => {
    if (!isTrustedRendererUrl(url, location)) event.preventDefault();
  });
}

/**
 * The app needs no browser permissions (camera, geolocation, notifications from the page,
 * …): every request and check is refused. Desktop notifications come from main.
 */
export function denyPermissions(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
    callback(false),
  );
  session.defaultSession.setPermissionCheckHandler(() => false);
}
