import 'reflect-metadata';
import { adminHandler } from '@mft/admin';
import { ApiModule } from '@mft/api';
import { PortalModule } from '@mft/portal';
import { SftpIngressModule } from '@mft/sftp-ingress';
import { PORTAL_STATIC, startGateway } from '@mft/web';

/** Everything in one process (`npm start`): the API and the recipient portal on one port, and the SFTP ingress on SFTP_PORT. */
await startGateway({ name: 'api+portal+sftp', modules: [ApiModule, PortalModule, SftpIngressModule], openapi: true, portalStatic: PORTAL_STATIC, admin: adminHandler });
