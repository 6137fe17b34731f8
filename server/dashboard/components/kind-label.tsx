import type { DeploymentKind } from '../../ledger/index.ts';

const MEANING: Record<DeploymentKind, string> = {
  forward: 'a sha this environment had not run',
  redeploy: 'the sha this environment already ran, deployed again',
  rollback: 'a sha this environment ran before, older than the one it ran',
};

/**
 * A rollback or a redeploy, labelled in words (an outlined label: the state badge beside it keeps
 * the colour); a forward deployment, the usual case, shows no label. `full` also says forward.
 */
export function KindLabel({ kind, full = false }: { kind: DeploymentKind; full?: boolean }) {
  if (kind === 'forward' && !full) return null;
  return (
    <span class={`kind kind-${kind}`} title={MEANING[kind]}>
      {kind}
    </span>
  );
}

/** The kind and what it means, for the deployment page. */
export function KindField({ kind }: { kind: DeploymentKind }) {
  return (
    <>
      <KindLabel kind={kind} full /> <span class="kind-meaning">{MEANING[kind]}</span>
    </>
  );
}
