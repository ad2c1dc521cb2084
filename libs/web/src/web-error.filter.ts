import { Catch, Injectable, Logger, type ArgumentsHost, type ExceptionFilter, type Type } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { ModuleRef, ModulesContainer } from '@nestjs/core';
import type { Request, Response } from 'express';
import { ApiErrorRenderer, ERROR_AUDIENCE_KEY, RecipientPageRenderer, StaffPageRenderer, type ErrorAudience, type ErrorRenderer } from './error-renderers.js';
import { beginErrorResponse } from './error-response.js';

const RENDERERS: Record<ErrorAudience, Type<ErrorRenderer>> = { api: ApiErrorRenderer, recipient: RecipientPageRenderer, staff: StaffPageRenderer };

/** A controller's route prefix (`/l/:token`) and the audience of its errors. */
interface AudienceRoute {
  readonly prefix: string;
  readonly audience: ErrorAudience;
}

const normalise = (path: string): string => `/${path.replace(/^\/+|\/+$/g, '')}`;

/**
 * The one error mapper of the HTTP apps, registered by each app as its one app-level filter
 * (APP_FILTER): maps any error to status + stable code + a message a person can act on (never a
 * stack; an unknown error gets a correlation id), then writes it with the renderer of the audience
 * that the matched route's controller declares (`@ErrorAudience`). The page renderers are providers
 * of the app that owns the pages' templates. An error raised before any route matched (unknown
 * route, unreadable or oversized body), or for an audience whose renderer this process lacks,
 * answers in the API's JSON shape. Several apps in one process register the same filter, and each
 * instance sees every controller and renderer, so they answer alike.
 */
@Catch()
@Injectable()
export class WebErrorFilter implements ExceptionFilter {
  readonly #logger = new Logger('HttpError');
  readonly #api = new ApiErrorRenderer();
  readonly #renderers = new Map<ErrorAudience, ErrorRenderer>();
  #routes: AudienceRoute[] | null = null;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly modules: ModulesContainer,
  ) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const body = beginErrorResponse(res, err, this.#logger);
    if (body) {
      this.rendererFor(this.audienceOf(req)).render(req, res, body);
    }
  }

  /** The audience of the controller whose route matched (Express sets `req.route` to the declared path). */
  private audienceOf(req: Request): ErrorAudience {
    const declared = (req.route as { path?: unknown } | undefined)?.path;
    if (typeof declared !== 'string') {
      return 'api';
    }
    const path = normalise(declared);
    const match = this.routes().find((r) => path === r.prefix || path.startsWith(r.prefix === '/' ? '/' : `${r.prefix}/`));
    return match?.audience ?? 'api';
  }

  /** Every controller's prefixes, longest first, so that the most specific one decides. */
  private routes(): AudienceRoute[] {
    if (!this.#routes) {
      const routes: AudienceRoute[] = [];
      for (const module of this.modules.values()) {
        for (const wrapper of module.controllers.values()) {
          const controller = wrapper.metatype as Type<unknown> | null;
          if (!controller) {
            continue;
          }
          const audience = (Reflect.getMetadata(ERROR_AUDIENCE_KEY, controller) as ErrorAudience | undefined) ?? 'api';
          const paths = ([] as unknown[]).concat(Reflect.getMetadata(PATH_METADATA, controller) ?? '/');
          for (const p of paths) {
            if (typeof p === 'string') {
              routes.push({ prefix: normalise(p), audience });
            }
          }
        }
      }
      this.#routes = routes.sort((a, b) => b.prefix.length - a.prefix.length);
    }
    return this.#routes;
  }

  private rendererFor(audience: ErrorAudience): ErrorRenderer {
    if (audience === 'api') {
      return this.#api;
    }
    const known = this.#renderers.get(audience);
    if (known) {
      return known;
    }
    let renderer: ErrorRenderer;
    try {
      renderer = this.moduleRef.get(RENDERERS[audience], { strict: false });
    } catch {
      renderer = this.#api;
    }
    this.#renderers.set(audience, renderer);
    return renderer;
  }
}
