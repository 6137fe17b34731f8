import type { Child } from 'hono/jsx';
import type { Viewer } from '../viewer.ts';

export interface LayoutProps {
  title: string;
  viewer: Viewer | null;
  nav?: 'environments' | 'dora';
  children?: Child;
}

/** Every page's frame: one stylesheet and one script, both served by this server. */
export function Layout({ title, viewer, nav, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Deployledger`}</title>
        <link rel="stylesheet" href="/dashboard/assets/style.css" />
        <script src="/dashboard/assets/live.js" defer />
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/dashboard">
            Deployledger
          </a>
          {viewer && (
            <nav>
              <a href="/dashboard" aria-current={nav === 'environments' ? 'page' : undefined}>
                Environments
              </a>
              <a href="/dashboard/dora" aria-current={nav === 'dora' ? 'page' : undefined}>
                DORA
              </a>
              {viewer.signedIn && (
                <form method="post" action="/dashboard/sign-out" class="inline">
                  <button type="submit" class="link">
                    Sign out
                  </button>
                </form>
              )}
            </nav>
          )}
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
