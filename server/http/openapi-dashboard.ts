// The dashboard's routes in the OpenAPI document: server-rendered HTML behind a session cookie
// (`deployledger_session`, set by POST /dashboard/sign-in), not an API to program against, but
// routes the server answers, so the document lists them too.

const html = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});
const redirect = (description: string) => ({
  description,
  headers: { Location: { description: 'Where to go', schema: { type: 'string' } } },
});
/** wellFormedUrl() answers every route so (a NUL byte, a lone surrogate, bad percent-encoding). */
const malformed = {
  '400': { description: 'A path segment or query parameter holds text that cannot be stored' },
};
const signInFirst = { '401': { description: 'Not signed in (fragments and live updates)' } };
const pathParameter = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const query = (name: string, description: string, schema: object = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});
const repositoryFilter = query('repository', 'Only this repository ("owner/name")');
const session = [{ session: [] }];

const page = (operationId: string, summary: string, parameters: object[] = [], extra: object = {}) => ({
  get: {
    operationId,
    summary,
    tags: ['dashboard'],
    security: session,
    parameters,
    responses: {
      '200': html('The page'),
      '302': redirect('Not signed in: to the sign-in page'),
      ...malformed,
      ...extra,
    },
  },
});

const environmentParameters = [
  pathParameter('owner', 'Repository owner'),
  pathParameter('repo', 'Repository name'),
  pathParameter('environment', 'Environment name'),
];
const deploymentId = pathParameter('id', 'The record id');

export const dashboardSecurityScheme = {
  type: 'apiKey',
  in: 'cookie',
  name: 'deployledger_session',
  description: 'The dashboard session, set by signing in with a project API key',
};

export function dashboardPaths() {
  return {
    '/': {
      get: {
        operationId: 'getRoot',
        summary: 'Redirects to the dashboard',
        tags: ['dashboard'],
        security: [],
        responses: { '302': redirect('To /dashboard'), ...malformed },
      },
    },
    '/dashboard': page('getDashboardEnvironments', 'Environments: what runs where', [repositoryFilter]),
    '/dashboard/sign-in': {
      get: {
        operationId: 'getDashboardSignIn',
        summary: 'The sign-in form',
        tags: ['dashboard'],
        security: [],
        parameters: [query('next', 'A /dashboard path to go to after signing in')],
        responses: { '200': html('The form'), '302': redirect('Public dashboard: no sign-in'), ...malformed },
      },
      post: {
        operationId: 'postDashboardSignIn',
        summary: 'Sign in with a project API key',
        tags: ['dashboard'],
        security: [],
        requestBody: {
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
        responses: {
          '303': redirect('Signed in: the session cookie is set'),
          '401': html('Not a valid project API key'),
          '403': { description: 'Posted from another site' },
          '413': { description: 'Body too large' },
        },
      },
    },
    '/dashboard/sign-out': {
      post: {
        operationId: 'postDashboardSignOut',
        summary: 'Sign out',
        tags: ['dashboard'],
        security: session,
        responses: {
          '303': redirect('Signed out: to the sign-in page'),
          '403': { description: 'Posted from another site' },
        },
      },
    },
    '/dashboard/environments/{owner}/{repo}/{environment}': page(
      'getDashboardHistory',
      'History of one environment',
      [
        ...environmentParameters,
        query('state', 'Only this state'),
        query('cursor', 'The next page, from the previous one'),
      ],
      { '404': html('No such environment, or not visible to this session') },
    ),
    '/dashboard/deployments/{id}': page(
      'getDashboardDeployment',
      'One deployment and its timeline',
      [deploymentId],
      {
        '404': html('No such deployment, or not visible to this session'),
      },
    ),
    '/dashboard/dora': page('getDashboardDora', 'DORA figures', [
      repositoryFilter,
      query('environment', 'Only this environment'),
      query('days', 'Window: the last 7, 30, 90 or 180 days', { type: 'integer', enum: [7, 30, 90, 180] }),
    ]),
    '/dashboard/fragments/environments': {
      get: {
        operationId: 'getDashboardEnvironmentsFragment',
        summary: "The environments table alone (the page's live updates)",
        tags: ['dashboard'],
        security: session,
        parameters: [repositoryFilter],
        responses: { '200': html('The table'), ...signInFirst },
      },
    },
    '/dashboard/fragments/deployments/{id}': {
      get: {
        operationId: 'getDashboardDeploymentFragment',
        summary: "One deployment's detail alone (the page's live updates)",
        tags: ['dashboard'],
        security: session,
        parameters: [deploymentId],
        responses: { '200': html('The detail'), ...signInFirst, '404': html('Not found') },
      },
    },
    '/dashboard/live': {
      get: {
        operationId: 'getDashboardLive',
        summary: 'Server-Sent Events: a change landed, refresh',
        tags: ['dashboard'],
        security: session,
        responses: {
          '200': {
            description: 'An event stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...signInFirst,
        },
      },
    },
    '/dashboard/assets/{name}': {
      get: {
        operationId: 'getDashboardAsset',
        summary: "The dashboard's stylesheet and script",
        tags: ['dashboard'],
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
          '200': {
            description: 'The file',
            content: {
              'text/css': { schema: { type: 'string' } },
              'text/javascript': { schema: { type: 'string' } },
            },
          },
          '404': { description: 'No such asset' },
        },
      },
    },
  };
}
