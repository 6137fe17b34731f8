import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type formatsPlugin from 'ajv-formats';
import { sample } from 'openapi-sampler';
import { setRepository } from './deliveries.ts';

const require = createRequire(import.meta.url);
// GitHub's own webhook schema (npm @octokit/openapi-webhooks); the examples package has no
// `deployment_protection_rule` delivery, so payloads are sampled from the schema and checked by it.
const spec = require('@octokit/openapi-webhooks/generated/api.github.com.json');
const SCHEMA = 'webhook-deployment-protection-rule-requested';

const addFormats: typeof formatsPlugin.default = require('ajv-formats');
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'https://webhooks.test/spec', components: spec.components });
const validate = ajv.getSchema(`https://webhooks.test/spec#/components/schemas/${SCHEMA}`);
if (!validate) throw new Error(`@octokit/openapi-webhooks has no schema ${SCHEMA}`);

// biome-ignore lint/suspicious/noExplicitAny: payloads are edited freely, then checked by the schema
type Payload = Record<string, any>;

export interface ProtectionRequestOptions {
  /** Where the stand-in of GitHub's API listens; the callback URL points there. */
  apiUrl: string;
  repository: string;
  environment: string;
  runId: number;
  installationId: number;
  githubDeploymentId: number;
  sha: string;
}

/** A `deployment_protection_rule` (requested) delivery as GitHub sends it to the App, valid by GitHub's schema. */
export function protectionRequest(options: ProtectionRequestOptions): Payload {
  const payload = sample(spec.components.schemas[SCHEMA], { skipNonRequired: false }, spec) as Payload;
  const [owner, repo] = options.repository.split('/');
  payload.action = 'requested';
  payload.environment = options.environment;
  payload.event = 'push';
  payload.deployment_callback_url = `${options.apiUrl}/repos/${options.repository}/actions/runs/${options.runId}/deployment_protection_rule`;
  payload.pull_requests = [];
  setRepository(payload, options.repository);
  payload.repository.name = repo;
  payload.repository.owner.login = owner;
  payload.installation.id = options.installationId;
  Object.assign(payload.deployment, {
    id: options.githubDeploymentId,
    sha: options.sha,
    ref: 'main',
    environment: options.environment,
    original_environment: options.environment,
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
    creator: payload.sender,
  });
  conform(payload);
  return payload;
}

/**
 * The sampler leaves nullable objects it could not fill as `{}`; GitHub sends null there. Any
 * other mismatch with the schema is a bug in the test.
 */
function conform(payload: Payload) {
  for (let round = 0; round < 20; round++) {
    if (validate?.(payload)) return;
    const empties = (validate?.errors ?? []).filter(
      (error) =>
        error.keyword === 'type' &&
        error.params.type === 'null' &&
        isEmptyObject(at(payload, error.instancePath)),
    );
    if (empties.length === 0) break;
    for (const error of empties) set(payload, error.instancePath, null);
  }
  throw new Error(`payload does not match ${SCHEMA}: ${ajv.errorsText(validate?.errors)}`);
}

function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function at(payload: Payload, pointer: string): unknown {
  return segments(pointer).reduce<unknown>((value, key) => (value as Payload | undefined)?.[key], payload);
}

function set(payload: Payload, pointer: string, value: unknown) {
  const keys = segments(pointer);
  const last = keys.pop() as string;
  (at(payload, keys.length ? `/${keys.join('/')}` : '') as Payload)[last] = value;
}

function isEmptyObject(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0
  );
}
