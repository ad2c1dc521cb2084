import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { AccessContext } from '@mft/audit';
import { InvalidInputError, NotFoundError } from '@mft/core';
import type { User } from '@mft/identity';
import { StorageNotFoundError, StoragePath, StorageService, type ShareRoot, type StoredObjectInfo } from '@mft/storage';
import { parseCreateShareLink } from './create-share-link.command.js';
import { LinkService, type CreatedLink } from './link.service.js';
import { LinkRepository } from './repositories/link.repository.js';
import { isInSendFolder, shareForbidden } from './share-paths.js';
import { PolicyViolationError } from '@mft/policy';
import { ShareLinksRepository } from './share-links.repository.js';

/**
 * Whether `user` may share `path` of a connection with these share roots: admins always; others
 * when a root at or above the path (whole segments: `/docs` never covers `/docs-private`) names
 * one of their roles or groups.
 */
export function mayShareFrom(user: Pick<User, 'roles'>, groups: readonly string[], roots: readonly ShareRoot[], path: StoragePath): boolean {
  if (user.roles.includes('admin')) {
    return true;
  }
  return roots.some((root) => {
    let rootPath: StoragePath;
    try {
      rootPath = StoragePath.parse(root.path);
    } catch {
      return false;
    }
    return path.isWithin(rootPath) && (root.roles.some((r) => (user.roles as readonly string[]).includes(r)) || root.groups.some((g) => groups.includes(g)));
  });
}

/**
 * Creates share links: a link to a file or folder that already lives in a storage connection,
 * never copied and never purged. Checks in the contract's order: the options (400), the policy
 * (`creators.share` first, 422), the connection's share roots (403), then that the path exists (404).
 */
@Injectable()
export class ShareLinkService {
  constructor(
    private readonly links: LinkRepository,
    private readonly shares: ShareLinksRepository,
    private readonly linkService: LinkService,
    private readonly storage: StorageService,
  ) {}

  async create(owner: User, body: unknown, ctx: AccessContext): Promise<CreatedLink> {
    const cmd = parseCreateShareLink(body);
    const options = await this.linkService.resolveOptions(owner, cmd, [], 'share');
    const connection = await this.storage.connection(cmd.connectionId);
    const path = cmd.sharePath;
    if (!mayShareFrom(owner, await this.shares.groupsOf(owner.id), connection.shareRoots, path)) {
      throw shareForbidden();
    }
    if (connection.id === (await this.storage.sendConnectionId()) && (isInSendFolder(path) || StoragePath.parse('send').isWithin(path))) {
      // The copies of send links are never shareable, not even as part of a folder above them.
      throw shareForbidden();
    }
    const driver = await this.storage.driver(connection.id);
    let info: StoredObjectInfo;
    try {
      if (path.isRoot) {
        info = { ...(await driver.stat(path)), kind: 'folder' };
      } else {
        info = await driver.stat(path);
      }
    } catch (err) {
      if (err instanceof StorageNotFoundError) {
        throw new NotFoundError('share_path_not_found', `There is no file or folder ${path.toString()} in storage connection ${connection.name}.`);
      }
      throw err;
    }
    const isFile = info.kind === 'file';
    if (!isFile && cmd.pinContent === true) {
      throw new InvalidInputError('invalid_link_options', 'The link options are not valid: pinContent applies to file shares only (a folder share serves its files as they are).', {
        problems: [{ field: 'pinContent', message: 'applies to file shares only' }],
      });
    }
    const pinContent = isFile && cmd.pinContent !== false;
    // A file's size is known only now: the policy's size limits apply to it as to a sent file (422, the same rule and message).
    // A folder's total is not known until it is downloaded (see RecipientDownloads: its archive is limited then).
    const sized = isFile ? await this.linkService.resolveOptions(owner, cmd, [info.size], 'share').catch(namedFile(path.name)) : options;
    return this.insert(owner, sized, { connectionId: connection.id, path, info, pinContent }, ctx);
  }

  private async insert(
    owner: User,
    options: Awaited<ReturnType<LinkService['resolveOptions']>>,
    target: { connectionId: string; path: StoragePath; info: StoredObjectInfo; pinContent: boolean },
    ctx: AccessContext,
  ): Promise<CreatedLink> {
    const { info, path } = target;
    const linkId = randomUUID();
    const isFile = info.kind === 'file';
    const name = path.isRoot ? 'Shared files' : path.name;
    const file = isFile
      ? { id: randomUUID(), linkId, position: 0, name, size: info.size, sha256: '', contentType: 'application/octet-stream', storageKey: path.toKey() }
      : null;
    return this.linkService.writeLink(
      {
        id: linkId,
        kind: 'share',
        owner,
        connection: target.connectionId,
        options,
        invitationFiles: [isFile ? { name, size: info.size } : { name, size: 0, folder: true }],
        writeContent: async () => {
          await this.shares.setShare({
            linkId,
            path: path.toString(),
            target: isFile ? 'file' : 'folder',
            pinContent: target.pinContent,
            pinnedSize: isFile ? info.size : null,
            pinnedModifiedAt: isFile ? info.modifiedAt : null,
            pinnedVersion: isFile ? info.version : null,
          });
          if (file) {
            await this.links.insertFile(file);
            await this.shares.updateSharedFile(file.id, info.size, info.version);
          }
        },
        audit: {
          bytes: isFile ? info.size : null,
          details: {
            kind: 'share',
            connectionId: target.connectionId,
            path: path.toString(),
            target: isFile ? 'file' : 'folder',
            pinContent: target.pinContent,
            ...(isFile ? { files: [{ id: file!.id, name, size: info.size }], pinned: { size: info.size, modifiedAt: info.modifiedAt.toISOString(), version: info.version } } : {}),
          },
        },
      },
      ctx,
    );
  }
}

/** A file too large for the policy is refused in the words of an upload that is: naming the file. */
function namedFile(name: string) {
  return (err: unknown): never => {
    if (err instanceof PolicyViolationError && err.rule === 'file_too_large') {
      const { allowed, requested } = err.details as { allowed: { maxFileBytes: number }; requested: unknown };
      throw new PolicyViolationError('file_too_large', `maximum is ${allowed.maxFileBytes} bytes per file; ${JSON.stringify(name)} is larger.`, allowed, requested);
    }
    throw err;
  };
}
