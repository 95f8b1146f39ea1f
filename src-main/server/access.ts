/**
 * Who browser mode lets in, checked on every request before anything else runs:
 *
 * - Host: the request must name this server — 127.0.0.1, localhost or [::1] with its own
 *   port (or the local port of an SSH tunnel given with --tunnel-port). Anything else, a
 *   DNS-rebinding page's own host name included, is refused.
 * - Sign-in: the printed URL carries a random token. Opening it sets a session cookie whose
 *   name is unique to this server instance (browsers do not separate cookies by port, so two
 *   servers on one machine must not share a name) and redirects to the token-free address.
 *   The cookie (HttpOnly, SameSite=Strict) is the only credential after that: no token in
 *   the history, in download links or in the WebSocket URL.
 * - Own page: a page served by any other local server (another port of 127.0.0.1 is the
 *   same "site", so the browser sends it our cookie) must not drive the app. Every request
 *   that changes or reveals state — the WebSocket upgrade, uploads, save paths, downloads —
 *   must carry `Origin: http://<our Host>`, or, where browsers send no Origin (same-origin
 *   GETs and navigations), `Sec-Fetch-Site: same-origin`. A request with neither is refused.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

/** The loopback names a browser may use for this server. */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

export class Access {
  /** Unique to this server instance. */
  readonly cookieName = `lstm_studio_${randomBytes(4).toString('hex')}`;
  /** The cookie's value: a secret of its own, so the token itself is never stored by the browser. */
  private readonly session = randomBytes(32).toString('hex');
  private hosts = new Set<string>();

  constructor(private readonly token: string) {}

  /** Sets the ports the Host header may name (the listening port, and a tunnel's local port). */
  allowPorts(ports: number[]): void {
    this.hosts = new Set(
      ports.flatMap((port) =>
        LOOPBACK_NAMES.flatMap((name) =>
          port === 80 ? [name, `${name}:80`] : [`${name}:${port}`],
        ),
      ),
    );
  }

  /** The Host header names this server. */
  hostAllowed(req: http.IncomingMessage): boolean {
    const host = req.headers.host?.toLowerCase();
    return host !== undefined && this.hosts.has(host);
  }

  /** The request comes from a page this server served (see the file comment). Call after hostAllowed. */
  fromOwnPage(req: http.IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin !== undefined)
      return origin.toLowerCase() === `http://${req.headers.host}`.toLowerCase();
    const site = req.headers['sec-fetch-site'];
    return site === 'same-origin';
  }

  /** The request carries this instance's session cookie. */
  signedIn(req: http.IncomingMessage): boolean {
    return sameSecret(cookieValue(req.headers.cookie, this.cookieName), this.session);
  }

  /** `given` is the printed token (constant-time). */
  tokenMatches(given: string | null): boolean {
    return sameSecret(given, this.token);
  }

  /** The Set-Cookie value that signs a browser in. */
  sessionCookie(): string {
    return `${this.cookieName}=${this.session}; HttpOnly; SameSite=Strict; Path=/`;
  }
}

/** Constant-time comparison of a given secret with ours. */
function sameSecret(given: string | null | undefined, secret: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}
