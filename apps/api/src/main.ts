import 'reflect-metadata';
import { startGateway } from '@mft/web';
import { ApiModule } from './api.module.js';
import { adminHandler } from './admin-handler.js';

/** The API alone: `node dist/apps/api/main.js`. */
await startGateway({ name: 'api', modules: [ApiModule], openapi: true, portalStatic: null, admin: adminHandler });
