import type { V1Deployment } from '@kubernetes/client-node';
import { type DeploymentRecord, sameName } from '../ledger/index.ts';

export const ANNOTATION_REPOSITORY = 'deployledger.dev/repository';
export const ANNOTATION_ENVIRONMENT = 'deployledger.dev/environment';
export const ANNOTATION_KEY = 'deployledger.dev/key';
export const ANNOTATION_REVISION = 'deployment.kubernetes.io/revision';

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

/** What the record lookups the correlation needs; the database adapter implements them. */
export interface CorrelationLookup {
  byKey(repository: string, environment: string, key: string): Promise<DeploymentRecord | null>;
  activeBySha(shas: string[]): Promise<DeploymentRecord[]>;
}

export function objectRef(deployment: V1Deployment): ObjectRef {
  return { namespace: deployment.metadata?.namespace ?? '', name: deployment.metadata?.name ?? '' };
}

export function revisionOf(deployment: V1Deployment): string | null {
  return deployment.metadata?.annotations?.[ANNOTATION_REVISION] ?? null;
}

export function deployledgerAnnotations(deployment: V1Deployment): Annotated {
  const annotations = deployment.metadata?.annotations ?? {};
  return {
    repository: annotations[ANNOTATION_REPOSITORY]?.trim() || undefined,
    environment: annotations[ANNOTATION_ENVIRONMENT]?.trim() || undefined,
    key: annotations[ANNOTATION_KEY]?.trim() || undefined,
  };
}

/**
 * The tags of the pod template's container images that could be commit shas (7 to 64 hex
 * characters), lower-cased. `registry:5000/app:tag@sha256:…` has the tag `tag`; a digest-only
 * reference has none.
 */
export function imageShaTags(deployment: V1Deployment): string[] {
  const containers = deployment.spec?.template?.spec?.containers ?? [];
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
 * settled by the other.
 */
export function pickBySha(ref: ObjectRef, candidates: DeploymentRecord[]): Correlation {
  const eligible = candidates.filter((record) => !record.k8s || namesObject(record, ref));
  if (eligible.length === 0)
    return { kind: 'unmatched', why: 'no active record has an image tag as its sha' };
  if (eligible.length === 1) return { kind: 'matched', record: eligible[0] as DeploymentRecord, by: 'image' };
  const naming = eligible.filter((record) => namesObject(record, ref));
  if (naming.length === 1) return { kind: 'matched', record: naming[0] as DeploymentRecord, by: 'image' };
  return { kind: 'ambiguous', candidates: eligible.map((record) => record.id) };
}

function namesObject(record: DeploymentRecord, ref: ObjectRef): boolean {
  return record.k8s?.namespace === ref.namespace && record.k8s.name === ref.name;
}

/**
 * The record a Deployment object stands for: named by its three annotations, else by image
 * tag = sha. Partial annotations (repository and/or environment) narrow the image match.
 */
export async function correlate(deployment: V1Deployment, lookup: CorrelationLookup): Promise<Correlation> {
  const named = deployledgerAnnotations(deployment);
  if (named.repository && named.environment && named.key) {
    const record = await lookup.byKey(named.repository, named.environment, named.key);
    return record
      ? { kind: 'matched', record, by: 'annotations' }
      : { kind: 'unmatched', why: 'no record has the annotated repository, environment and key' };
  }
  const tags = imageShaTags(deployment);
  if (tags.length === 0) return { kind: 'unmatched', why: 'no annotations and no image tag that is a sha' };
  const candidates = (await lookup.activeBySha(tags)).filter(
    (record) =>
      (!named.repository || sameName(record.repository, named.repository)) &&
      (!named.environment || sameName(record.environment, named.environment)),
  );
  return pickBySha(objectRef(deployment), candidates);
}
