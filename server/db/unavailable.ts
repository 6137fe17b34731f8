/**
 * Whether an error means "the database cannot be reached right now" (refused, reset, timed
 * out, terminated by an administrator or a restart, no connection slot), as opposed to a
 * query the database refused. Only the first kind is worth retrying; the HTTP layer answers
 * it 503 with Retry-After.
 */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);
const ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
// SQLSTATE: 08xxx connection exceptions, 57P01–57P03 shutdown / cannot connect now, 53300 too many connections.
const SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
const MESSAGES =
  /Connection terminated|connection refused|Can't reach database server|server closed the connection|Connection ended unexpectedly|timeout exceeded when trying to connect|terminating connection due to administrator command|the database system is (starting up|shutting down)/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  return causes(error).some((part) => {
    const { code, kind, originalCode, message } = part as Record<string, unknown>;
    return (
      (typeof code === 'string' &&
        (PRISMA_CODES.has(code) || SOCKET_CODES.has(code) || SQLSTATE.test(code))) ||
      (typeof originalCode === 'string' && SQLSTATE.test(originalCode)) ||
      (typeof kind === 'string' && ADAPTER_KINDS.has(kind)) ||
      (typeof message === 'string' && MESSAGES.test(message))
    );
  });
}

/** The error and everything it wraps (cause chains, Prisma's driver adapter error, aggregates). */
function causes(error: unknown, seen = new Set<unknown>()): object[] {
  if (!error || typeof error !== 'object' || seen.has(error) || seen.size > 20) return [];
  seen.add(error);
  const e = error as { cause?: unknown; meta?: { driverAdapterError?: unknown }; errors?: unknown };
  return [
    error,
    ...causes(e.cause, seen),
    ...causes(e.meta?.driverAdapterError, seen),
    ...(Array.isArray(e.errors) ? e.errors.flatMap((inner) => causes(inner, seen)) : []),
  ];
}
