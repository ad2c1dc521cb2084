import type { Request } from 'express';
import type { AccessContext } from '@mft/audit';

/** The client IP (Express applies the trusted-proxy list), user agent and actor of a request. */
export function accessContext(req: Request, actor: string): AccessContext {
  const ua = req.get('user-agent');
  return {
    actor,
    ip: req.ip ?? req.socket.remoteAddress ?? null,
    userAgent: ua ? ua.slice(0, 512) : null,
  };
}
