import type { Config } from '../config.ts';
import type { FetchLimits } from './fetch-endpoint.ts';
import type { SamplingPlan } from './schedule.ts';

export function samplingPlan(config: Config): SamplingPlan {
  return {
    postCount: config.DEPLOYLEDGER_SAMPLING_POST_COUNT,
    postWindowMs: config.DEPLOYLEDGER_SAMPLING_POST_WINDOW_SECONDS * 1000,
  };
}

export function samplingLimits(config: Config): FetchLimits {
  return {
    timeoutMs: config.DEPLOYLEDGER_SAMPLING_TIMEOUT_MS,
    maxBytes: config.DEPLOYLEDGER_SAMPLING_MAX_BYTES,
    allowPrivate: config.DEPLOYLEDGER_SAMPLING_ALLOW_PRIVATE,
  };
}
