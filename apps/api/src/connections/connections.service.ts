import { Injectable } from '@nestjs/common';
import { AuditService, type AccessContext } from '@mft/audit';
import type { User } from '@mft/identity';
import { isInSendFolder, shareForbidden, ShareSourcesService } from '@mft/links';
import {
  StoragePath,
  StorageService,
  type ConnectionEntry,
  type ConnectionTestResult,
  type ConnectionView,
  type SendStorageSetting,
  type ShareSource,
} from '@mft/storage';

/** What an audit event says of a connection: never its secrets (they are not in a view). */
const described = (v: ConnectionView): Record<string, unknown> => ({ connectionId: v.id, name: v.name, kind: v.kind, settings: v.settings });

/**
 * The administrators' use cases on storage connections and send storage, each audited in its
 * transaction, and what people who share may see of the connections: where they may share from.
 */
@Injectable()
export class ConnectionsService {
  constructor(
    private readonly storage: StorageService,
    private readonly audit: AuditService,
    private readonly sources: ShareSourcesService,
  ) {}

  list(): Promise<ConnectionView[]> {
    return this.storage.list();
  }

  get(id: string): Promise<ConnectionView> {
    return this.storage.get(id);
  }

  create(body: unknown, user: User, ctx: AccessContext): Promise<ConnectionView> {
    return this.storage.create(body, user.username, (view) => this.audit.record(ctx, { type: 'connection.created', details: { ...described(view), secrets: view.hasSecrets ? 'sealed' : 'none' } }));
  }

  update(id: string, body: unknown, ctx: AccessContext): Promise<ConnectionView> {
    return this.storage.update(id, body, ({ view, changed }) => this.audit.record(ctx, { type: 'connection.updated', details: { ...described(view), changed } }));
  }

  remove(id: string, ctx: AccessContext): Promise<void> {
    return this.storage.remove(id, (view) => this.audit.record(ctx, { type: 'connection.deleted', details: described(view) }));
  }

  test(id: string, ctx: AccessContext): Promise<ConnectionTestResult> {
    return this.storage.test(id, (result) =>
      this.audit.record(ctx, { type: 'connection.tested', outcome: result.ok ? 'success' : 'failure', details: { connectionId: id, ok: result.ok, message: result.message } }),
    );
  }

  /**
   * A page of a folder someone may share from. On the connection that holds send copies, the
   * copies' folder is never listed nor browsed, as it is never shared (see ShareLinkService).
   */
  async entries(id: string, path: string, cursor: string | null, limit: number | undefined, user: User): Promise<{ entries: ConnectionEntry[]; next: string | null }> {
    const [who, sendId] = [await this.sources.sharingUser(user), await this.storage.sendConnectionId()];
    if (id === sendId && isInSendFolder(StoragePath.parse(path))) {
      throw shareForbidden();
    }
    const page = await this.storage.entries(id, path, cursor, who, limit);
    return id === sendId ? { entries: page.entries.filter((e) => !isInSendFolder(StoragePath.parse(e.path))), next: page.next } : page;
  }

  /** The connections and folders `user` may share from; never a connection's settings or secrets. */
  shareSources(user: User): Promise<ShareSource[]> {
    return this.sources.sources(user);
  }

  sendStorage(): Promise<SendStorageSetting> {
    return this.storage.sendStorage();
  }

  setSendStorage(body: unknown, user: User, ctx: AccessContext): Promise<SendStorageSetting> {
    return this.storage.setSendStorage(body, user.username, ({ setting, previous }) =>
      this.audit.record(ctx, { type: 'settings.send_storage_changed', details: { connectionId: setting.connectionId, previous } }),
    );
  }
}
