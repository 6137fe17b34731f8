/** The deployment record as the server's API shows it (the fields the Action uses). */
export interface DeploymentRecord {
  id: string;
  repository: string;
  environment: string;
  key: string;
  sha: string;
  ref: string | null;
  state: State;
  run_id: number | null;
  run_attempt: number | null;
  github_deployment_id: number | null;
  k8s: { namespace: string; name: string; revision?: string | null } | null;
  environment_url: string | null;
  log_url: string | null;
  description: string | null;
  commit_at?: string | null;
  created_at: string;
  started_at: string | null;
  deployed_at: string | null;
  completed_at: string | null;
  updated_at: string;
}

export type State = 'pending' | 'queued' | 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';
export type FinalState = 'success' | 'failure' | 'error';

export function isTerminal(state: State): boolean {
  return state === 'success' || state === 'failure' || state === 'error' || state === 'inactive';
}
