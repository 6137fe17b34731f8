import { html } from 'hono/html';
import type { Child } from 'hono/jsx';
import { Layout } from './components/layout.tsx';
import type { Viewer } from './viewer.ts';

/** A whole dashboard page: the layout around `body`, as one HTML document. */
export function page(viewer: Viewer | null, title: string, body: Child, nav?: 'environments' | 'dora') {
  return html`<!doctype html>${(
    <Layout title={title} viewer={viewer} {...(nav ? { nav } : {})}>
      {body}
    </Layout>
  )}`;
}

export const notFoundPage = (viewer: Viewer, what: string) =>
  page(viewer, 'Not found', <p class="empty">{`${what} does not exist, or this key cannot see it.`}</p>);
