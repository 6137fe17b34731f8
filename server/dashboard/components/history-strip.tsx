import { raw } from 'hono/html';
import type { Strip, StripMark } from '../../db/dashboard-reads.ts';

const WIDTH = 900;
const HEIGHT = 24;

const spoken = (state: string) => (state === 'in_progress' ? 'in progress' : state);

/**
 * One mark as markup. Up to 900 of them make a busy environment's page: written as one string
 * rather than three JSX elements each (they were most of the page's rendering time). Every value
 * is a UUID, a ledger state or an ISO time, so nothing in them needs escaping.
 */
function markMarkup(mark: StripMark, since: number, span: number): string {
  const at = mark.createdAt.toISOString();
  const x = Math.min(WIDTH - 3, ((mark.createdAt.getTime() - since) / span) * WIDTH);
  return `<a href="/dashboard/deployments/${mark.id}" aria-label="${spoken(mark.state)}, ${at}"><rect x="${x}" y="2" width="3" height="${HEIGHT - 4}" class="mark state-${mark.state}" data-state="${mark.state}"><title>${mark.state} · ${at}</title></rect></a>`;
}

/**
 * The last 90 days of an environment: one mark per deployment at its time, coloured by outcome,
 * each a link to its deployment; for a busy environment, the latest deployment of each slot
 * (dashboard-reads.ts). A group of named links, not `role="img"`: an image may not hold
 * focusable content (WCAG 4.1.2, axe `nested-interactive`).
 */
export function HistoryStrip({ strip, since, until }: { strip: Strip; since: Date; until: Date }) {
  const span = until.getTime() - since.getTime();
  const { marks } = strip;
  const label = strip.slots
    ? `The latest deployment of each of ${strip.slots} slots of the last 90 days`
    : `${marks.length} deployments in the last 90 days`;
  return (
    // biome-ignore lint/a11y/useSemanticElements: an <svg> cannot be a <fieldset>; the group names its links as one set
    <svg
      class="strip"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      preserveAspectRatio="none"
      role="group"
      aria-label={label}
    >
      <rect x="0" y="0" width={WIDTH} height={HEIGHT} class="strip-bg" />
      {raw(marks.map((mark) => markMarkup(mark, since.getTime(), span)).join(''))}
    </svg>
  );
}
