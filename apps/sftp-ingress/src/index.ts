export * from './sftp-ingress.module.js';
