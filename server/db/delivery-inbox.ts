import { binaryTextArray } from './binary-text-array.ts';
import type { SqlRunner } from './deployment-sql.ts';
import { type GroupCommitOptions, groupCommit, WRITE_STATEMENTS } from './group-commit.ts';
import { isDatabaseUnavailable } from './unavailable.ts';

export interface IncomingDelivery {
  deliveryId: string;
  event: string;
  action: string | null;
  /**
   * The body's bytes as they came (valid UTF-8 that parsed as a JSON object). Bytes, not the
   * decoded text: they go to PostgreSQL as they are (an element of a binary `text[]` parameter is
   * its UTF-8), with no second encoding on our side, and they wait for the commit outside the JS heap.
   */
  payload: Uint8Array;
}

type Outcome = 'stored' | 'duplicate';

/**
 * Group commit for stores (group-commit.ts): deliveries that arrive while a write is in flight go
 * together in the next one, so a burst costs one statement and one commit per batch, not per
 * delivery. Most of a write's cost on both sides is per statement, not per row: at 64 concurrent
 * deliveries three writers in flight took ~11 rows a statement where six took ~5 (7–15 % less
 * server CPU a delivery); one at a time, with a second beside it only once the first has been
 * under way 10 ms (WRITE_STATEMENTS' rule), took less again (145–210 µs of server CPU a delivery
 * where three writers took 176–193; docs/benchmarks-history.md).
 */
const INBOX_STATEMENTS: GroupCommitOptions = { ...WRITE_STATEMENTS, maxBatch: 256 };

// One INSERT per batch, whatever its size: each column a `text[]` parameter in binary form
// (binary-text-array.ts), the bodies' bytes in it as they came, so the statement is prepared once
// per connection and never parsed or planned again (a multi-row VALUES of 4 parameters a row was
// a new text for every batch size, parsed and planned on every write, and node-postgres prepared
// each parameter on its own: 64 concurrent stores took 23 µs of the server's CPU a delivery
// instead of 35, and 57 µs of the database's instead of 62). The database only copies the bodies
// (the column is text; the receiver parsed each as JSON before storing it).
const INSERT = `INSERT INTO webhook_delivery (delivery_id, event, action, payload)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
  ON CONFLICT (delivery_id) DO NOTHING
  RETURNING delivery_id`;

/**
 * Where the receiver stores a delivery before acknowledging it (group commit): each `store`
 * resolves once its row is committed — 'stored', or 'duplicate' for a `X-GitHub-Delivery`
 * already stored (a redelivery) — and rejects when it could not be stored. One bad row does not
 * fail the others: a batch the database refuses for another reason than being unreachable is
 * written again one row at a time. Rows of one batch share their `received_at`.
 */
export class DeliveryInbox {
  /** Stores one delivery, its statement shared with those that arrive meanwhile. */
  readonly store: (delivery: IncomingDelivery) => Promise<Outcome>;

  constructor(sql: SqlRunner) {
    this.store = groupCommit<IncomingDelivery, Outcome>(
      {
        alone: async (delivery) => (await insert(sql, [delivery]))[0] as Outcome,
        together: (deliveries) => insert(sql, deliveries),
        keyOf: (delivery) => delivery.deliveryId,
        // A redelivery while the first is waiting: its own statement, which finds the first's row.
        sameKey: 'alone',
        retriesAlone: (error) => !isDatabaseUnavailable(error),
      },
      INBOX_STATEMENTS,
    );
  }
}

/** Inserts the deliveries: each one's outcome, in order. */
async function insert(sql: SqlRunner, deliveries: IncomingDelivery[]): Promise<Outcome[]> {
  const params = [
    binaryTextArray(deliveries.map((d) => d.deliveryId)),
    binaryTextArray(deliveries.map((d) => d.event)),
    binaryTextArray(deliveries.map((d) => d.action)),
    binaryTextArray(deliveries.map((d) => d.payload)),
  ];
  const inserted = await sql.query<{ delivery_id: string }>(INSERT, params, 'webhook_delivery_insert');
  const stored = new Set(inserted.map((row) => row.delivery_id));
  return deliveries.map((d) => (stored.has(d.deliveryId) ? 'stored' : 'duplicate'));
}
