import type { DeploymentRecord, FinalState } from './records.ts';

/** What `POST /v1/deployments` takes. */
export interface StartRequest {
  repository: string;
  environment: string;
  sha: string;
  ref?: string | undefined;
  /** When the deployed commit was made (ISO 8601 with offset); the server's lead time uses it. */
  commit_at?: string | undefined;
  run_id: number;
  run_attempt: number;
  state: 'in_progress';
  environment_url?: string | undefined;
  log_url?: string | undefined;
  description?: string | undefined;
  metrics_endpoint?: string | undefined;
  k8s?: { namespace: string; name: string | string[] } | undefined;
  k8s_clusters?: string[] | undefined;
  supersede?: boolean | undefined;
}

/** What the status calls take. */
export interface StatusRequest {
  state: FinalState;
  environment_url?: string | undefined;
  log_url?: string | undefined;
  description?: string | undefined;
}

export interface RecordKey {
  repository: string;
  environment: string;
  key: string;
}

/** The Deployledger server as the Action sees it; tests and other transports implement it too. */
export interface DeployledgerClient {
  /** Creates the record for `key`, or returns the one an identical earlier call created. */
  start(key: string, request: StartRequest): Promise<{ record: DeploymentRecord; replayed: boolean }>;
  reportStatus(
    record: RecordKey,
    request: StatusRequest,
  ): Promise<{ record: DeploymentRecord; applied: boolean; reason: string | null }>;
  get(id: string): Promise<DeploymentRecord>;
  /** Where a person (with a token) can read the record. */
  recordUrl(id: string): string;
}
