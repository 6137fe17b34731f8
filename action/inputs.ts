import * as core from '@actions/core';
import {
  CLUSTER_NAME_PATTERN,
  MAX_CLUSTERS,
  MAX_WORKLOADS,
  NAMESPACE_PATTERN,
  nameListProblem,
  splitNameList,
  WORKLOAD_NAME_PATTERN,
} from '../server/ledger/k8s-names.ts';
import { runKey } from '../server/ledger/run-key.ts';
import { commitTimeFromEvent, parseCommitTime } from './commit-time.ts';
import type { RunContext } from './run-context.ts';
import { parseStep, type Step } from './step.ts';

export interface Settings {
  serverUrl: URL;
  /** An API key; without one the Action asks GitHub for an OIDC token for `oidcAudience`. */
  token: string | undefined;
  oidcAudience: string;
  repository: string;
  environment: string;
  step: Step;
  /** `<run_id>-<run_attempt>`: the same run and attempt always name the same record. */
  key: string;
  runId: number;
  runAttempt: number;
  sha: string;
  /** When the deployed commit was made (ISO 8601), for lead time; undefined when not known. */
  commitAt: string | undefined;
  ref: string | undefined;
  environmentUrl: string | undefined;
  logUrl: string;
  description: string | undefined;
  /** The namespace and the workload's name, or several names (a release of several workloads). */
  k8s: { namespace: string; name: string | string[] } | undefined;
  /** The clusters that must each roll the release out; undefined: any cluster's rollout counts. */
  k8sClusters: string[] | undefined;
  metricsEndpoint: string | undefined;
  supersede: boolean;
  /** false: the server creates no GitHub deployment (it adopts the job's own). */
  deployment: boolean;
  wait: { timeoutMs: number; intervalMs: number } | undefined;
  maxAttempts: number;
}

/** Reads and checks every input once; the run itself comes from @actions/github's context. */
export function getSettings(run: RunContext): Settings {
  const { runId, runAttempt, repository } = run;
  const token = optional('token');
  if (token) core.setSecret(token);
  const wait = booleanInput('wait', false);
  const step = parseStep(optional('status') ?? 'start');
  const deployedSha = sha(optional('sha') ?? required(run.sha, 'GITHUB_SHA'));

  return {
    serverUrl: httpUrl('server-url', core.getInput('server-url', { required: true })),
    token,
    oidcAudience: optional('oidc-audience') ?? 'deployledger',
    repository,
    environment: core.getInput('environment', { required: true }),
    step,
    key: runKey(runId, runAttempt),
    runId,
    runAttempt,
    sha: deployedSha,
    commitAt: commitTime(run, step, deployedSha),
    ref: optional('ref') ?? run.ref,
    environmentUrl: optionalUrl('environment-url'),
    logUrl: optionalUrl('log-url') ?? `${run.serverUrl}/${repository}/actions/runs/${runId}`,
    description: optional('description'),
    k8s: kubernetesObject(),
    k8sClusters: kubernetesClusters(),
    metricsEndpoint: optionalUrl('metrics-endpoint'),
    supersede: booleanInput('supersede', false),
    deployment: booleanInput('deployment', true),
    wait: wait
      ? { timeoutMs: seconds('wait-timeout', 900) * 1000, intervalMs: seconds('wait-interval', 5) * 1000 }
      : undefined,
    maxAttempts: wholeNumber('max-attempts', 5),
  };
}

/** The `commit-time` input, else (when opening the record) the commit's time in the event's payload. */
function commitTime(run: RunContext, step: Step, deployedSha: string): string | undefined {
  const given = optional('commit-time');
  if (given !== undefined) return parseCommitTime(given);
  if (step.kind !== 'start') return undefined;
  return commitTimeFromEvent(run.eventName, run.payload, deployedSha);
}

function optional(name: string): string | undefined {
  return core.getInput(name) || undefined;
}

function required(value: string | undefined, variable: string): string {
  if (!value) {
    throw new Error(`${variable} is not set: this Action reads it from the GitHub Actions runner.`);
  }
  return value;
}

function booleanInput(name: string, fallback: boolean): boolean {
  const value = core.getInput(name).toLowerCase();
  if (value === '') return fallback;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`Input ${name} is "${core.getInput(name)}"; use true or false.`);
}

function seconds(name: string, fallback: number): number {
  const value = core.getInput(name);
  if (value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    throw new Error(`Input ${name} is "${value}"; use a positive number.`);
  }
  return parsed;
}

function wholeNumber(name: string, fallback: number): number {
  const value = core.getInput(name);
  if (value === '') return fallback;
  if (!/^[1-9]\d*$/.test(value))
    throw new Error(`Input ${name} is "${value}"; use a whole number of at least 1.`);
  return Number(value);
}

function httpUrl(name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(
      `Input ${name} is "${value}", which is not a URL; use e.g. https://deployledger.example.com.`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`Input ${name} must be an http(s) URL, not "${value}".`);
  }
  return url;
}

function optionalUrl(name: string): string | undefined {
  const value = optional(name);
  if (value !== undefined) httpUrl(name, value);
  return value;
}

function sha(value: string): string {
  if (!/^[0-9a-fA-F]{7,64}$/.test(value)) throw new Error(`The sha "${value}" is not a commit sha.`);
  return value;
}

function kubernetesObject(): Settings['k8s'] {
  const namespace = optional('k8s-namespace');
  const list = optional('k8s-name');
  if (!namespace && !list) return undefined;
  if (!namespace || !list) {
    throw new Error('Set both k8s-namespace and k8s-name to link Kubernetes workloads, or neither.');
  }
  if (!NAMESPACE_PATTERN.test(namespace))
    throw new Error(`Input k8s-namespace is "${namespace}", which is not a Kubernetes namespace name.`);
  const names = nameList('k8s-name', list, {
    pattern: WORKLOAD_NAME_PATTERN,
    max: MAX_WORKLOADS,
    what: 'workload',
  });
  // One name is sent as it always was; several as a list.
  return { namespace, name: names.length === 1 ? (names[0] as string) : names };
}

function kubernetesClusters(): string[] | undefined {
  const list = optional('k8s-clusters');
  if (list === undefined) return undefined;
  return nameList('k8s-clusters', list, {
    pattern: CLUSTER_NAME_PATTERN,
    max: MAX_CLUSTERS,
    what: 'cluster',
  });
}

/** A comma- or newline-separated input as a checked list of names. */
function nameList(input: string, list: string, rule: Parameters<typeof nameListProblem>[1]): string[] {
  const names = splitNameList(list);
  const problem = nameListProblem(names, rule);
  if (problem) throw new Error(`Input ${input}: ${problem}.`);
  return names;
}
