import type { NestExpressApplication } from '@nestjs/platform-express';
import { InvalidInputError } from '@mft/core';
import { TokenService } from '@mft/identity';
import type { AdminHandler } from '@mft/web';

/** CLI commands that a running gateway carries out for the CLI when it holds the embedded database. */
export const adminHandler =
  (app: NestExpressApplication): AdminHandler =>
  async (req) => {
    switch (req.cmd) {
      case 'token.create': {
        const { user, name, expiresAt } = req.args as { user: string; name?: string; expiresAt?: string | null };
        return app.get(TokenService).create(
          { username: user, name, expiresAt: expiresAt ? new Date(expiresAt) : null },
          { actor: 'cli', ip: null, userAgent: 'mft-cli (admin socket)' },
        );
      }
      default:
        throw new InvalidInputError('unknown_command', `unknown command ${JSON.stringify(req.cmd)}`);
    }
  };
