import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { K8sCandidates, NamedKey } from '../db/k8s-lookups.ts';
import { type DeploymentRecord, foldName, namesWorkload, sameName } from '../ledger/index.ts';

export const ANNOTATION_REPOSITORY = 'deployledger.dev/repository';
export const ANNOTATION_ENVIRONMENT = 'deployledger.dev/environment';
export const ANNOTATION_KEY = 'deployledger.dev/key';

/** What correlation reads of a watched workload (Deployment, StatefulSet, DaemonSet, Rollout). */
export interface WorkloadObject {
  metadata?: V1ObjectMeta;
  spec?: { template?: { spec?: { containers?: Array<{ image?: string }> } } };
}

/** A workload a list or a watch saw: its names, the object decoded only when asked (once). */
/** Why an object can never match a record: nothing on it names one. */
export const NOTHING_TO_MATCH = 'no annotations and no image tag that is a sha';

export interface SeenObject {
  namespace: string;
  name: string;
  object(): WorkloadObject;
}

export interface ObjectRef {
  namespace: string;
  name: string;
}

export interface Annotated {
  repository?: string | undefined;
  environment?: string | undefined;
  key?: string | undefined;
}

export type Correlation =
  | { kind: 'matched'; record: DeploymentRecord; by: 'annotations' | 'image' }
  | { kind: 'unmatched'; why: string }
  | { kind: 'ambiguous'; candidates: string[] };

/** Reads, for a whole batch of objects at once, the records they may stand for. */
export type CandidateLookup = (keys: NamedKey[], shas: string[]) => Promise<K8sCandidates>;

export function objectRef(object: WorkloadObject): ObjectRef {
  return { namespace: object.metadata?.namespace ?? '', name: object.metadata?.name ?? '' };
}

export function deployledgerAnnotations(object: WorkloadObject): Annotated {
  const annotations = object.metadata?.annotations ?? {};
  return {
    repository: annotations[ANNOTATION_REPOSITORY]?.trim() || undefined,
    environment: annotations[ANNOTATION_ENVIRONMENT]?.trim() || undefined,
    key: annotations[ANNOTATION_KEY]?.trim() || undefined,
  };
}

/** The record key the three annotations name, if all three are there. */
export function annotatedKey(object: WorkloadObject): NamedKey | null {
  const { repository, environment, key } = deployledgerAnnotations(object);
  return repository && environment && key ? { repository, environment, key } : null;
}

/**
 * The tags of the pod template's container images that could be commit shas (7 to 64 hex
 * characters), lower-cased. `registry:5000/app:tag@sha256:…` has the tag `tag`; a digest-only
 * reference has none.
 */
export function imageShaTags(object: WorkloadObject): string[] {
  const containers = object.spec?.template?.spec?.containers ?? [];
  const tags = new Set<string>();
  for (const container of containers) {
    const tag = imageTag(container.image ?? '');
    if (tag && /^[0-9a-f]{7,64}$/i.test(tag)) tags.add(tag.toLowerCase());
  }
  return [...tags];
}

export function imageTag(image: string): string | null {
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSlash = withoutDigest.lastIndexOf('/');
  const lastColon = withoutDigest.lastIndexOf(':');
  return lastColon > lastSlash ? withoutDigest.slice(lastColon + 1) : null;
}

/**
 * Among the active records whose sha is an image tag of the object: exactly one is the match;
 * with several, the one whose `k8s` names this object; still several (or none naming it), no
 * match. A record that names another object is never a candidate: one image often runs in
 * several Deployments (web, worker), and a record that says which one it is must not be
 * settled by the other. A release names several: any of them is its.
 */
export function pickBySha(ref: ObjectRef, candidates: DeploymentRecord[], cluster?: string): Correlation {
  const eligible = candidates.filter(
    (record) => (!names(record) || namesWorkload(record, ref)) && expects(record, cluster),
  );
  if (eligible.length === 0)
    return { kind: 'unmatched', why: 'no active record has an image tag as its sha' };
  if (eligible.length === 1) return { kind: 'matched', record: eligible[0] as DeploymentRecord, by: 'image' };
  const naming = eligible.filter((record) => namesWorkload(record, ref));
  if (naming.length === 1) return { kind: 'matched', record: naming[0] as DeploymentRecord, by: 'image' };
  return { kind: 'ambiguous', candidates: eligible.map((record) => record.id) };
}

/**
 * Whether a record may be settled from this cluster: one that names the clusters it expects (a
 * release rolled out to several, each its own record per environment) is never matched by an
 * image in another cluster.
 */
function expects(record: DeploymentRecord, cluster: string | undefined): boolean {
  const clusters = record.k8sRollouts?.clusters ?? [];
  return cluster === undefined || clusters.length === 0 || clusters.includes(cluster);
}

/** Whether the record names any workload (its `k8s`, or the workloads of a release). */
function names(record: DeploymentRecord): boolean {
  return record.k8s !== null || (record.k8sRollouts?.workloads.length ?? 0) > 0;
}

/** The candidates of a batch, indexed once: by named key, and the active ones by sha. */
interface CandidateIndex {
  named: Map<string, DeploymentRecord>;
  activeBySha: Map<string, DeploymentRecord[]>;
}

const namedKey = (repository: string, environment: string, key: string) =>
  `${foldName(repository)}\n${foldName(environment)}\n${key}`;

function indexCandidates(candidates: K8sCandidates): CandidateIndex {
  const named = new Map<string, DeploymentRecord>();
  for (const record of candidates.named)
    named.set(namedKey(record.repository, record.environment, record.key), record);
  const activeBySha = new Map<string, DeploymentRecord[]>();
  for (const record of candidates.active) {
    const sha = record.sha.toLowerCase();
    activeBySha.set(sha, [...(activeBySha.get(sha) ?? []), record]);
  }
  return { named, activeBySha };
}

/**
 * The record an object stands for, among the candidates read for its batch: named by its three
 * annotations, else by image tag = sha. Partial annotations (repository and/or environment)
 * narrow the image match.
 */
function correlate(object: WorkloadObject, candidates: CandidateIndex, cluster?: string): Correlation {
  const named = annotatedKey(object);
  if (named) {
    const record = candidates.named.get(namedKey(named.repository, named.environment, named.key));
    return record
      ? { kind: 'matched', record, by: 'annotations' }
      : { kind: 'unmatched', why: 'no record has the annotated repository, environment and key' };
  }
  const tags = imageShaTags(object);
  if (tags.length === 0) return { kind: 'unmatched', why: NOTHING_TO_MATCH };
  const { repository, environment } = deployledgerAnnotations(object);
  const found = [...new Set(tags.flatMap((tag) => candidates.activeBySha.get(tag) ?? []))].filter(
    (record) =>
      (!repository || sameName(record.repository, repository)) &&
      (!environment || sameName(record.environment, environment)),
  );
  return pickBySha(objectRef(object), found, cluster);
}

/** Correlates a batch of objects with one read of the records they may stand for. */
export async function correlateAll(
  objects: WorkloadObject[],
  lookup: CandidateLookup,
  /** The cluster the objects are in (the watcher's name for it). */
  cluster?: string,
): Promise<{ correlations: Correlation[]; candidates: K8sCandidates }> {
  const keys: NamedKey[] = [];
  const shas = new Set<string>();
  for (const object of objects) {
    const named = annotatedKey(object);
    if (named) keys.push(named);
    else for (const tag of imageShaTags(object)) shas.add(tag);
  }
  const candidates = await lookup(keys, [...shas]);
  const index = indexCandidates(candidates);
  return { correlations: objects.map((object) => correlate(object, index, cluster)), candidates };
}
