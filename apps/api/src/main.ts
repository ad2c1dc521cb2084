import 'reflect-metadata';
import { adminHandler } from '@mft/admin';
import { PORTAL_STATIC, startGateway } from '@mft/web';
import { ApiModule } from './api.module.js';

/** The API alone: `node dist/apps/api/main.js`. */
await startGateway({ name: 'api', modules: [ApiModule], openapi: true, portalStatic: PORTAL_STATIC, admin: adminHandler });
