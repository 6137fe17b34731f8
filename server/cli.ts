import { Command } from 'commander';
import { createApiKey } from './auth/api-keys.ts';
import { checkInvariants, formatReport } from './check/invariants.ts';
import { loadConfig } from './config.ts';
import { openDatabase } from './db/connect.ts';
import { applyMigrations } from './db/migrate.ts';
import { repositorySchema } from './http/schemas.ts';
import { createLogger } from './log.ts';
import { importCommand, type RepairFlags, repairCommand } from './repair/commands.ts';
import { startServer } from './serve.ts';

const program = new Command('deployledger').description('One true record per deployment');

program
  .command('serve', { isDefault: true })
  .description('start the HTTP server (applies pending migrations first)')
  .action(async () => {
    const config = loadConfig();
    const logger = createLogger(config.DEPLOYLEDGER_LOG_LEVEL);
    const { stop } = await startServer(config, logger);
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const timer = setTimeout(() => process.exit(1), config.DEPLOYLEDGER_SHUTDOWN_GRACE_MS);
      timer.unref();
      stop().then(
        () => process.exit(0),
        (error) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });

program
  .command('migrate')
  .description('apply pending migrations and exit')
  .action(async () => {
    const config = loadConfig();
    const db = await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DEPLOYLEDGER_DATA_DIR,
    });
    try {
      const applied = await applyMigrations(db);
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'No pending migrations.');
    } finally {
      await db.close();
    }
  });

const keys = program.command('keys').description('manage project API keys');
keys
  .command('create <repository>')
  .description('create an API key for owner/repo; it is printed once and stored hashed')
  .action(async (repository: string) => {
    const parsed = repositorySchema.safeParse(repository);
    if (!parsed.success) throw new Error(`"${repository}" is not a repository name; use owner/name.`);
    const config = loadConfig();
    const db = await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DEPLOYLEDGER_DATA_DIR,
    });
    try {
      await applyMigrations(db);
      console.log(await createApiKey(db.prisma, parsed.data));
    } finally {
      await db.close();
    }
  });

program
  .command('check')
  .description("check the ledger's invariants (read-only); exits 1 when one is broken")
  .option('--deadline-minutes <minutes>', 'how long a deployment may stay active', '30')
  .action(async (options: { deadlineMinutes: string }) => {
    const config = loadConfig();
    const db = await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DEPLOYLEDGER_DATA_DIR,
    });
    try {
      const violations = await checkInvariants(db.prisma, Number(options.deadlineMinutes));
      console.log(formatReport(violations));
      process.exitCode = violations.length === 0 ? 0 : 1;
    } finally {
      await db.close();
    }
  });

program
  .command('repair')
  .description('find duplicate and stuck records and print the plan; --apply carries it out')
  .option('--apply', 'write the changes (default: dry run)')
  .option(
    '--window-seconds <seconds>',
    'same repository, environment and sha within this many seconds = one deployment',
    '300',
  )
  .option(
    '--stuck-after-seconds <seconds>',
    'active longer than this = stuck (default: DEPLOYLEDGER_STUCK_AFTER_SECONDS*)',
  )
  .action(async (flags: RepairFlags) => {
    await repairCommand(loadConfig(), flags, (text) => console.log(text));
  });

program
  .command('import <file>')
  .description(
    'import a deployment history (CSV or JSON lines: repository, environment, sha, status, created_at, deployed_at)',
  )
  .option('--window-seconds <seconds>', 'rows of one sha within this many seconds = one deployment', '300')
  .action(async (file: string, flags: { windowSeconds: string }) => {
    await importCommand(loadConfig(), file, flags, (text) => console.log(text));
  });

program.parseAsync(process.argv).catch((error: Error) => {
  console.error(`deployledger: ${error.message}`);
  process.exit(1);
});
