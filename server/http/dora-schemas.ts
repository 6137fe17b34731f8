import { z } from 'zod';
import { DORA_MAX_PAGE_SIZE, DORA_PAGE_SIZE } from '../dora/page.ts';
import { windowQuerySchema } from '../dora/window.ts';
import { queryOf, repositorySchema } from './schemas.ts';

/** GET /v1/dora's query: the route validates with it and the OpenAPI document is made from it. */
export const doraQuerySchema = queryOf(
  windowQuerySchema.extend({
    repository: repositorySchema.optional(),
    environment: z.string().min(1).max(255).optional(),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(DORA_MAX_PAGE_SIZE)
      .default(DORA_PAGE_SIZE)
      .meta({
        description: `Environments per answer (default ${DORA_PAGE_SIZE}); more follow by \`cursor\`.`,
      }),
    cursor: z
      .string()
      .max(3000)
      .optional()
      .meta({ description: '`next_cursor` of the previous answer, with the same other parameters.' }),
  }),
);

const band = z.enum(['elite', 'high', 'medium', 'low']).nullable();
/** The State of DevOps report the band comes from (2024); null with the band. */
const bandYear = z.number().int().nullable();
const seconds = z.number().nullable();

export const doraEnvironmentSchema = z.object({
  repository: z.string(),
  environment: z.string(),
  since: z.iso.datetime(),
  until: z.iso.datetime(),
  deployment_frequency: z.object({
    deployments: z.number().int(),
    per_day: z.number(),
    band,
    band_year: bandYear,
  }),
  change_lead_time: z.object({
    median_seconds: seconds,
    samples: z.number().int(),
    band,
    band_year: bandYear,
  }),
  change_fail_rate: z.object({
    rate: z.number().nullable(),
    failed: z.number().int(),
    finished: z.number().int(),
    band,
    band_year: bandYear,
  }),
  failed_deployment_recovery_time: z.object({
    median_seconds: seconds,
    failures: z.number().int(),
    recovered: z.number().int(),
    recovered_by_rollback: z
      .number()
      .int()
      .meta({ description: 'Of the recovered failures, those whose recovering success was a rollback.' }),
    unrecovered: z.number().int(),
    band,
    band_year: bandYear,
  }),
  deployment_rework_rate: z.object({
    rate: z.number().nullable(),
    rework: z.number().int(),
    deployments: z.number().int(),
    rollbacks: z
      .number()
      .int()
      .meta({ description: "Rework that was a rollback (the deployment's `kind`)." }),
    redeploys: z
      .number()
      .int()
      .meta({ description: 'The same as `rollbacks` (its name until December 2026).' }),
    after_failure: z.number().int(),
    after_failure_minutes: z.number().int(),
  }),
  trend: z.array(
    z.object({
      start: z.iso.datetime(),
      end: z.iso.datetime(),
      deployments: z.number().int(),
      failures: z.number().int(),
      change_fail_rate: z.number().nullable(),
      change_lead_time_median_seconds: seconds,
      failed_deployment_recovery_median_seconds: seconds,
      deployment_rework_rate: z.number().nullable(),
    }),
  ),
});

export const doraResponseSchema = z
  .object({
    since: z.iso.datetime(),
    until: z.iso.datetime(),
    bucket_seconds: z.number(),
    environments: z.array(doraEnvironmentSchema),
    next_cursor: z.string().nullable().meta({
      description: 'Where the next page of environments starts (pass it as `cursor`); null on the last page.',
    }),
  })
  .meta({ id: 'DoraReport' });
