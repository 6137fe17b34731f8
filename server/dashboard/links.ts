import type { DeploymentRecord } from '../ledger/index.ts';

export interface LinkOptions {
  /** GITHUB_API_URL: the web address is derived from it (github.com, or a GHES host). */
  githubApiUrl: string;
  /** DEPLOYLEDGER_DASHBOARD_K8S_URL with {namespace} and {name}. */
  k8sUrlTemplate?: string | undefined;
}

/** https://api.github.com → https://github.com; https://ghe.example/api/v3 → https://ghe.example. */
export function githubWebUrl(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname === 'api.github.com') return 'https://github.com';
  if (url.hostname.startsWith('api.')) return `${url.protocol}//${url.host.slice(4)}`;
  return `${url.protocol}//${url.host}`;
}

/** Only http(s) addresses become links; anything else (javascript:, data:) is shown as text. */
export function safeHref(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : null;
  } catch {
    return null;
  }
}

export function linksFor(record: DeploymentRecord, options: LinkOptions) {
  const web = `${githubWebUrl(options.githubApiUrl)}/${record.repository}`;
  const k8s = record.k8s;
  return {
    commit: `${web}/commit/${record.sha}`,
    run:
      record.runId !== null
        ? `${web}/actions/runs/${record.runId}${record.runAttempt ? `/attempts/${record.runAttempt}` : ''}`
        : null,
    githubDeployment:
      record.githubDeploymentId !== null
        ? `${web}/deployments/${encodeURIComponent(record.environment)}`
        : null,
    k8s:
      k8s && options.k8sUrlTemplate
        ? safeHref(
            options.k8sUrlTemplate
              .replaceAll('{namespace}', encodeURIComponent(k8s.namespace))
              .replaceAll('{name}', encodeURIComponent(k8s.name)),
          )
        : null,
    environment: safeHref(record.environmentUrl),
    log: safeHref(record.logUrl),
  };
}
