import type { OpenAPIHono, RouteConfig, RouteConfigToEnv, RouteHandler } from '@hono/zod-openapi';
import type { Context, Env, MiddlewareHandler, ValidationTargets } from 'hono';
import type { z } from 'zod';
import { readJsonBody, validationHook } from './validate.ts';

/**
 * Registers a route as `app.openapi` does, documented from `route` and validated by its own
 * schemas with validationHook answering what fails, for a route that takes path parameters,
 * headers and a JSON body (no query or cookie parameters); `route.middleware` runs first, as
 * app.openapi runs it (before the body is read). The checks run in one synchronous step: app.openapi
 * chains a validator per part (and a media-type gate), each an async middleware that parses with
 * `safeParseAsync` and hands the header schema every header of the request under remapped names.
 * Here each declared header is read by name and every schema parses synchronously (they hold no
 * async refinement), so a create spends about half as much on its validation and its garbage.
 * A JSON body is read by readJsonBody first, after `route.middleware`.
 */
export function addValidatedRoute<R extends RouteConfig, E extends Env>(
  app: OpenAPIHono<E>,
  route: R,
  handler: RouteHandler<R, E & RouteConfigToEnv<R>>,
): void {
  const { middleware, hide, ...documented } = route;
  const { params, headers, body, ...others } = route.request ?? {};
  const unsupported = Object.keys(others).filter((part) => others[part as keyof typeof others]);
  if (unsupported.length > 0 || Array.isArray(headers) || Array.isArray(params)) {
    throw new Error(`addValidatedRoute: ${route.method} ${route.path} declares ${unsupported.join(', ')}`);
  }
  const paramSchema = params as z.ZodObject | undefined;
  const headerSchema = headers as z.ZodObject | undefined;
  const headerNames = headerSchema ? Object.keys(headerSchema.shape) : [];
  const media = body?.content['application/json'];
  const jsonSchema = media && 'schema' in media ? (media.schema as z.ZodType) : undefined;
  if (body && (!jsonSchema || Object.keys(body.content).length > 1)) {
    throw new Error(`addValidatedRoute: ${route.method} ${route.path} takes a body other than JSON`);
  }

  /** True when valid (the value is then the route's validated data); validationHook throws otherwise. */
  const check = (c: Context, target: keyof ValidationTargets, schema: z.ZodType, value: unknown) => {
    const result = schema.safeParse(value);
    // As zValidator hands it over: what the schema made of the value, or the value it checked.
    const outcome = result.success ? { ...result, target } : { ...result, data: value, target };
    validationHook(outcome, c);
    if (result.success) c.req.addValidatedData(target, result.data as object);
    return result.success;
  };

  const validate: MiddlewareHandler<E> = async (c, next) => {
    if (jsonSchema) await readJsonBody(c);
    if (paramSchema && !check(c, 'param', paramSchema, c.req.param())) return c.json({ success: false }, 400);
    if (headerSchema) {
      const value: Record<string, string | undefined> = {};
      for (const name of headerNames) value[name] = c.req.header(name);
      if (!check(c, 'header', headerSchema, value)) return c.json({ success: false }, 400);
    }
    if (jsonSchema && !check(c, 'json', jsonSchema, await c.req.json()))
      return c.json({ success: false }, 400);
    await next();
  };

  if (!hide) app.openAPIRegistry.registerPath(documented);
  const path = route.path.replaceAll(/\/{(.+?)}/g, '/:$1');
  const before = middleware ? [middleware].flat() : [];
  app.on([route.method], [path], ...(before as MiddlewareHandler<E>[]), validate, handler as never);
}
