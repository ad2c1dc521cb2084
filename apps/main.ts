import 'reflect-metadata';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminHandler } from '@mft/admin';
import { ApiModule } from '@mft/api';
import { PortalModule } from '@mft/portal';
import { SftpIngressModule } from '@mft/sftp-ingress';
import { PORTAL_STATIC, startGateway } from '@mft/web';

/**
 * Everything `npm start` serves: the API and the recipient portal on one port, and the SFTP
 * ingress on SFTP_PORT (in a process of its own on PostgreSQL, see `sftp.process`).
 */
await startGateway({
  name: 'api+portal+sftp',
  modules: [ApiModule, PortalModule],
  sftp: { module: SftpIngressModule, entry: join(dirname(fileURLToPath(import.meta.url)), 'sftp-ingress', 'main.js') },
  openapi: true,
  portalStatic: PORTAL_STATIC,
  admin: adminHandler,
});
