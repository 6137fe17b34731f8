/**
 * Markup written as strings, for the parts of a page drawn hundreds of times (the DORA page's
 * figures and charts): the same bytes hono's JSX writes, without an element tree each.
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for an attribute or element, escaped as hono's JSX escapes it. */
export function escaped(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}
