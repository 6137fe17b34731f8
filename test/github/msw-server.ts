import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { fakeGithub } from '../helpers/msw-github.ts';

/** A fake GitHub (msw) for this test file: listening for its tests, emptied after each. */
export function useFakeGithub() {
  const github = fakeGithub();
  const server = setupServer(...github.handlers);
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => github.reset());
  afterAll(() => server.close());
  return github;
}
