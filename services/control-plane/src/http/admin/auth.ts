import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { forbidden, unauthorized } from '@switchyard/contracts';
import { isLoopbackIp, parseIp } from '../../schedulers/ip-address';
import type { CallerRole } from '../../schedulers/url-policy';

export interface AdminAuthOptions {
  adminToken?: string;
  registrationToken?: string;
}

/** Calls a registration-token caller may make (ARCHITECTURE.md: the calls marked R). */
const REGISTRATION_CALLS = new Set(['POST /admin/scheduler/add', 'DELETE /admin/scheduler/remove']);

/**
 * Who is calling, or why not: the admin token makes an admin; with no
 * ADMIN_TOKEN configured, a loopback caller is an admin (local development);
 * the registration token makes a registration caller. Anything else is refused:
 * 401 for a missing or wrong token, 403 for a remote caller while the admin API
 * is loopback-only.
 */
export function resolveRole(options: AdminAuthOptions, authorization: string | undefined, remoteAddress: string | undefined): CallerRole | Error {
  const token = bearerToken(authorization);
  if (token !== undefined && options.adminToken !== undefined && tokensEqual(token, options.adminToken)) return 'admin';
  if (options.adminToken === undefined && isLoopbackAddress(remoteAddress)) return 'admin';
  if (token !== undefined && options.registrationToken !== undefined && tokensEqual(token, options.registrationToken)) return 'registration';
  if (options.adminToken === undefined && token === undefined) {
    return forbidden('ADMIN_TOKEN is not set, so the admin API accepts only loopback callers.', 'loopback_only');
  }
  return unauthorized(token === undefined ? 'Missing bearer token for the admin API.' : 'Invalid bearer token for the admin API.');
}

/** Express middleware for everything under /admin: sets the caller's role or fails the request. */
export function adminAuth(options: AdminAuthOptions) {
  return (req: Request, res: Response, next: NextFunction) => {
    const role = resolveRole(options, req.headers.authorization, req.socket.remoteAddress);
    if (role instanceof Error) return next(role);
    if (role === 'registration' && !REGISTRATION_CALLS.has(`${req.method} ${req.baseUrl}${req.path}`)) {
      return next(forbidden('The registration token may only add, heartbeat and remove schedulers.', 'registration_token_scope'));
    }
    res.locals.role = role;
    next();
  };
}

/** The role adminAuth set for this request. */
export function callerRole(res: Response): CallerRole {
  const role: unknown = res.locals.role;
  if (role !== 'admin' && role !== 'registration') throw new Error('adminAuth did not run for this route');
  return role;
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms (`::ffff:127.0.0.1`), as sockets report them. */
export function isLoopbackAddress(address: string | undefined): boolean {
  const ip = address === undefined ? undefined : parseIp(address);
  return ip !== undefined && isLoopbackIp(ip);
}

/**
 * Constant-time comparison: both sides are hashed first, so neither the
 * content nor the length of the secret leaks through timing.
 */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
