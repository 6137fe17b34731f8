import type { State } from '../../ledger/index.ts';

/** The state as a coloured badge; the colour follows the outcome, the text says it. */
export function StateBadge({ state }: { state: State }) {
  return <span class={`badge state-${state}`}>{state === 'in_progress' ? 'in progress' : state}</span>;
}

export function BandBadge({ band }: { band: string | null }) {
  return <span class={`badge band-${band ?? 'none'}`}>{band ?? 'no data'}</span>;
}
