import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/connect.ts';
import { DEPLOYMENT_COLUMNS } from '../../server/db/deployment-columns.ts';
import { applyMigrations } from '../../server/db/migrate.ts';
import { presentDeployment } from '../../server/http/present.ts';
import { deploymentSchema } from '../../server/http/schemas.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { aRecord } from '../helpers/records.ts';

// The record's shape is declared once (server/ledger/types.ts); typecheck holds the schemas, the
// presenter, the Action and the row mappers to it, and the column table to Prisma's model. What
// typecheck cannot see: the table the migrations build, and the JSON a real record turns into.

const SQL_TYPES: Record<string, string> = { 'timestamp with time zone': 'timestamptz' };

describe('the deployment record has one shape', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const database = await openDatabase({ databaseUrl: db.url, dataDir: '', poolSize: 1 });
    try {
      await applyMigrations(database);
    } finally {
      await database.close();
    }
  });
  afterAll(() => db.drop());

  it('the migrations build the table schema.prisma and deployment-columns.ts describe, column for column', async () => {
    const rows = await query<{ column_name: string; data_type: string }>(
      db.url,
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'deployment'`,
    );
    const inDatabase = Object.fromEntries(
      rows.map((row) => [row.column_name, SQL_TYPES[row.data_type] ?? row.data_type]),
    );
    const inCode = Object.fromEntries(
      Object.values(DEPLOYMENT_COLUMNS).map(([column, type]) => [column, type]),
    );
    expect(inDatabase).toEqual(inCode);
  });

  it('the API shows a record as the OpenAPI Deployment schema says, every field set', () => {
    const record = aRecord({
      k8s: { namespace: 'shop', name: 'web', revision: '3' },
      environmentUrl: 'https://shop.example',
      commitAt: new Date('2026-12-01T09:00:00Z'),
      deployedAt: new Date('2026-12-01T10:05:00Z'),
    });
    const shown = presentDeployment(record);
    expect(deploymentSchema.strict().parse(shown)).toEqual(shown);
    expect(Object.keys(shown).sort()).toEqual(Object.keys(deploymentSchema.shape).sort());
    expect(shown).toMatchObject({
      run_id: 7,
      environment_url: 'https://shop.example',
      commit_at: '2026-12-01T09:00:00.000Z',
    });
  });
});
