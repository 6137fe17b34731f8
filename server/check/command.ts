import { type Config, stuckPolicy } from '../config.ts';
import { openDatabase } from '../db/connect.ts';
import { NoLedgerError } from '../db/embedded/errors.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { checkInvariants, type Deadlines, ledgerTablePresent } from '../db/invariant-queries.ts';
import { formatReport } from './report.ts';

/** Exit codes of `deployledger check`. */
export const CHECK_EXIT = { clean: 0, violations: 1, noLedger: 2 } as const;

/**
 * `deployledger check`: reads, never writes. Where there is no ledger it says so and exits 2,
 * rather than creating an empty database and calling it clean.
 */
export async function checkCommand(
  config: Config,
  /** Every environment's deadline; by default the server's (DEPLOYLEDGER_STUCK_AFTER_SECONDS*). */
  deadlineMinutes: number | undefined,
  out: { print(text: string): void; fail(text: string): void },
): Promise<number> {
  const where = config.DATABASE_URL
    ? `the database ${describeUrl(config.DATABASE_URL)}`
    : `the embedded data dir ${config.DEPLOYLEDGER_DATA_DIR}`;
  let db: Awaited<ReturnType<typeof openDatabase>>;
  try {
    db = await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DEPLOYLEDGER_DATA_DIR,
      poolSize: 2,
      command: 'deployledger check',
      mustExist: true,
    });
  } catch (error) {
    if (error instanceof NoLedgerError) {
      out.fail(`deployledger check: ${error.message}`);
      return CHECK_EXIT.noLedger;
    }
    throw error;
  }
  try {
    if (!(await hasLedger(db.prisma, where))) {
      out.fail(`deployledger check: ${new NoLedgerError(where).message}`);
      return CHECK_EXIT.noLedger;
    }
    const violations = await checkInvariants(db.prisma, deadlines(config, deadlineMinutes));
    out.print(formatReport(violations));
    return violations.length === 0 ? CHECK_EXIT.clean : CHECK_EXIT.violations;
  } finally {
    await db.close();
  }
}

async function hasLedger(prisma: PrismaClient, where: string): Promise<boolean> {
  try {
    return await ledgerTablePresent(prisma);
  } catch (error) {
    // PostgreSQL answers 3D000 when the database in DATABASE_URL does not exist.
    if (/3D000|does not exist/.test(describeError(error))) return false;
    throw new Error(`could not read ${where}: ${describeError(error)}`);
  }
}

function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e && parts.length < 5; e = (e as { cause?: unknown }).cause) {
    const { message, code } = e as { message?: string; code?: string };
    parts.push([code, message].filter(Boolean).join(' '));
  }
  return parts.join(': ');
}

/** host/database of a connection URL, without credentials. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

/**
 * The deadlines the sweeper works by, plus one sweep: a record just past its deadline is the
 * sweeper's next to end, not yet a broken ledger.
 */
function deadlines(config: Config, deadlineMinutes: number | undefined): Deadlines {
  const policy =
    deadlineMinutes === undefined
      ? stuckPolicy(config)
      : { defaultSeconds: deadlineMinutes * 60, byEnvironment: {} };
  const sweep = config.DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS;
  return {
    defaultSeconds: policy.defaultSeconds + sweep,
    byEnvironment: Object.fromEntries(
      Object.entries(policy.byEnvironment).map(([name, seconds]) => [name, seconds + sweep]),
    ),
  };
}
