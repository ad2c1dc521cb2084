import 'reflect-metadata';
import { PORTAL_STATIC, startGateway } from '@mft/web';
import { PortalModule } from './portal.module.js';

/** The recipient portal alone: `node dist/apps/portal/main.js`. */
await startGateway({ name: 'portal', modules: [PortalModule], openapi: false, portalStatic: PORTAL_STATIC });
