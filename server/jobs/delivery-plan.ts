import type { StoredDelivery } from '../db/deliveries.ts';
import type { FoldItem } from '../db/delivery-batch.ts';
import { foldName } from '../ledger/index.ts';
import { deliveredDeploymentOf } from '../webhooks/receive.ts';

/** Deliveries folded together (one environment), or one delivery taken on its own. */
export type FoldStep =
  | { kind: 'batch'; items: FoldItem[]; deliveries: StoredDelivery[] }
  | { kind: 'one'; delivery: StoredDelivery };

/**
 * Splits claimed deliveries (in arrival order) into lanes, one per repository, that may run at
 * once: a record belongs to one repository, so each record still sees its deliveries in arrival
 * order. Within a lane, consecutive `deployment`/`deployment_status` deliveries are grouped by
 * environment (a record belongs to one); any other delivery (a `workflow_run` may touch every
 * environment of its repository) ends the groups before it and is taken on its own.
 */
export function planFolding(deliveries: StoredDelivery[]): FoldStep[][] {
  const lanes = new Map<string, { steps: FoldStep[]; open: Map<string, FoldStep & { kind: 'batch' }> }>();
  for (const delivery of deliveries) {
    const key = repositoryOf(delivery.payload);
    let lane = lanes.get(key);
    if (!lane) {
      lane = { steps: [], open: new Map() };
      lanes.set(key, lane);
    }
    let delivered: ReturnType<typeof deliveredDeploymentOf>;
    try {
      delivered = deliveredDeploymentOf(delivery);
    } catch {
      delivered = null; // not what GitHub sends: the one-by-one path keeps it, with the reason
    }
    if (delivered === null) {
      lane.steps.push({ kind: 'one', delivery });
      continue;
    }
    if (delivered === undefined) {
      lane.open.clear();
      lane.steps.push({ kind: 'one', delivery });
      continue;
    }
    const environment = foldName(delivered.environment);
    let group = lane.open.get(environment);
    if (!group) {
      group = { kind: 'batch', items: [], deliveries: [] };
      lane.open.set(environment, group);
      lane.steps.push(group);
    }
    group.items.push({ deliveryId: delivery.deliveryId, delivered });
    group.deliveries.push(delivery);
  }
  return [...lanes.values()].map((lane) => lane.steps);
}

/** GitHub's id of the repository when the payload has it (a rename keeps it), else its name. */
function repositoryOf(payload: unknown): string {
  const repository = (payload as { repository?: { id?: unknown; full_name?: unknown } } | null)?.repository;
  if (typeof repository?.id === 'number') return `id:${repository.id}`;
  return typeof repository?.full_name === 'string' ? `name:${foldName(repository.full_name)}` : '';
}
