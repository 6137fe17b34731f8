import { afterAll, inject } from 'vitest';
import { saveStats } from './stats.ts';

// Runs in every e2e test file: hands its counts to the global teardown's summary.
afterAll(() => saveStats(inject('statsDir')));
