import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import type { Viewer } from './viewer.ts';

const COOKIE = 'deployledger_session';
const SESSION_SECONDS = 12 * 3600;

export interface SessionOptions {
  /** Signs session cookies; a random one per process when unset. */
  secret: string | undefined;
}

/**
 * A signed, HttpOnly, SameSite cookie holding the repositories the API key may read and an
 * expiry; never the key itself. A revoked key's session lasts until it expires (12 h).
 */
export class Sessions {
  readonly secret: string;
  readonly ephemeral: boolean;

  constructor(options: SessionOptions) {
    this.ephemeral = !options.secret;
    this.secret = options.secret ?? randomBytes(32).toString('base64url');
  }

  async start(c: Context, repositories: string[]): Promise<void> {
    const value = Buffer.from(
      JSON.stringify({ r: repositories, e: Date.now() + SESSION_SECONDS * 1000 }),
    ).toString('base64url');
    await setSignedCookie(c, COOKIE, value, this.secret, {
      path: '/dashboard',
      httpOnly: true,
      sameSite: 'Lax',
      secure: isHttps(c),
      maxAge: SESSION_SECONDS,
    });
  }

  end(c: Context): void {
    deleteCookie(c, COOKIE, { path: '/dashboard', secure: isHttps(c) });
  }

  async read(c: Context): Promise<Viewer | null> {
    const value = await getSignedCookie(c, this.secret, COOKIE);
    if (!value) return null;
    try {
      const session = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as {
        r: unknown;
        e: unknown;
      };
      if (typeof session.e !== 'number' || session.e < Date.now()) return null;
      if (!Array.isArray(session.r) || !session.r.every((r) => typeof r === 'string')) return null;
      return { repositories: session.r, signedIn: true, until: session.e };
    } catch {
      return null;
    }
  }
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}
