import type { Strip, StripMark } from '../../db/dashboard-reads.ts';
import { listChunks, listPlace } from '../list-answer.ts';

const WIDTH = 900;
const HEIGHT = 24;

const spoken = (state: string) => (state === 'in_progress' ? 'in progress' : state);

/**
 * One mark as markup. Up to 180 of them make most of a busy environment's page: written as one
 * string rather than three JSX elements each (they were most of the page's rendering time), and
 * put in by listAnswer rather than joined into the page (list-answer.ts): one character outside
 * Latin-1 makes V8 keep the whole page at two bytes a character, and a busy environment's page
 * would be a string of over 128 KB. Every value is a UUID, a ledger state or an ISO time, so
 * nothing in them needs escaping.
 */
function markMarkup(mark: StripMark, since: number, span: number): string {
  const at = mark.createdAt.toISOString();
  const x = Math.min(WIDTH - 3, ((mark.createdAt.getTime() - since) / span) * WIDTH);
  return `<a href="/dashboard/deployments/${mark.id}" aria-label="${spoken(mark.state)}, ${at}"><rect x="${x}" y="2" width="3" height="${HEIGHT - 4}" class="mark state-${mark.state}" data-state="${mark.state}"><title>${mark.state} · ${at}</title></rect></a>`;
}

/** The strip's marks, in chunks for listAnswer to put in HistoryStrip's place. */
export function stripMarkChunks(strip: Strip, since: Date, until: Date): string[] {
  const span = until.getTime() - since.getTime();
  return listChunks(strip.marks, (mark) => markMarkup(mark, since.getTime(), span));
}

/**
 * The last 90 days of an environment: one mark per deployment at its time, coloured by outcome,
 * each a link to its deployment; for a busy environment, the latest deployment of each slot
 * (dashboard-reads.ts). The marks themselves are listAnswer's list (stripMarkChunks). A group of
 * named links, not `role="img"`: an image may not hold focusable content (WCAG 4.1.2, axe
 * `nested-interactive`).
 */
export function HistoryStrip({ strip }: { strip: Strip }) {
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
      {listPlace()}
    </svg>
  );
}
