// What a record may name in Kubernetes: workloads by DNS-1123 rules (as the API server checks
// them), clusters by kubeconfig context names. The API, the Action and the server's settings
// check lists with the same rules.

/** A namespace: a DNS-1123 label. */
export const NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A workload's name (Deployment, StatefulSet, DaemonSet, Rollout): a DNS-1123 subdomain. */
export const WORKLOAD_NAME_PATTERN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * A cluster's name: its kubeconfig context name or DEPLOYLEDGER_CLUSTER. Contexts are free text
 * in kubeconfig (`kind-east`, `gke_project_zone_name`, `arn:aws:eks:…:cluster/name`); we take
 * letters, digits and `. _ - : / @`, starting and ending with a letter or digit, at most 253.
 */
export const CLUSTER_NAME_PATTERN = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9._:/@-]*[A-Za-z0-9])?$/;

/** The most workloads a record may name, and clusters it may expect. */
export const MAX_WORKLOADS = 20;
export const MAX_CLUSTERS = 10;

/**
 * A comma- or newline-separated list as a list: blank lines and a comma ending a line are
 * separators too; an empty entry between commas (`a,,b`) is kept, to be refused.
 */
export function splitNameList(list: string): string[] {
  return list
    .split('\n')
    .map((line) => line.trim().replace(/,$/, ''))
    .filter((line) => line !== '')
    .flatMap((line) => line.split(','))
    .map((entry) => entry.trim());
}

/** Why a list of names is refused, or null: empty or duplicate entries, too many, or an entry the rule refuses. */
export function nameListProblem(
  names: string[],
  rule: { pattern: RegExp; max: number; what: string },
): string | null {
  if (names.length === 0) return `names no ${rule.what}`;
  if (names.length > rule.max) return `names ${names.length} ${rule.what}s; at most ${rule.max}`;
  const seen = new Set<string>();
  for (const [i, name] of names.entries()) {
    if (name === '') return `entry ${i + 1} is empty`;
    if (name.includes('\u0000')) return `entry ${i + 1} contains a NUL byte`;
    if (!rule.pattern.test(name)) return `"${name}" is not a valid ${rule.what} name`;
    if (seen.has(name)) return `"${name}" is named twice`;
    seen.add(name);
  }
  return null;
}
