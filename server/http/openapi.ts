import { Hono } from 'hono';
import { z } from 'zod';
import { doraQuerySchema, doraResponseSchema } from './dora-schemas.ts';
import { dashboardPaths, dashboardSecurityScheme } from './openapi-dashboard.ts';
import {
  createDeploymentSchema,
  deploymentSchema,
  listQuerySchema,
  problemSchema,
  statusSchema,
  timelineEventSchema,
} from './schemas.ts';

// The OpenAPI document is generated from the same zod schemas the routes validate with, so it
// cannot drift from what the server accepts; test/api/openapi.test.ts checks that every route
// the app answers is in it and lints it with Redocly.
const schema = (s: z.ZodType) =>
  z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
/** wellFormedUrl() answers every route so (a NUL byte, a lone surrogate, bad percent-encoding). */
const malformed = { '400': problem('A path segment or query parameter holds text that cannot be stored') };
const errors = {
  '400': problem('Invalid request: every bad field is named in `errors`'),
  '401': problem('No or bad bearer token'),
  '403': problem('The token is not for this repository (or this run)'),
};

function queryParameters(query: z.ZodType) {
  const properties = (schema(query) as { properties: Record<string, { description?: string }> }).properties;
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: 'query',
    required: false,
    ...(s.description ? { description: s.description } : {}),
    schema: s,
  }));
}

export function openApiDocument() {
  const statusResponse = {
    description: 'The record, and whether this status was applied (`reason`: late, duplicate, conflicting)',
    content: {
      'application/json': {
        schema: {
          allOf: [
            ref('Deployment'),
            {
              type: 'object',
              properties: { applied: { type: 'boolean' }, reason: { type: ['string', 'null'] } },
            },
          ],
        },
      },
    },
  };
  const statusBody = { required: true, content: json('StatusRequest') };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Deployledger',
      version: '1',
      description: 'One true record per deployment.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'This server' }],
    tags: [
      { name: 'deployments', description: 'The records: create, report a status, read' },
      { name: 'dora', description: 'The five DORA figures' },
      { name: 'webhooks', description: 'GitHub deliveries' },
      { name: 'operations', description: 'Health, readiness, metrics, this document' },
      { name: 'dashboard', description: 'The server-rendered dashboard (HTML)' },
    ],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API key or GitHub Actions OIDC token' },
        session: dashboardSecurityScheme,
      },
      schemas: {
        CreateDeploymentRequest: schema(createDeploymentSchema),
        StatusRequest: schema(statusSchema),
        Deployment: schema(deploymentSchema),
        TimelineEvent: schema(timelineEventSchema),
        Problem: schema(problemSchema),
        DoraReport: schema(doraResponseSchema),
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/deployments': {
        post: {
          operationId: 'createDeployment',
          tags: ['deployments'],
          summary: 'Create a deployment record, idempotently',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: true,
              description:
                '`"<run_id>-<run_attempt>"` (structured-field string; the bare form names the same key), at most 255 characters',
              schema: { type: 'string', maxLength: 257 },
            },
          ],
          requestBody: { required: true, content: json('CreateDeploymentRequest') },
          responses: {
            '201': {
              description: 'Created',
              headers: { Location: { schema: { type: 'string' } } },
              content: json('Deployment'),
            },
            '200': {
              description: 'A replay: same key, same body',
              headers: { 'Idempotent-Replayed': { schema: { type: 'string', const: 'true' } } },
              content: json('Deployment'),
            },
            ...errors,
            '409': problem(
              'Another deployment of the environment is active (`active_deployment`); send supersede: true',
            ),
            '413': problem('Body too large'),
            '422': problem('The key was used with a different body'),
          },
        },
        get: {
          operationId: 'listDeployments',
          tags: ['deployments'],
          summary: 'List deployments, newest first',
          parameters: queryParameters(listQuerySchema),
          responses: {
            '200': {
              description: 'A page; `next_cursor` fetches the next',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      deployments: { type: 'array', items: ref('Deployment') },
                      next_cursor: { type: ['string', 'null'] },
                    },
                  },
                },
              },
            },
            ...errors,
          },
        },
      },
      '/v1/deployments/{id}': {
        get: {
          operationId: 'getDeployment',
          tags: ['deployments'],
          summary: 'One record with its timeline',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          responses: {
            '200': {
              description: 'The record with `events`',
              content: {
                'application/json': {
                  schema: {
                    allOf: [
                      ref('Deployment'),
                      {
                        type: 'object',
                        properties: { events: { type: 'array', items: ref('TimelineEvent') } },
                      },
                    ],
                  },
                },
              },
            },
            ...errors,
            '404': problem('No such record'),
          },
        },
      },
      '/v1/deployments/{id}/status': {
        post: {
          operationId: 'reportStatus',
          tags: ['deployments'],
          summary: 'Report a status by record id (never 409)',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          requestBody: statusBody,
          responses: { '200': statusResponse, ...errors, '404': problem('No such record') },
        },
      },
      '/v1/deployments/by-key/{owner}/{repo}/{environment}/{key}/status': {
        post: {
          operationId: 'reportStatusByKey',
          tags: ['deployments'],
          summary: 'Report a status by idempotency key (each segment URL-encoded)',
          parameters: ['owner', 'repo', 'environment', 'key'].map((name) => ({
            name,
            in: 'path',
            required: true,
            schema: { type: 'string' },
          })),
          requestBody: statusBody,
          responses: { '200': statusResponse, ...errors, '404': problem('No record has this key') },
        },
      },
      '/v1/dora': {
        get: {
          operationId: 'getDora',
          tags: ['dora'],
          summary: 'The five DORA figures per repository and environment the token may read',
          parameters: queryParameters(doraQuerySchema),
          responses: {
            '200': {
              description: 'One entry per (repository, environment), with its trend',
              content: json('DoraReport'),
            },
            ...errors,
          },
        },
      },
      '/webhooks/github': {
        post: {
          operationId: 'receiveGithubWebhook',
          tags: ['webhooks'],
          summary: 'GitHub webhook deliveries (deployment, deployment_status, workflow_run, ping)',
          security: [],
          responses: {
            '202': { description: 'Stored; processed from the store' },
            '200': { description: 'A redelivery already stored, or ping' },
            '400': problem('Missing GitHub headers or malformed JSON'),
            '401': problem('Bad X-Hub-Signature-256'),
            '503': problem('Not stored: redeliver'),
          },
        },
      },
      '/healthz': {
        get: {
          operationId: 'getHealth',
          tags: ['operations'],
          summary: 'Process up',
          security: [],
          responses: { '200': { description: 'ok' }, ...malformed },
        },
      },
      '/readyz': {
        get: {
          operationId: 'getReadiness',
          tags: ['operations'],
          summary: 'Database reachable',
          security: [],
          responses: { '200': { description: 'ready' }, ...malformed, '503': { description: 'not ready' } },
        },
      },
      '/metrics': {
        get: {
          operationId: 'getMetrics',
          tags: ['operations'],
          summary: 'Prometheus metrics (with DEPLOYLEDGER_METRICS_TOKEN set: only with it as bearer token)',
          security: [{}, { bearer: [] }],
          responses: {
            '200': {
              description: 'Text exposition format',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
            '401': { description: 'DEPLOYLEDGER_METRICS_TOKEN is set and was not given' },
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApiDocument',
          tags: ['operations'],
          summary: 'This document',
          security: [],
          responses: {
            '200': {
              description: 'OpenAPI 3.1',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            ...malformed,
          },
        },
      },
      ...dashboardPaths(),
    },
  };
}

export function openApiRoutes() {
  const document = openApiDocument();
  return new Hono().get('/openapi.json', (c) => c.json(document));
}
