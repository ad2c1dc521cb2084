import 'reflect-metadata';
import { adminHandler } from '@mft/admin';
import { ApiModule } from '@mft/api';
import { PortalModule } from '@mft/portal';
import { PORTAL_STATIC, startGateway } from '@mft/web';

/** Everything in one process (`npm start`): the API and the recipient portal on one port. */
await startGateway({ name: 'api+portal', modules: [ApiModule, PortalModule], openapi: true, portalStatic: PORTAL_STATIC, admin: adminHandler });
