import type { DeploymentRecord, NewDeployment } from '../ledger/index.ts';

// The API's JSON is the core record under the contract's names: snake_case keys, ISO 8601 text for
// times. These types derive it from server/ledger/types.ts, so the zod schemas (schemas.ts), the
// presenter (present.ts) and the Action (action/, through `import type`) cannot drift from the
// record: a field added to DeploymentRecord and forgotten in one of them fails `npm run typecheck`.

/** `githubDeploymentId` → `github_deployment_id` (digits stay: `k8sRevision` → `k8s_revision`). */
export type WireName<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${WireName<Tail>}`
  : S;

/** A value as JSON carries it: times as ISO text, objects under wire names, lists item by item, optional as null. */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer Item)[]
    ? Wire<Item>[]
    : T extends object
      ? { [K in keyof T as WireName<K & string>]-?: Wire<Exclude<T[K], undefined>> }
      : T;

/** Record fields the API does not show: storage and idempotency details. */
export type HiddenField = 'repositoryId' | 'metricsEndpoint' | 'fingerprint';

/** The record as the API answers it (`GET /v1/deployments/{id}` and every other answer with one). */
export type DeploymentJson = Wire<Omit<DeploymentRecord, HiddenField>>;

/**
 * NewDeployment fields a create request cannot set: the key is the Idempotency-Key header, the
 * others are learnt by the server or by other producers.
 */
export type UnsettableField =
  | 'key'
  | 'repositoryId'
  | 'githubDeploymentId'
  | 'fingerprint'
  | 'legacyFingerprint'
  | 'createdAt'
  // A release's workloads are sent as `k8s.name`'s list; its progress is learnt from the watchers.
  | 'k8sWorkloads'
  | 'k8sRollouts';

/** The keys of `POST /v1/deployments`' body that come from the record (`supersede` is an instruction). */
export type CreateFieldName = WireName<Exclude<keyof NewDeployment, UnsettableField> & string>;

/** `never` when A and B have the same keys; otherwise the keys only one of them has. */
export type KeyDifference<A, B> = Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A>;

/** Fails typecheck with the offending key's name unless `K` is `never`. */
export type NoKeys<K extends never> = K;

/** Fails typecheck unless A is assignable to B (use it both ways for "same value types"). */
export type Fits<A extends B, B> = A;
