// `npm run bench [-- api webhooks action watch import dashboard replicas memory]`: each part prints its figures next
// to a baseline measured in the same run.
import { benchAction } from './action.ts';
import { benchApi } from './api.ts';
import { withContext } from './context.ts';
import { benchDashboard } from './dashboard.ts';
import { benchImport } from './import.ts';
import { benchMemory } from './memory.ts';
import { benchReplicas } from './replicas.ts';
import { benchWatch } from './watch.ts';
import { benchWebhooks } from './webhooks.ts';

const parts: Record<string, () => Promise<void>> = {
  api: () => withContext({}, benchApi),
  webhooks: () => withContext({}, benchWebhooks),
  action: () => withContext({}, benchAction),
  watch: benchWatch,
  import: benchImport,
  dashboard: benchDashboard,
  replicas: benchReplicas,
  memory: benchMemory,
};

const chosen = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
for (const name of chosen.length ? chosen : Object.keys(parts)) {
  const part = parts[name];
  if (!part) throw new Error(`unknown benchmark "${name}"; choose from ${Object.keys(parts).join(', ')}`);
  await part();
}
