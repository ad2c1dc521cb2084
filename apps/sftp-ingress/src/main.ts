import 'reflect-metadata';
import { startGateway } from '@mft/web';
import { SftpIngressModule } from './sftp-ingress.module.js';

/** The SFTP ingress alone: `node dist/apps/sftp-ingress/main.js` (with /healthz, /readyz and metrics on PORT). */
await startGateway({ name: 'sftp-ingress', modules: [SftpIngressModule], openapi: false, portalStatic: null });
