import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

// Where the machine's CPU went during a span (Linux /proc): a figure measured on a machine whose
// cores were all busy says as much about the machine as about the product. Processes are read
// thread by thread from schedstat (nanoseconds on the CPU), not through measure.ts's cpuMs: its
// 10 ms ticks, rounded per process, are too coarse for a wave of half a second over a dozen
// PostgreSQL backends. The machine's busy time comes from /proc/stat (ticks over every core).

interface Snapshot {
  /** Nanoseconds on the CPU so far, by process (all its threads). */
  byPid: Map<number, { comm: string; ns: number }>;
  /** Every core's busy time so far, in ms. */
  busyMs: number;
}

function threadsNs(pid: string): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`))
    ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
  return ns;
}

export function cpuSnapshot(): Snapshot {
  const byPid = new Map<number, { comm: string; ns: number }>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      byPid.set(Number(pid), { comm, ns: threadsNs(pid) });
    } catch {
      // the process ended while it was read
    }
  }
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  const ticks = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1).map(Number);
  const busy = ticks.slice(0, 8).reduce((sum, value, i) => (i === 3 || i === 4 ? sum : sum + value), 0);
  return { byPid, busyMs: busy * 10 };
}

/** The CPU between two snapshots, split into the server, PostgreSQL, this process and the rest. */
export function describeCpu(before: Snapshot, after: Snapshot, seconds: number, serverPid: number): string {
  const used = (pid: number) => ((after.byPid.get(pid)?.ns ?? 0) - (before.byPid.get(pid)?.ns ?? 0)) / 1e6;
  let postgres = 0;
  for (const [pid, { comm }] of after.byPid) if (comm.startsWith('postgres')) postgres += used(pid);
  const server = used(serverPid);
  const bench = used(process.pid);
  const busy = after.busyMs - before.busyMs;
  const capacity = seconds * 1000 * availableParallelism();
  const ms = (value: number) => `${Math.max(0, value).toFixed(0)} ms`;
  return (
    `the server ${ms(server)}, PostgreSQL ${ms(postgres)}, this bench (the stand-in API server and the clock) ${ms(bench)}, ` +
    `the rest of the machine ${ms(busy - server - postgres - bench)}: ${ms(busy)} busy of ${ms(capacity)} ` +
    `(${availableParallelism()} cores × ${seconds.toFixed(2)} s, ${((busy / capacity) * 100).toFixed(0)} %)`
  );
}
