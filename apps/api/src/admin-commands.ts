import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AccessContext } from '@mft/audit';
import { InvalidInputError } from '@mft/core';
import { LocalAdminRepository, LocalAdminService, ROLES, SCOPES, TokenService } from '@mft/identity';

/** What the administration commands need, however they are reached (CLI in-process or admin socket). */
export interface AdminServices {
  readonly tokens: TokenService;
  readonly local: LocalAdminService;
  readonly localUsers: LocalAdminRepository;
}

const CTX: AccessContext = { actor: 'cli', ip: null, userAgent: 'mft-cli' };

const schemas = {
  'token.create': z.object({
    user: z.string().min(1),
    name: z.string().min(1).default('cli'),
    expiresAt: z.string().nullable().default(null),
    scopes: z.array(z.enum(SCOPES)).optional(),
  }),
  'admin.set-password': z.object({ user: z.string().min(1), password: z.string() }),
  'user.add': z.object({ user: z.string().regex(/^[a-z0-9._@-]{1,100}$/, 'use lower-case letters, digits and . _ @ -'), roles: z.array(z.enum(ROLES)).min(1), email: z.email().nullable().default(null), groups: z.array(z.string().min(1).max(200)).max(100).default([]) }),
};

/** Runs one administration command. The same code serves the CLI directly and through the admin socket. */
export async function runAdminCommand(services: AdminServices, cmd: string, args: unknown): Promise<unknown> {
  switch (cmd) {
    case 'token.create': {
      const a = schemas['token.create'].parse(args);
      return services.tokens.create({ username: a.user, name: a.name, scopes: a.scopes, expiresAt: a.expiresAt ? new Date(a.expiresAt) : null }, CTX);
    }
    case 'admin.set-password': {
      const a = schemas['admin.set-password'].parse(args);
      await services.local.setPassword(a.user, a.password);
      return { user: a.user };
    }
    case 'user.add': {
      const a = schemas['user.add'].parse(args);
      const created = await services.localUsers.insertLocalUser({ id: randomUUID(), username: a.user, email: a.email, roles: a.roles, groups: a.groups });
      if (!created) {
        throw new InvalidInputError('user_exists', `A user named ${JSON.stringify(a.user)} already exists.`);
      }
      return { user: a.user, roles: a.roles, groups: a.groups };
    }
    default:
      throw new InvalidInputError('unknown_command', `unknown command ${JSON.stringify(cmd)}`);
  }
}
