import { Module } from '@nestjs/common';
import { ConnectionsRepository } from './connections/connections.repository.js';
import { StorageService } from './storage.service.js';

@Module({ providers: [ConnectionsRepository, StorageService], exports: [StorageService] })
export class StorageModule {}
