import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AuditService, type AccessContext } from '@mft/audit';
import type { User } from '@mft/identity';
import { DropBatches, DropFolderService, dropFolderLinkFields, ShareSourcesService, type DropTarget } from '@mft/links';
import { StoragePath, StorageService } from '@mft/storage';
import { failure, permissionDenied } from '../sftp-errors.js';
import { DropsArea, type DropFolders } from './drops-area.js';
import { MountArea } from './mount-area.js';
import type { Area } from './node.js';
import { UserTree } from './user-tree.js';

const email = z.email().max(320);
const MAX_RECIPIENTS = 100;

/** The recipients a `/send` folder name stands for (`a@x.example,b@y.example`), or null when it names none. */
export function recipientsOf(name: string): string[] | null {
  const list = name.split(',').map((s) => s.trim());
  if (list.length === 0 || list.length > MAX_RECIPIENTS || list.some((r) => !email.safeParse(r).success)) {
    return null;
  }
  return list;
}

/** `/send/<recipients>/`: any folder named by valid addresses exists; the ones made in this session are listed. */
class SendFolders implements DropFolders {
  readonly area = 'send';
  readonly #made = new Set<string>();

  async target(name: string): Promise<DropTarget | null> {
    const recipients = recipientsOf(name);
    return recipients ? { folder: `send/${name}`, fields: { recipients: recipients.join(',') } } : null;
  }

  async listed(): Promise<string[]> {
    return [...this.#made];
  }

  async make(name: string): Promise<void> {
    if (!recipientsOf(name)) {
      throw failure('A folder of /send is named by its recipients: one or more email addresses separated by commas, such as a@example.com,b@example.org.');
    }
    this.#made.add(name);
  }
}

/** `/drop/<name>/`: the folders administrators defined for this user's roles or groups, with their fixed recipients and options. */
class AdminDropFolders implements DropFolders {
  readonly area = 'drop';

  constructor(
    private readonly service: DropFolderService,
    private readonly user: User,
    private readonly groups: readonly string[],
  ) {}

  async target(name: string): Promise<DropTarget | null> {
    const folder = await this.service.byName(this.user, this.groups, name);
    return folder ? { folder: `drop/${folder.name}`, fields: dropFolderLinkFields(folder) } : null;
  }

  async listed(): Promise<string[]> {
    return (await this.service.forUser(this.user, this.groups)).map((f) => f.name);
  }

  async make(): Promise<void> {
    throw permissionDenied('Drop folders are defined by administrators (POST /api/v1/drop-folders).');
  }
}

/** Builds a signed-in user's tree from what they may do now (their share sources, their drop folders). */
@Injectable()
export class TreeFactory {
  constructor(
    private readonly batches: DropBatches,
    private readonly storage: StorageService,
    private readonly sources: ShareSourcesService,
    private readonly audit: AuditService,
    private readonly dropFolders: DropFolderService,
  ) {}

  async forUser(user: User, ctx: AccessContext): Promise<UserTree> {
    const areas = new Map<string, Area>();
    areas.set('send', new DropsArea(new SendFolders(), user, this.batches, this.storage, ctx));
    const [sources, who, sendId] = [await this.sources.sources(user), await this.sources.sharingUser(user), await this.storage.sendConnectionId()];
    areas.set('drop', new DropsArea(new AdminDropFolders(this.dropFolders, user, who.groups), user, this.batches, this.storage, ctx));
    for (const s of sources) {
      const connection = await this.storage.connection(s.connectionId);
      const driver = await this.storage.driver(s.connectionId);
      const name = areas.has(s.name) ? `connection-${s.name}` : s.name;
      areas.set(
        name,
        new MountArea(
          { connectionId: s.connectionId, name: s.name, roots: s.roots.map((r) => StoragePath.parse(r)), shareRoots: connection.shareRoots, who, holdsSendCopies: s.connectionId === sendId },
          driver,
          this.audit,
          ctx,
        ),
      );
    }
    return new UserTree(areas);
  }
}
