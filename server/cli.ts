import { Command, InvalidArgumentError } from 'commander';
import { revokeApiKey } from './auth/api-key-admin.ts';
import { createApiKey, VERIFIED_KEY_TTL_MS } from './auth/api-keys.ts';
import { checkCommand } from './check/command.ts';
import { loadConfig } from './config.ts';
import { listApiKeys } from './db/api-keys.ts';
import { openDatabase } from './db/connect.ts';
import type { Database } from './db/database.ts';
import { applyMigrations } from './db/migrate.ts';
import { repositorySchema } from './http/schemas.ts';
import { createLogger, flushLogs } from './log.ts';
import { importCommand, type RepairFlags, repairCommand } from './repair/commands.ts';
import { startServer } from './serve.ts';
import { exitOnSignals } from './shutdown.ts';

const program = new Command('deployledger')
  .description('One true record per deployment')
  // A usage mistake (an unknown option, a bad value) exits 2, not 1: `check`'s 1 is a broken invariant.
  .exitOverride((error) => process.exit(error.exitCode === 1 ? 2 : error.exitCode));

program
  .command('serve', { isDefault: true })
  .description('start the HTTP server (applies pending migrations first)')
  .action(async () => {
    const config = loadConfig();
    const logger = createLogger(config.DEPLOYLEDGER_LOG_LEVEL);
    const { stop } = await startServer(config, logger);
    exitOnSignals({
      stop,
      graceMs: config.DEPLOYLEDGER_SHUTDOWN_GRACE_MS,
      beforeExit: () => flushLogs(),
      log: ({ signal, phase, error }) =>
        phase === 'stop failed'
          ? logger.error({ signal, err: error }, 'shutdown failed')
          : logger.info({ signal }, phase === 'forced' ? 'second signal: exiting now' : 'shutting down'),
    });
  });

/**
 * Applies what a command needs on a database never migrated, and says so on stderr (stdout may be
 * captured, as `keys create`'s key is): a server of an older version beside it may not expect them.
 */
async function migrateFirst(db: Database): Promise<void> {
  const applied = await applyMigrations(db);
  if (applied.length) console.error(`Migrations applied first: ${applied.join(', ')}.`);
}

/** An option's number, refused by name when it is none (commander prints which and exits 2). */
function numberOption(accepts: (number: number) => boolean, expected: string) {
  return (value: string): number => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || !accepts(number))
      throw new InvalidArgumentError(`must be ${expected}.`);
    return number;
  };
}
const positiveNumber = numberOption((number) => number > 0, 'a positive number');
const seconds = numberOption((number) => number >= 0, 'a number of seconds, 0 or more');

/** Opens the configured database for one command; beside a running server, through it. */
async function withDatabase<T>(command: string, work: (db: Database) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DEPLOYLEDGER_DATA_DIR,
    poolSize: 2,
    command: `deployledger ${command}`,
  });
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

program
  .command('migrate')
  .description('apply pending migrations and exit')
  .action(() =>
    withDatabase('migrate', async (db) => {
      const applied = await applyMigrations(db);
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'No pending migrations.');
    }),
  );

const keys = program.command('keys').description('manage project API keys');
keys
  .command('create <repository>')
  .description('create an API key for owner/repo; it is printed once and stored hashed')
  .action(async (repository: string) => {
    const parsed = repositorySchema.safeParse(repository);
    if (!parsed.success) throw new Error(`"${repository}" is not a repository name; use owner/name.`);
    await withDatabase('keys create', async (db) => {
      await migrateFirst(db);
      console.log(await createApiKey(db.prisma, parsed.data));
    });
  });
keys
  .command('list [repository]')
  .description('list API keys (prefix, repository, created, revoked); secrets are never shown')
  .action((repository: string | undefined) =>
    withDatabase('keys list', async (db) => {
      await migrateFirst(db);
      const rows = await listApiKeys(db.prisma, repository);
      if (rows.length === 0) console.log('No API keys.');
      for (const row of rows) {
        const revoked = row.revokedAt ? `revoked ${row.revokedAt.toISOString()}` : 'active';
        console.log(`dl_${row.prefix}_…\t${row.repository}\t${row.createdAt.toISOString()}\t${revoked}`);
      }
    }),
  );
keys
  .command('revoke <key-or-prefix>')
  .description('revoke an API key (the whole key, or the 12 characters after dl_)')
  .action((keyOrPrefix: string) =>
    withDatabase('keys revoke', async (db) => {
      await migrateFirst(db);
      const count = await revokeApiKey(db.prisma, keyOrPrefix);
      if (count === 0)
        throw new Error(`no active API key with prefix "${keyOrPrefix}"; see \`deployledger keys list\`.`);
      console.log(
        `Revoked ${count} key(s); a server refuses it within ${VERIFIED_KEY_TTL_MS / 1000} s (verified keys are trusted that long).`,
      );
    }),
  );

program
  .command('check')
  .description(
    "check the ledger's invariants (read-only); exits 1 when one is broken, 2 when there is no ledger",
  )
  .option(
    '--deadline-minutes <minutes>',
    "how long a deployment may stay active, in every environment (default: the server's DEPLOYLEDGER_STUCK_AFTER_SECONDS and _BY_ENVIRONMENT)",
    positiveNumber,
  )
  .action(async (options: { deadlineMinutes?: number }) => {
    process.exitCode = await checkCommand(loadConfig(), options.deadlineMinutes, {
      print: (text) => console.log(text),
      fail: (text) => console.error(text),
    });
  });

program
  .command('repair')
  .description('find duplicate and stuck records and print the plan; --apply carries it out')
  .option('--apply', 'write the changes (default: dry run)')
  .option(
    '--window-seconds <seconds>',
    'same repository, environment and sha within this many seconds = one deployment',
    seconds,
    300,
  )
  .option(
    '--stuck-after-seconds <seconds>',
    'active longer than this = stuck (default: DEPLOYLEDGER_STUCK_AFTER_SECONDS*)',
    seconds,
  )
  .option('--dora', 'with --apply: also recompute every DORA rollup from the deployments')
  .action(async (flags: RepairFlags) => {
    await repairCommand(loadConfig(), flags, (text) => console.log(text));
  });

program
  .command('import <file>')
  .description(
    'import a deployment history (CSV or JSON lines: repository, environment, sha, status, created_at, deployed_at)',
  )
  .option(
    '--window-seconds <seconds>',
    'rows of one sha within this many seconds = one deployment',
    seconds,
    300,
  )
  .action(async (file: string, flags: { windowSeconds: number }) => {
    await importCommand(loadConfig(), file, flags, (text) => console.log(text));
  });

program.parseAsync(process.argv).catch((error: Error) => {
  console.error(`deployledger: ${error.message}`);
  process.exit(1);
});
