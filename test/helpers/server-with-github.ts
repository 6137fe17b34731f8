import { startGithubApi } from './github-api.ts';
import { createTestDatabase } from './postgres.ts';
import { startServer } from './server.ts';

/**
 * A fresh database, the GitHub API stand-in, and the server started against both with a token
 * (GitHub calls retried quickly); `stop` ends all three.
 */
export async function startServerWithGithub(env: Record<string, string>) {
  const db = await createTestDatabase();
  const github = await startGithubApi();
  const server = await startServer({
    DATABASE_URL: db.url,
    GITHUB_TOKEN: 'ghs_test_token',
    GITHUB_API_URL: github.url,
    DEPLOYLEDGER_GITHUB_RETRY_BASE_MS: '50',
    ...env,
  });
  return {
    db,
    github,
    server,
    async stop() {
      await server.stop();
      await github.close();
      await db.drop();
    },
  };
}
