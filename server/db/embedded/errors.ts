import type { OwnerInfo } from './owner-lock.ts';

/** Another process owns an embedded data dir; says who and what to do. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: OwnerInfo | null,
    problem?: string,
  ) {
    const who = owner ? `process ${owner.pid} (${owner.command}, since ${owner.since})` : 'another process';
    super(
      `the embedded data dir ${dataDir} is owned by ${who}${problem ? `, which ${problem}` : ''}. ` +
        'One process owns an embedded data dir: stop that process first, give this one another ' +
        'DEPLOYLEDGER_DATA_DIR, or set DATABASE_URL to run several servers on one PostgreSQL.',
    );
    this.name = 'DataDirInUseError';
  }
}

/** There is no ledger where a read-only command looked; it says where, and what to do. */
export class NoLedgerError extends Error {
  constructor(readonly where: string) {
    super(`no ledger in ${where}: start the server or run \`deployledger migrate\` first.`);
    this.name = 'NoLedgerError';
  }
}
