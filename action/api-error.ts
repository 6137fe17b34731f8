/** A refusal the server means (a 4xx other than 429): retrying the same request cannot help. */
export class ApiError extends Error {
  readonly problem: Problem;

  constructor(
    readonly status: number,
    payload: unknown,
    auth: 'api_key' | 'oidc',
    /** The call refused: what it was for, and where it went. */
    call: { for: 'start' | 'status' | 'read'; url: string },
  ) {
    const problem = (payload ?? {}) as Problem;
    super(explain(status, problem, auth, call));
    this.problem = problem;
  }
}

interface Problem {
  title?: string;
  detail?: string;
  errors?: Array<{ field: string; message: string }>;
  active_deployment?: { id: string; key: string; sha: string; state: string; environment: string };
}

function explain(
  status: number,
  problem: Problem,
  auth: 'api_key' | 'oidc',
  call: { for: 'start' | 'status' | 'read'; url: string },
): string {
  const said = `The server answered ${status} ${problem.title ?? ''}`.trim();
  const detail = problem.detail ? `: ${problem.detail}` : '.';
  switch (status) {
    case 401:
      return auth === 'oidc'
        ? `${said}${detail} (The server checks the OIDC token's signature, issuer, expiry and audience; the oidc-audience input must equal its DEPLOYLEDGER_OIDC_AUDIENCE.)`
        : `${said}${detail} Check the token input: it must be an API key created with \`deployledger keys create <owner/repo>\`.`;
    case 403:
      return `${said}${detail} The token must be issued for this repository (and, for OIDC, this run).`;
    case 404: {
      const where = `Check server-url: the server's own address, without /v1 (this request went to ${call.url}).`;
      if (call.for === 'status')
        return `${said}${detail} Report a final status only after this Action ran with status: start earlier in the same run attempt and environment. ${where}`;
      return `${said}${detail} ${where}`;
    }
    case 409: {
      const active = problem.active_deployment;
      if (!active) return `${said}${detail}`;
      return (
        `Deployment ${active.id} (key ${active.key}, sha ${active.sha}) is still ${active.state} on ${active.environment}. ` +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, shown as is
        'Report its final status first (a step with status: ${{ job.status }} and if: always()), ' +
        'or set supersede: true to mark it inactive and start this one.'
      );
    }
    case 422:
      return `${said}${detail} Another step of this run attempt already started this environment with different inputs; give each step its own environment.`;
    case 400: {
      const fields = problem.errors?.map((error) => `${error.field} ${error.message}`).join('; ');
      return `${said}${fields ? `: ${fields}` : detail}`;
    }
    default:
      return `${said}${detail}`;
  }
}
