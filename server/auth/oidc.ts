import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { type DomainError, unauthorized, unavailable } from '../errors.ts';
import type { Principal, TokenVerifier } from './api-keys.ts';

export interface OidcSettings {
  issuer: string;
  audience: string;
  /** Where the issuer publishes its signing keys; default `<issuer>/.well-known/jwks`. */
  jwksUrl?: string | undefined;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Accepts GitHub Actions OIDC tokens: signed by a key of the issuer's JWKS, for our audience,
 * not expired. The token speaks for its `repository` claim and, through `run_id` and
 * `run_attempt`, for one workflow run.
 */
export class OidcVerifier implements TokenVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly settings: OidcSettings) {
    this.keys = createRemoteJWKSet(new URL(settings.jwksUrl ?? defaultJwksUrl(settings.issuer)));
  }

  async verify(token: string): Promise<Principal | null> {
    if (!JWT_SHAPE.test(token)) return null;
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, this.keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['exp', 'repository'],
      }));
    } catch (error) {
      throw refusal(error, this.settings);
    }
    return principalFrom(claims);
  }
}

/** The verifiers the configuration enables: none unless an audience is set. */
export function oidcVerifiers(config: {
  DEPLOYLEDGER_OIDC_AUDIENCE?: string | undefined;
  DEPLOYLEDGER_OIDC_ISSUER: string;
  DEPLOYLEDGER_OIDC_JWKS_URL?: string | undefined;
}): TokenVerifier[] {
  if (!config.DEPLOYLEDGER_OIDC_AUDIENCE) return [];
  return [
    new OidcVerifier({
      issuer: config.DEPLOYLEDGER_OIDC_ISSUER,
      audience: config.DEPLOYLEDGER_OIDC_AUDIENCE,
      jwksUrl: config.DEPLOYLEDGER_OIDC_JWKS_URL,
    }),
  ];
}

export function defaultJwksUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/jwks`;
}

function principalFrom(claims: JWTPayload): Principal {
  const repository = claims.repository;
  if (typeof repository !== 'string' || !repository.includes('/')) {
    throw unauthorized('The OIDC token has no "repository" claim of the form owner/name.');
  }
  return {
    kind: 'oidc',
    repositories: [repository],
    repositoryId: positiveInteger(claims.repository_id, 'repository_id'),
    runId: positiveInteger(claims.run_id, 'run_id'),
    runAttempt: positiveInteger(claims.run_attempt, 'run_attempt'),
  };
}

/** GitHub sends run_id, run_attempt and repository_id as strings of digits. */
function positiveInteger(value: unknown, claim: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!/^[1-9]\d{0,15}$/.test(text)) throw unauthorized(`The OIDC token's "${claim}" claim is not a number.`);
  return Number(text);
}

/**
 * Why a token was refused, as far as it is safe to say: the reasons name our own settings
 * (audience, issuer) or the token's age, never key material.
 */
function refusal(error: unknown, settings: OidcSettings): DomainError {
  if (error instanceof errors.JWTExpired)
    return unauthorized('The OIDC token has expired; request a new one.');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') {
      return unauthorized(
        `The OIDC token is for another audience; request it with audience "${settings.audience}".`,
      );
    }
    if (error.claim === 'iss') {
      return unauthorized(`The OIDC token was not issued by ${settings.issuer}.`);
    }
    return unauthorized(`The OIDC token's "${error.claim}" claim is invalid (${error.reason}).`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return unauthorized('The OIDC token is not signed by a key of the trusted issuer (bad signature).');
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return unauthorized('The OIDC token uses a signing algorithm the issuer does not publish.');
  }
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) {
    return unauthorized('The OIDC token is malformed.');
  }
  // The issuer's keys could not be fetched: not the caller's fault, and worth a retry.
  return unavailable(
    'OIDC keys unavailable',
    'The server could not load the OIDC issuer keys to check the token; retry shortly.',
    5,
  );
}
