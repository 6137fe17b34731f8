import { z } from 'zod';
import { parseState, type State } from '../ledger/index.ts';

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048);

const state = z.string().transform((value, ctx): State => {
  const parsed = parseState(value);
  if (!parsed) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be one of pending, queued, in_progress (or running), success, failure, error, inactive',
    });
    return z.NEVER;
  }
  return parsed;
});

export const repositorySchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be "owner/name"')
  .max(200);

export const createDeploymentSchema = z.strictObject({
  repository: repositorySchema,
  environment: z.string().min(1).max(255),
  sha: z.string().regex(/^[0-9a-fA-F]{7,64}$/, 'must be a commit sha (7 to 64 hex characters)'),
  ref: z.string().min(1).max(255).optional(),
  run_id: z.number().int().positive().optional(),
  run_attempt: z.number().int().positive().optional(),
  state: state.optional(),
  environment_url: url.optional(),
  log_url: url.optional(),
  description: z.string().max(1024).optional(),
  metrics_endpoint: url.optional(),
  k8s: z.strictObject({ namespace: z.string().min(1).max(253), name: z.string().min(1).max(253) }).optional(),
  supersede: z.boolean().optional(),
});
export type CreateDeploymentBody = z.infer<typeof createDeploymentSchema>;

export const statusSchema = z.strictObject({
  state,
  environment_url: url.optional(),
  log_url: url.optional(),
  description: z.string().max(1024).optional(),
  at: z.iso.datetime({ offset: true }).optional(),
});
export type StatusBody = z.infer<typeof statusSchema>;

export const listQuerySchema = z.object({
  repository: repositorySchema.optional(),
  environment: z.string().min(1).max(255).optional(),
  state: state.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
