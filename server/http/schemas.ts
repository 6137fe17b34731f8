import { z } from 'zod';
import { instant } from '../instant.ts';
import {
  DEPLOYMENT_KINDS,
  MAX_RUN_ATTEMPT,
  parseState,
  type Signal,
  STATES,
  type State,
} from '../ledger/index.ts';
import { k8sClustersSchema, k8sRequestSchema, k8sRolloutsSchema } from './k8s-schemas.ts';
import type { CreateFieldName, DeploymentJson, Fits, KeyDifference, NoKeys, WireName } from './wire.ts';

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048);

// An ISO time the database can store and that makes sense for a deployment (PostgreSQL has no year 0).

const state = z
  .enum([...STATES, 'running'], {
    error: 'must be one of pending, queued, in_progress (or running), success, failure, error, inactive',
  })
  .transform((value): State => parseState(value) ?? 'in_progress');

export const repositorySchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be "owner/name"')
  .max(200);

export const createDeploymentSchema = z
  .strictObject({
    repository: repositorySchema,
    environment: z.string().min(1).max(255),
    sha: z.string().regex(/^[0-9a-fA-F]{7,64}$/, 'must be a commit sha (7 to 64 hex characters)'),
    ref: z.string().min(1).max(255).optional(),
    run_id: z.number().int().positive().optional(),
    run_attempt: z.number().int().positive().max(MAX_RUN_ATTEMPT).optional(),
    state: state.optional(),
    environment_url: url.optional(),
    log_url: url.optional(),
    description: z.string().max(1024).optional(),
    metrics_endpoint: url.optional(),
    k8s: k8sRequestSchema.optional(),
    k8s_clusters: k8sClustersSchema.optional(),
    supersede: z.boolean().optional(),
    github_deployment: z.boolean().optional().meta({
      description:
        "false: create no GitHub deployment for this record; the job's own (a job with `environment:`) is adopted when its delivery arrives. Default true.",
    }),
    commit_at: instant.optional(),
  })
  .meta({ id: 'CreateDeploymentRequest' });
export type CreateDeploymentBody = z.infer<typeof createDeploymentSchema>;
/** The body as a client sends it (before defaults and aliases): what the Action builds. */
export type CreateDeploymentRequest = z.input<typeof createDeploymentSchema>;

export const statusSchema = z
  .strictObject({
    state,
    environment_url: url.optional(),
    log_url: url.optional(),
    description: z.string().max(1024).optional(),
    at: instant.optional(),
  })
  .meta({ id: 'StatusRequest' });
export type StatusBody = z.infer<typeof statusSchema>;
export type StatusRequest = z.input<typeof statusSchema>;

/**
 * A query string's parameters as `c.req.query()` reads them: a repeated parameter counts with its
 * first value (the route validators would otherwise see an array).
 */
export const queryOf = <S extends z.ZodObject>(schema: S) =>
  z.pipe(
    z.transform((query: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(query).map(([name, value]) => [name, Array.isArray(value) ? value[0] : value]),
      ),
    ),
    schema,
  );

export const listQuerySchema = queryOf(
  z.object({
    repository: repositorySchema.optional(),
    environment: z.string().min(1).max(255).optional(),
    state: state.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  }),
);

const timestamp = z.iso.datetime().nullable();

/** The record as the API answers it (documentation of server/http/present.ts). */
export const deploymentSchema = z
  .object({
    id: z.uuid(),
    repository: z.string(),
    environment: z.string(),
    key: z.string(),
    sha: z.string(),
    ref: z.string().nullable(),
    state: z.enum(STATES),
    kind: z.enum(DEPLOYMENT_KINDS).meta({
      description:
        "`rollback`: this sha succeeded in the environment before and is an ancestor of the current deployment's (GitHub's compare API when a token is set; else: it succeeded before and is not the current one); `redeploy`: the current sha again; `forward` otherwise. Decided when the record is created; see docs/api.md.",
    }),
    run_id: z.number().int().nullable(),
    run_attempt: z.number().int().nullable(),
    github_deployment_id: z.number().int().nullable(),
    k8s: z.object({ namespace: z.string(), name: z.string(), revision: z.string().nullable() }).nullable(),
    k8s_rollouts: k8sRolloutsSchema,
    environment_url: z.string().nullable(),
    log_url: z.string().nullable(),
    description: z.string().nullable(),
    commit_at: z.iso.datetime().nullable(),
    created_at: z.iso.datetime(),
    started_at: timestamp,
    deployed_at: timestamp,
    completed_at: timestamp,
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'Deployment' });

/**
 * The schemas against the record they describe (wire.ts): a field added to DeploymentRecord or
 * NewDeployment and not here (or here and not there) fails typecheck naming the field. A create
 * field the API should not take goes into wire.ts' UnsettableField; one it should not show, into
 * HiddenField.
 */
export type SchemaChecks = [
  NoKeys<KeyDifference<z.output<typeof deploymentSchema>, DeploymentJson>>,
  Fits<z.output<typeof deploymentSchema>, DeploymentJson>,
  Fits<DeploymentJson, z.output<typeof deploymentSchema>>,
  NoKeys<KeyDifference<Omit<CreateDeploymentBody, 'supersede'>, Record<CreateFieldName, unknown>>>,
  NoKeys<Exclude<keyof StatusBody, WireName<keyof Signal>>>,
];

export const timelineEventSchema = z
  .object({
    id: z.number().int(),
    source: z.string(),
    state: z.enum(STATES).nullable(),
    applied: z.boolean(),
    reason: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
    occurred_at: z.iso.datetime(),
    received_at: z.iso.datetime(),
  })
  .meta({ id: 'TimelineEvent' });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });
