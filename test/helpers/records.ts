import type { DeploymentRecord, NewDeployment } from '../../server/ledger/index.ts';

// Plain values of the core's types, for unit tests of the pure core: every field set, the test
// overriding what it is about.

const T0 = new Date('2026-12-01T10:00:00Z');

export function aRecord(overrides: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    id: '00000000-0000-4000-8000-000000000007',
    repository: 'acme/shop',
    environment: 'prod',
    key: '7-1',
    sha: 'a'.repeat(40),
    ref: null,
    state: 'pending',
    kind: 'forward',
    runId: 7,
    runAttempt: 1,
    githubDeploymentId: null,
    k8s: null,
    environmentUrl: null,
    logUrl: null,
    description: null,
    metricsEndpoint: null,
    fingerprint: 'f',
    commitAt: null,
    createdAt: T0,
    startedAt: null,
    deployedAt: null,
    completedAt: null,
    updatedAt: T0,
    ...overrides,
  };
}

export function aRequest(overrides: Partial<NewDeployment> = {}): NewDeployment {
  return {
    repository: 'acme/shop',
    environment: 'prod',
    key: '7-1',
    sha: 'a'.repeat(40),
    ref: null,
    state: 'in_progress',
    runId: 7,
    runAttempt: 1,
    githubDeploymentId: null,
    environmentUrl: null,
    logUrl: null,
    description: null,
    metricsEndpoint: null,
    k8s: null,
    fingerprint: 'f',
    ...overrides,
  };
}
