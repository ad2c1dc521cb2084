import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AccessContext, AuditEventType, AuditService } from '@mft/audit';
import { InvalidInputError, isDomainError, NotFoundError } from '@mft/core';
import type { Database } from '@mft/db';
import { IdentityRepository, LocalAdminRepository, LocalAdminService, ROLES, SCOPES, SftpCredentialsService, TokenService, UserAdministration } from '@mft/identity';
import type { StorageService } from '@mft/storage';

/** What the administration commands need, however they are reached (CLI in-process or admin socket). */
export interface AdminServices {
  readonly tokens: TokenService;
  readonly local: LocalAdminService;
  readonly localUsers: LocalAdminRepository;
  readonly audit: AuditService;
  readonly db: Database;
  readonly storage: StorageService;
  readonly users: IdentityRepository;
  readonly sftp: SftpCredentialsService;
  /** Disabling and enabling: the same service as PATCH /api/v1/users/:id. */
  readonly userAdmin: UserAdministration;
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
  'secrets.rotate': z.object({}).strict(),
  'user.add-key': z.object({ user: z.string().min(1).max(200), key: z.string(), name: z.string().optional() }),
  'user.disable': z.object({ user: z.string().min(1).max(200) }).strict(),
  'user.enable': z.object({ user: z.string().min(1).max(200) }).strict(),
  'user.add': z.object({ user: z.string().regex(/^[a-z0-9._@-]{1,100}$/, 'use lower-case letters, digits and . _ @ -'), roles: z.array(z.enum(ROLES)).min(1), email: z.email().nullable().default(null), groups: z.array(z.string().min(1).max(200)).max(100).default([]) }),
};

const EVENTS: Record<keyof typeof schemas, AuditEventType> = {
  'token.create': 'cli.token.create',
  'admin.set-password': 'cli.admin.set-password',
  'user.add': 'cli.user.add',
  'user.add-key': 'cli.user.add-key',
  'user.disable': 'cli.user.disable',
  'user.enable': 'cli.user.enable',
  'secrets.rotate': 'cli.secrets.rotate',
};

const isCommand = (cmd: string): cmd is keyof typeof schemas => Object.hasOwn(schemas, cmd);

/**
 * Runs one administration command. The same code serves the CLI directly and through the admin
 * socket. Each command is audited as `cli.<command>` in the transaction of its change (never with a
 * secret); a command that fails is audited as a failure.
 */
export async function runAdminCommand(services: AdminServices, cmd: string, args: unknown): Promise<unknown> {
  if (!isCommand(cmd)) {
    throw new InvalidInputError('unknown_command', `unknown command ${JSON.stringify(cmd)}`);
  }
  const type = EVENTS[cmd];
  try {
    return await services.db.transaction(async () => {
      const { result, details } = await execute(services, cmd, args);
      await services.audit.record(CTX, { type, details });
      return result;
    });
  } catch (err) {
    const named = (args as { user?: unknown } | null)?.user;
    await services.audit
      .record(CTX, {
        type,
        outcome: 'failure',
        details: { user: typeof named === 'string' ? named.slice(0, 100) : null, error: isDomainError(err) ? err.code : err instanceof Error ? err.name : 'error' },
      })
      .catch(() => undefined);
    throw err;
  }
}

async function execute(services: AdminServices, cmd: keyof typeof schemas, args: unknown): Promise<{ result: unknown; details: Record<string, unknown> }> {
  switch (cmd) {
    case 'token.create': {
      const a = schemas['token.create'].parse(args);
      const created = await services.tokens.create({ username: a.user, name: a.name, scopes: a.scopes, expiresAt: a.expiresAt ? new Date(a.expiresAt) : null }, CTX);
      return { result: created, details: { user: created.username, tokenId: created.id, name: created.name, scopes: created.scopes, expiresAt: created.expiresAt } };
    }
    case 'admin.set-password': {
      const a = schemas['admin.set-password'].parse(args);
      await services.local.setPassword(a.user, a.password);
      return { result: { user: a.user }, details: { user: a.user } };
    }
    case 'secrets.rotate': {
      schemas['secrets.rotate'].parse(args ?? {});
      const r = await services.storage.rotateSecrets();
      return { result: r, details: { keyId: r.keyId, resealed: r.resealed, retiredKeys: r.retiredKeys } };
    }
    case 'user.add': {
      const a = schemas['user.add'].parse(args);
      const created = await services.localUsers.insertLocalUser({ id: randomUUID(), username: a.user, email: a.email, roles: a.roles, groups: a.groups });
      if (!created) {
        throw new InvalidInputError('user_exists', `A user named ${JSON.stringify(a.user)} already exists.`);
      }
      return { result: { user: a.user, roles: a.roles, groups: a.groups }, details: { user: a.user, roles: a.roles, email: a.email, groups: a.groups } };
    }
    case 'user.disable': {
      const a = schemas[cmd].parse(args);
      const ended = await services.userAdmin.disable(null, await services.userAdmin.idOf(a.user), CTX);
      return { result: { user: a.user, disabled: true, ended }, details: { user: a.user, ...ended } };
    }
    case 'user.enable': {
      const a = schemas[cmd].parse(args);
      await services.userAdmin.enable(await services.userAdmin.idOf(a.user), CTX);
      return { result: { user: a.user, disabled: false }, details: { user: a.user } };
    }
    case 'user.add-key': {
      const a = schemas['user.add-key'].parse(args);
      const owner = await services.users.findUserByName(a.user);
      if (!owner) {
        throw new NotFoundError('user_not_found', `There is no enabled user named ${JSON.stringify(a.user)}.`);
      }
      const key = await services.sftp.addKey(owner, { name: a.name, publicKey: a.key }, CTX);
      return { result: { user: owner.username, ...key }, details: { user: owner.username, keyId: key.id, algorithm: key.algorithm, fingerprint: key.fingerprint } };
    }
  }
}
