import { BANDS_REPORT_YEAR } from '../../dora/bands.ts';
import type { State } from '../../ledger/index.ts';

/** The state as a coloured badge; the colour follows the outcome, the text says it. */
export function StateBadge({ state }: { state: State }) {
  return <span class={`badge state-${state}`}>{state === 'in_progress' ? 'in progress' : state}</span>;
}

/** A DORA band, with the year of the report it comes from beside it ("elite  DORA 2024"). */
export function BandBadge({ band }: { band: string | null }) {
  if (band === null) return <span class="badge band-none">no data</span>;
  return (
    <>
      <span class={`badge band-${band}`}>{band}</span>{' '}
      <span class="band-year" title={`State of DevOps Report ${BANDS_REPORT_YEAR}`}>
        DORA {BANDS_REPORT_YEAR}
      </span>
    </>
  );
}
