import { createRoute } from '@hono/zod-openapi';
import { malformedUrl } from '../http/openapi.ts';

// The dashboard's routes as the OpenAPI document lists them: server-rendered HTML behind a session
// cookie (`deployledger_session`, set by POST /dashboard/sign-in), not an API to program against,
// but routes the server answers. Paths are relative to /dashboard. Their parameters are read
// leniently by the pages (an unknown filter is ignored), so they are documented, not validated.

const html = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' as const } } },
});
const redirect = (description: string) => ({
  description,
  headers: { Location: { description: 'Where to go', schema: { type: 'string' as const } } },
});
const signInFirst = { 401: { description: 'Not signed in (fragments and live updates)' } };
const parameter = (
  where: 'path' | 'query',
  name: string,
  description: string,
  schema: { type: 'string' } | { type: 'integer'; enum: number[] } = { type: 'string' },
) => ({ name, in: where, required: where === 'path', description, schema });
const pathParameter = (name: string, description: string) => parameter('path', name, description);
const query = (name: string, description: string, schema?: { type: 'integer'; enum: number[] }) =>
  parameter('query', name, description, schema);
const repositoryFilter = query('repository', 'Only this repository ("owner/name")');
const deploymentId = pathParameter('id', 'The record id');
const tags = ['dashboard'];
const session = [{ session: [] }];

const page = <P extends string>(
  path: P,
  operationId: string,
  summary: string,
  parameters: Array<ReturnType<typeof parameter>> = [],
  notFound?: string,
) =>
  createRoute({
    method: 'get',
    path,
    operationId,
    summary,
    tags,
    security: session,
    parameters,
    responses: {
      200: html('The page'),
      302: redirect('Not signed in: to the sign-in page'),
      ...malformedUrl,
      ...(notFound ? { 404: html(notFound) } : {}),
    },
  });

export const dashboardSecurityScheme = {
  type: 'apiKey' as const,
  in: 'cookie' as const,
  name: 'deployledger_session',
  description: 'The dashboard session, set by signing in with a project API key',
};

/** GET / (outside /dashboard). */
export const getRoot = createRoute({
  method: 'get',
  path: '/',
  operationId: 'getRoot',
  summary: 'Redirects to the dashboard',
  tags,
  security: [],
  responses: { 302: redirect('To /dashboard'), ...malformedUrl },
});

export const getEnvironments = page('/', 'getDashboardEnvironments', 'Environments: what runs where', [
  repositoryFilter,
]);

export const getSignIn = createRoute({
  method: 'get',
  path: '/sign-in',
  operationId: 'getDashboardSignIn',
  summary: 'The sign-in form',
  tags,
  security: [],
  parameters: [query('next', 'A /dashboard path to go to after signing in')],
  responses: { 200: html('The form'), 302: redirect('Public dashboard: no sign-in'), ...malformedUrl },
});

export const postSignIn = createRoute({
  method: 'post',
  path: '/sign-in',
  operationId: 'postDashboardSignIn',
  summary: 'Sign in with a project API key',
  tags,
  security: [],
  request: {
    body: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': {
          schema: {
            type: 'object',
            required: ['key'],
            properties: { key: { type: 'string' }, next: { type: 'string' } },
          },
        },
      },
    },
  },
  responses: {
    303: redirect('Signed in: the session cookie is set'),
    401: html('Not a valid project API key'),
    403: { description: 'Posted from another site' },
    413: { description: 'Body too large' },
  },
});

export const postSignOut = createRoute({
  method: 'post',
  path: '/sign-out',
  operationId: 'postDashboardSignOut',
  summary: 'Sign out',
  tags,
  security: session,
  responses: {
    303: redirect('Signed out: to the sign-in page'),
    403: { description: 'Posted from another site' },
  },
});

export const getHistory = page(
  '/environments/{owner}/{repo}/{environment}',
  'getDashboardHistory',
  'History of one environment',
  [
    pathParameter('owner', 'Repository owner'),
    pathParameter('repo', 'Repository name'),
    pathParameter('environment', 'Environment name'),
    query('state', 'Only this state'),
    query('cursor', 'The next page, from the previous one'),
  ],
  'No such environment, or not visible to this session',
);

export const getDeployment = page(
  '/deployments/{id}',
  'getDashboardDeployment',
  'One deployment and its timeline',
  [deploymentId],
  'No such deployment, or not visible to this session',
);

export const getDora = page('/dora', 'getDashboardDora', 'DORA figures', [
  repositoryFilter,
  query('environment', 'Only this environment'),
  query('days', 'Window: the last 7, 30, 90 or 180 days', { type: 'integer', enum: [7, 30, 90, 180] }),
  query('cursor', 'Where this page of environments starts (the "More environments" link)'),
]);

export const getEnvironmentsFragment = createRoute({
  method: 'get',
  path: '/fragments/environments',
  operationId: 'getDashboardEnvironmentsFragment',
  summary: "The environments table alone (the page's live updates)",
  tags,
  security: session,
  parameters: [repositoryFilter],
  responses: { 200: html('The table'), ...signInFirst },
});

export const getDeploymentFragment = createRoute({
  method: 'get',
  path: '/fragments/deployments/{id}',
  operationId: 'getDashboardDeploymentFragment',
  summary: "One deployment's detail alone (the page's live updates)",
  tags,
  security: session,
  parameters: [deploymentId],
  responses: { 200: html('The detail'), ...signInFirst, 404: html('Not found') },
});

export const getLive = createRoute({
  method: 'get',
  path: '/live',
  operationId: 'getDashboardLive',
  summary: 'Server-Sent Events: a change landed, refresh',
  tags,
  security: session,
  responses: {
    200: { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
    ...signInFirst,
  },
});

/** Relative to /dashboard/assets. */
export const getAsset = createRoute({
  method: 'get',
  path: '/{name}',
  operationId: 'getDashboardAsset',
  summary: "The dashboard's stylesheet and script",
  tags,
  security: [],
  parameters: [
    {
      name: 'name',
      in: 'path',
      required: true,
      description: 'The file',
      schema: { type: 'string', enum: ['style.css', 'live.js'] },
    },
  ],
  responses: {
    200: {
      description: 'The file',
      content: {
        'text/css': { schema: { type: 'string' } },
        'text/javascript': { schema: { type: 'string' } },
      },
    },
    404: { description: 'No such asset' },
  },
});
