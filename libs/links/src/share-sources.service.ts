import { Injectable } from '@nestjs/common';
import { hasRole, type User } from '@mft/identity';
import { PolicyService } from '@mft/policy';
import { shareSources, StorageService, type ShareRoot, type ShareSource, type SharingUser } from '@mft/storage';
import { isInSendFolder } from './share-paths.js';

/**
 * Where someone may share from, for every door (the API's share sources, the SFTP ingress's
 * mounts): the connections and their outermost share roots by role and group, never the send copies.
 */
@Injectable()
export class ShareSourcesService {
  constructor(
    private readonly storage: StorageService,
    private readonly policies: PolicyService,
  ) {}

  async sources(user: User): Promise<ShareSource[]> {
    const [who, views, sendId] = [await this.sharingUser(user), await this.storage.list(), await this.storage.sendConnectionId()];
    const connections = views.map((v) => ({ id: v.id, name: v.name, kind: v.kind, shareRoots: (v.settings.shareRoots ?? []) as ShareRoot[] }));
    return shareSources(connections, who, (connectionId, folder) => connectionId === sendId && isInSendFolder(folder));
  }

  async sharingUser(user: User): Promise<SharingUser> {
    const admin = hasRole(user, 'admin');
    const groups = admin ? [] : (await this.policies.effectiveForUsername(user.username)).groups;
    return { admin, roles: user.roles, groups };
  }
}
