import type { Context } from 'hono';
import { raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

// A page that lists hundreds of items (the environments page's rows, about 800 bytes each; the
// DORA page's sections, about 8 KB each) is sent as the page around its list and the list in
// chunks, copied into one buffer outside the JS heap: never one string of the whole page. V8
// allocates a string over 128 KB in its large-object space, in pages of its own, and on this VM
// that cost grows with its size: joining 200 rows into one 163 KB string took 742 µs where 150
// rows (123 KB) took 35 µs, and such a page was made whole twice (the list's join, then the page)
// before the socket copied it out again.

/** Where the page's list goes: an HTML comment that no escaped text can hold. */
const LIST = '<!--deployledger:list-->';

/** Characters a chunk gathers before the next starts (one item's markup may exceed it alone). */
const CHUNK_CHARS = 32 * 1024;

/** The list's place in the page, for listAnswer to fill. */
export const listPlace = () => raw(LIST);

/** Each item's markup, gathered into strings of about CHUNK_CHARS. */
export function listChunks<T>(items: T[], markup: (item: T) => string): string[] {
  const chunks: string[] = [];
  let gathered: string[] = [];
  let length = 0;
  for (const item of items) {
    const text = markup(item);
    gathered.push(text);
    length += text.length;
    if (length >= CHUNK_CHARS) {
      chunks.push(gathered.join(''));
      gathered = [];
      length = 0;
    }
  }
  if (gathered.length > 0) chunks.push(gathered.join(''));
  return chunks;
}

/** An HTML answer: `page` (holding listPlace once, or not when the list is empty) with `list` in it. */
export async function listAnswer(
  c: Context,
  page: HtmlEscapedString | Promise<HtmlEscapedString>,
  list: string[],
): Promise<Response> {
  const text = String(await page);
  const at = text.indexOf(LIST);
  const parts = at < 0 ? [text] : [text.slice(0, at), ...list, text.slice(at + LIST.length)];
  let size = 0;
  for (const part of parts) size += Buffer.byteLength(part);
  const body = Buffer.allocUnsafe(size);
  let written = 0;
  for (const part of parts) written += body.write(part, written);
  return c.body(body, 200, { 'content-type': 'text/html; charset=UTF-8' });
}
