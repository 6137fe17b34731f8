import { raw } from 'hono/html';
import { BANDS_REPORT_YEAR } from '../../dora/bands.ts';
import type { State } from '../../ledger/index.ts';
import { escaped } from './markup.ts';

/** The state as a coloured badge; the colour follows the outcome, the text says it. */
export function StateBadge({ state }: { state: State }) {
  return raw(stateBadgeMarkup(state));
}

/** The badge as markup, for the rows drawn hundreds of times (the environments page). */
export function stateBadgeMarkup(state: State): string {
  return `<span class="badge state-${escaped(state)}">${state === 'in_progress' ? 'in progress' : escaped(state)}</span>`;
}

/**
 * A DORA band, with the year of the report it comes from beside it ("elite  DORA 2024"), as
 * markup (the DORA page draws five per environment).
 */
export function bandBadgeMarkup(band: string | null): string {
  if (band === null) return '<span class="badge band-none">no data</span>';
  const year = BANDS_REPORT_YEAR;
  return `<span class="badge band-${escaped(band)}">${escaped(band)}</span> <span class="band-year" title="State of DevOps Report ${year}">DORA ${year}</span>`;
}
