// `npm run bench [-- api webhooks action watch dashboard]`: each part prints its figures next
// to a baseline measured in the same run.
import { benchAction } from './action.ts';
import { benchApi } from './api.ts';
import { withContext } from './context.ts';
import { benchDashboard } from './dashboard.ts';
import { benchReplicas } from './replicas.ts';
import { benchWatch } from './watch.ts';
import { benchWebhooks } from './webhooks.ts';

const parts: Record<string, () => Promise<void>> = {
  api: () => withContext({}, benchApi),
  webhooks: () => withContext({}, benchWebhooks),
  action: () => withContext({}, benchAction),
  watch: benchWatch,
  dashboard: benchDashboard,
  replicas: benchReplicas,
};

const chosen = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
for (const name of chosen.length ? chosen : Object.keys(parts)) {
  const part = parts[name];
  if (!part) throw new Error(`unknown benchmark "${name}"; choose from ${Object.keys(parts).join(', ')}`);
  await part();
}
