import { randomUUID } from 'node:crypto';
import { HttpException, type Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isDomainError } from '@mft/core';
import { HTTP_STATUS } from './error-status.js';

export interface ErrorResponse {
  status: number;
  body: { code: string; message: string; [key: string]: unknown };
  headers: Record<string, string>;
}

export function toErrorResponse(err: unknown, logger: Logger): ErrorResponse {
  if (isDomainError(err)) {
    const status = HTTP_STATUS[err.kind];
    const headers: Record<string, string> = {};
    const retry = err.details.retryAfterSeconds;
    if (typeof retry === 'number') {
      headers['Retry-After'] = String(retry);
    }
    if (err.code === 'authentication_required' || err.code === 'invalid_token') {
      headers['WWW-Authenticate'] = 'Bearer realm="mft-gateway"';
    }
    return { status, headers, body: { code: err.code, message: err.message, ...err.details } };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    const message =
      typeof response === 'object' && response && 'message' in response
        ? ([] as unknown[]).concat((response as { message: unknown }).message).join('; ')
        : err.message;
    return { status, headers: {}, body: { code: httpCode(status), message } };
  }
  const correlationId = randomUUID();
  logger.error({ msg: 'unhandled error', correlationId, err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) });
  return {
    status: 500,
    headers: {},
    body: { code: 'internal_error', message: `Something went wrong on our side. Quote this reference to your administrator: ${correlationId}.`, correlationId },
  };
}

function httpCode(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    default:
      return `http_${status}`;
  }
}

/**
 * Maps `err` and sets its status and headers on `res`; returns the body to send, or null when the
 * response had already started (the connection is then cut, so the client sees a failed transfer).
 */
export function beginErrorResponse(res: Response, err: unknown, logger: Logger): ErrorResponse['body'] | null {
  const { status, body, headers } = toErrorResponse(err, logger);
  if (res.headersSent) {
    res.destroy();
    return null;
  }
  for (const [k, v] of Object.entries(headers)) {
    res.setHeader(k, v);
  }
  res.status(status);
  return body;
}

/** Whether the client asked for JSON rather than a page (browsers send text/html first). */
/**
 * Whether the request comes from a web browser: every current browser sends `Origin` on a POST and
 * `Sec-Fetch-Site` on every request; scripts (curl, fetch in Node) send neither. Only a browser
 * carries ambient cookies into a cross-site request, so only a browser's form posts need a CSRF token.
 */
export function fromBrowser(req: Request): boolean {
  return req.get('origin') !== undefined || req.get('sec-fetch-site') !== undefined;
}

export function wantsJson(req: Request): boolean {
  const accept = req.get('accept') ?? '';
  return /application\/(json|[\w.+-]+\+json)/i.test(accept) && !/text\/html/i.test(accept);
}
