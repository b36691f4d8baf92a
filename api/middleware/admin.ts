import type { MiddlewareHandler } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import { ApiError } from '../errors.ts';

/**
 * Guards admin routes with `Authorization: Bearer <ONRAMP_ADMIN_TOKEN>`, compared in constant time.
 */
export function requireAdmin(adminToken: string): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new ApiError(401, 'unauthorized', 'authorization: admin bearer token required');
    if (!(await timingSafeEqual(match[1]!, adminToken))) {
      throw new ApiError(401, 'unauthorized', 'authorization: admin token is not valid');
    }
    await next();
  };
}
