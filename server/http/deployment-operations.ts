import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { idempotencyKeyHeader } from './idempotency-key.ts';
import { apiErrors, problem } from './openapi.ts';
import {
  createDeploymentSchema,
  deploymentSchema,
  listQuerySchema,
  statusSchema,
  timelineEventSchema,
} from './schemas.ts';

// The routes of /v1/deployments (paths relative to it): what each accepts and answers. The
// handlers, and the middleware that runs before a route's validators, are in deployments.ts.

const json = <S extends z.ZodType>(schema: S) => ({ 'application/json': { schema } });
// Not validated as a uuid: any other id is simply not found (404).
const recordId = z.object({ id: z.string().meta({ description: 'The record id', format: 'uuid' }) });
const statusResult = z.intersection(
  deploymentSchema,
  z.object({
    applied: z.boolean(),
    reason: z
      .string()
      .nullable()
      .meta({ description: 'Why not applied: late, duplicate, conflicting, replaced' }),
  }),
);
const statusResponse = {
  description: 'The record, and whether this status was applied',
  content: json(statusResult),
};
const statusBody = { required: true, content: json(statusSchema) };

export const createDeployment = createRoute({
  method: 'post',
  path: '/',
  operationId: 'createDeployment',
  tags: ['deployments'],
  summary: 'Create a deployment record, idempotently',
  request: {
    headers: z.object({ 'Idempotency-Key': idempotencyKeyHeader }),
    body: { required: true, content: json(createDeploymentSchema) },
  },
  responses: {
    201: {
      description: 'Created',
      headers: { Location: { schema: { type: 'string' } } },
      content: json(deploymentSchema),
    },
    200: {
      description: 'A replay: same key, same body',
      headers: { 'Idempotent-Replayed': { schema: { type: 'string', const: 'true' } } },
      content: json(deploymentSchema),
    },
    ...apiErrors,
    409: problem(
      'Another deployment of the environment is active (`active_deployment`); send supersede: true',
    ),
    413: problem('Body too large'),
    422: problem('The key was used with a different body'),
  },
});

export const listDeployments = createRoute({
  method: 'get',
  path: '/',
  operationId: 'listDeployments',
  tags: ['deployments'],
  summary: 'List deployments, newest first',
  request: { query: listQuerySchema },
  responses: {
    200: {
      description: 'A page; `next_cursor` fetches the next',
      content: json(z.object({ deployments: z.array(deploymentSchema), next_cursor: z.string().nullable() })),
    },
    ...apiErrors,
  },
});

export const getDeployment = createRoute({
  method: 'get',
  path: '/{id}',
  operationId: 'getDeployment',
  tags: ['deployments'],
  summary: 'One record with its timeline',
  request: { params: recordId },
  responses: {
    200: {
      description: 'The record with `events`',
      content: json(z.intersection(deploymentSchema, z.object({ events: z.array(timelineEventSchema) }))),
    },
    ...apiErrors,
    404: problem('No such record'),
  },
});

export const reportStatus = createRoute({
  method: 'post',
  path: '/{id}/status',
  operationId: 'reportStatus',
  tags: ['deployments'],
  summary: 'Report a status by record id (never 409)',
  request: { params: recordId, body: statusBody },
  responses: {
    200: statusResponse,
    ...apiErrors,
    404: problem('No such record'),
    413: problem('Body too large'),
  },
});

export const reportStatusByKey = createRoute({
  method: 'post',
  path: '/by-key/{owner}/{repo}/{environment}/{key}/status',
  operationId: 'reportStatusByKey',
  tags: ['deployments'],
  summary: 'Report a status by idempotency key (each segment URL-encoded)',
  request: {
    params: z.object({ owner: z.string(), repo: z.string(), environment: z.string(), key: z.string() }),
    body: statusBody,
  },
  responses: {
    200: statusResponse,
    ...apiErrors,
    404: problem('No record has this key'),
    413: problem('Body too large'),
  },
});
