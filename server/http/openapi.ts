import { Hono } from 'hono';
import { z } from 'zod';
import {
  createDeploymentSchema,
  deploymentSchema,
  listQuerySchema,
  problemSchema,
  statusSchema,
  timelineEventSchema,
} from './schemas.ts';

// The OpenAPI document is generated from the same zod schemas the routes validate with, so it
// cannot drift from what the server accepts.
const schema = (s: z.ZodType) =>
  z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const errors = {
  '400': problem('Invalid request: every bad field is named in `errors`'),
  '401': problem('No or bad bearer token'),
  '403': problem('The token is not for this repository (or this run)'),
};

function queryParameters() {
  const properties = (schema(listQuerySchema) as { properties: Record<string, object> }).properties;
  return Object.entries(properties).map(([name, s]) => ({ name, in: 'query', required: false, schema: s }));
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
    info: { title: 'Deployledger', version: '1', description: 'One true record per deployment.' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API key or GitHub Actions OIDC token' },
      },
      schemas: {
        CreateDeploymentRequest: schema(createDeploymentSchema),
        StatusRequest: schema(statusSchema),
        Deployment: schema(deploymentSchema),
        TimelineEvent: schema(timelineEventSchema),
        Problem: schema(problemSchema),
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/deployments': {
        post: {
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
          summary: 'List deployments, newest first',
          parameters: queryParameters(),
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
      '/webhooks/github': {
        post: {
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
        get: { summary: 'Process up', security: [], responses: { '200': { description: 'ok' } } },
      },
      '/readyz': {
        get: {
          summary: 'Database reachable',
          security: [],
          responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          security: [],
          responses: { '200': { description: 'text exposition format' } },
        },
      },
    },
  };
}

export function openApiRoutes() {
  const document = openApiDocument();
  return new Hono().get('/openapi.json', (c) => c.json(document));
}
