import type { Config } from '../config.ts';
import { githubAuth, stuckPolicy } from '../config.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import { createProtectionReviewer } from '../github/protection.ts';
import type { Logger } from '../log.ts';
import { Comments } from './comments.ts';
import type { ProtectionConfig } from './config.ts';
import { ProtectionGate } from './gate.ts';

export { loadProtectionConfig } from './config.ts';

/** Wires the protection rule: the gate for deliveries and the worker, the reviewer for the outbox. */
export function setUpProtection(
  config: Config,
  rules: ProtectionConfig,
  deps: { prisma: PrismaClient; store: LedgerStore; logger: Logger; onDecided: () => void },
) {
  const publicUrl = config.DEPLOYLEDGER_PUBLIC_URL?.replace(/\/+$/, '') ?? null;
  const auth = githubAuth(config);
  const gate = new ProtectionGate({
    ...deps,
    config: rules,
    comments: new Comments(publicUrl),
    stuck: stuckPolicy(config),
    answers: auth !== null,
  });
  return {
    receiver: { gate, apiUrl: config.GITHUB_API_URL },
    reviewer: auth ? createProtectionReviewer(auth, config.GITHUB_API_URL) : undefined,
  };
}
