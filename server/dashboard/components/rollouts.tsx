import { clusterProgress, type K8sRollouts } from '../../ledger/index.ts';
import { timestamp } from '../format.ts';

const WORDS = { success: 'done', failure: 'failed', in_progress: 'rolling out' } as const;

/**
 * A record's Kubernetes rollouts: per cluster how many of its workloads finished, then each
 * workload's latest step in each cluster.
 */
export function Rollouts({ rollouts }: { rollouts: K8sRollouts }) {
  const clusters = clusterProgress(rollouts);
  return (
    <section class="rollouts">
      <h2>Rollouts</h2>
      <ul class="cluster-progress">
        {clusters.map((cluster) => (
          <li data-cluster={cluster.cluster ?? '*'} data-state={cluster.state}>
            <strong>{cluster.cluster ?? 'any cluster'}</strong>
            {`: ${WORDS[cluster.state]} (${cluster.done} of ${cluster.total} workloads)`}
          </li>
        ))}
      </ul>
      <table class="cards workloads">
        <thead>
          <tr>
            <th>Cluster</th>
            <th>Workload</th>
            <th>Revision</th>
            <th>Step</th>
            <th>State</th>
            <th>Seen</th>
          </tr>
        </thead>
        <tbody>
          {expectedRows(rollouts).map((row) => (
            <tr data-workload={`${row.cluster}/${row.namespace}/${row.name}`} data-state={row.state}>
              <td data-label="Cluster">{row.cluster}</td>
              <td data-label="Workload">
                <code>{`${row.kind ? `${row.kind.toLowerCase()}/` : ''}${row.namespace}/${row.name}`}</code>
              </td>
              <td data-label="Revision">{row.revision ?? '—'}</td>
              <td data-label="Step">{row.step ?? 'not seen yet'}</td>
              <td data-label="State">{row.state ? WORDS[row.state] : '—'}</td>
              <td data-label="Seen">{row.at ? timestamp(row.at) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface Row {
  cluster: string;
  kind: string | null;
  namespace: string;
  name: string;
  revision: string | null;
  step: string | null;
  state: keyof typeof WORDS | null;
  at: Date | null;
}

/** Every workload seen, then each named workload not yet seen in an expected cluster. */
function expectedRows(rollouts: K8sRollouts): Row[] {
  const rows: Row[] = rollouts.progress.map((p) => ({ ...p }));
  const clusters = rollouts.clusters.length ? rollouts.clusters : ['any'];
  for (const cluster of clusters)
    for (const workload of rollouts.workloads) {
      const seen = rows.some(
        (row) =>
          (cluster === 'any' || row.cluster === cluster) &&
          row.namespace === workload.namespace &&
          row.name === workload.name,
      );
      if (!seen)
        rows.push({ cluster, kind: null, ...workload, revision: null, step: null, state: null, at: null });
    }
  return rows;
}
