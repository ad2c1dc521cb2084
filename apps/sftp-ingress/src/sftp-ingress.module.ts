import { Module } from '@nestjs/common';
import { AuditModule } from '@mft/audit';
import { IdentityModule } from '@mft/identity';
import { LinksModule } from '@mft/links';
import { PolicyModule } from '@mft/policy';
import { SftpServer } from './sftp-server.js';
import { TreeFactory } from './tree/tree-factory.js';

/** The SFTP ingress; listens when `sftp.port` is not "off". */
@Module({
  imports: [AuditModule, IdentityModule, LinksModule, PolicyModule],
  providers: [SftpServer, TreeFactory],
})
export class SftpIngressModule {}
