import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { problemSchema } from './schemas.ts';
import { validationHook } from './validate.ts';

// Every route is declared with createRoute and registered with app.openapi: its schemas validate
// the request (validationHook answers our Problem) and document it, so the document cannot drift
// from what the server accepts. test/api/openapi.test.ts checks that every route the app answers
// is in it and lints it with Redocly.

/** An app whose routes validate and document themselves; mounted with app.route, their paths join. */
export const openApiApp = <E extends Env = Env>() => new OpenAPIHono<E>({ defaultHook: validationHook });

export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});
/** wellFormedUrl() answers every route so (a NUL byte, a lone surrogate, bad percent-encoding). */
export const malformedUrl = {
  400: problem('A path segment or query parameter holds text that cannot be stored'),
};
export const apiErrors = {
  400: problem('Invalid request: every bad field is named in `errors`'),
  401: problem('No or bad bearer token'),
  403: problem('The token is not for this repository (or this run)'),
};

const getOpenApiDocument = createRoute({
  method: 'get',
  path: '/openapi.json',
  operationId: 'getOpenApiDocument',
  tags: ['operations'],
  summary: 'This document',
  security: [],
  responses: {
    200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } },
    ...malformedUrl,
  },
});

const DOCUMENT = {
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
  security: [{ bearer: [] }],
};

/**
 * Serves GET /openapi.json: the document of every route registered on `app` so far, this one
 * included. Call it after mounting the rest, so they are in it.
 */
export function serveOpenApiDocument(app: OpenAPIHono) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'API key or GitHub Actions OIDC token',
  });
  let document: object | undefined;
  app.openapi(getOpenApiDocument, (c) => c.json(document));
  // Made once, at start: a route the generator cannot document fails the start, not a request.
  document = app.getOpenAPI31Document(DOCUMENT);
}
