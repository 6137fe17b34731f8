import { binaryTextArray } from './binary-text-array.ts';
import type { SqlRunner } from './deployment-sql.ts';
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

interface Waiting {
  delivery: IncomingDelivery;
  resolve: (outcome: Outcome) => void;
  reject: (error: unknown) => void;
}

// Deliveries that arrive while a write is in flight go together in the next one: a burst costs
// one statement and one commit per batch, not per delivery.
const MAX_BATCH = 256;
// Writes in flight at once: a delivery waits for a free writer, not for the writes before it
// (PostgreSQL commits concurrent writes together). Fewer writers make larger batches, and most of
// a write's cost on both sides is per statement, not per row: at 64 concurrent deliveries three
// writers took ~11 rows a statement where six took ~5, for 7–15 % less server CPU per delivery
// and no worse p99 (two: no less CPU, a worse p99); the pool queues what it cannot serve at once.
const WRITERS = 3;

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
  private readonly waiting: Waiting[] = [];
  private writing = 0;

  constructor(private readonly sql: SqlRunner) {}

  store(delivery: IncomingDelivery): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ delivery, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.writing < WRITERS && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      this.writing++;
      void this.write(batch).finally(() => {
        this.writing--;
        this.pump();
      });
    }
  }

  private async write(batch: Waiting[]): Promise<void> {
    try {
      settle(batch, await this.insert(batch.map((w) => w.delivery)));
    } catch (error) {
      if (batch.length === 1 || isDatabaseUnavailable(error)) {
        for (const w of batch) w.reject(error);
        return;
      }
      for (const w of batch) {
        try {
          settle([w], await this.insert([w.delivery]));
        } catch (rowError) {
          w.reject(rowError);
        }
      }
    }
  }

  private async insert(deliveries: IncomingDelivery[]): Promise<Set<string>> {
    const params = [
      binaryTextArray(deliveries.map((d) => d.deliveryId)),
      binaryTextArray(deliveries.map((d) => d.event)),
      binaryTextArray(deliveries.map((d) => d.action)),
      binaryTextArray(deliveries.map((d) => d.payload)),
    ];
    const inserted = await this.sql.query<{ delivery_id: string }>(INSERT, params, 'webhook_delivery_insert');
    return new Set(inserted.map((row) => row.delivery_id));
  }
}

/** The first of a batch's deliveries with a stored id was stored; any other was a duplicate. */
function settle(batch: Waiting[], stored: Set<string>): void {
  for (const w of batch) {
    const id = w.delivery.deliveryId;
    w.resolve(stored.delete(id) ? 'stored' : 'duplicate');
  }
}
