import type {
  CreateDeploymentRequest,
  StatusRequest as ServerStatusRequest,
} from '../server/http/schemas.ts';
import type { DeploymentRecord, FinalState } from './records.ts';

/** What `POST /v1/deployments` takes (the server's schema), as the Action always sends it. */
export type StartRequest = CreateDeploymentRequest & {
  run_id: number;
  run_attempt: number;
  state: 'in_progress';
};

/** What the status calls take, with the states the Action reports. */
export type StatusRequest = Omit<ServerStatusRequest, 'state'> & { state: FinalState };

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
