import { Logger } from '@nestjs/common';
import type { AccessContext } from '@mft/audit';
import { isDomainError } from '@mft/core';
import type { User } from '@mft/identity';
import { DropBatches, type DropRecord, type DropTarget } from '@mft/links';
import { StoragePath, StorageService } from '@mft/storage';
import { failure, noSuchFile, permissionDenied } from '../sftp-errors.js';
import { folder, type Area, type Attributes, type Entry, type ListPage, type ReadHandle, type WriteHandle } from './node.js';
import { OrderedWriter } from './ordered-writer.js';
import { openStoredFile } from './readers.js';

const LINK_TXT = '.link.txt';
const ERROR_TXT = '.error.txt';

/** Where the files of one area go: `send` (recipients named by the folder) or `drop` (admin-defined folders). */
export interface DropFolders {
  /** `send` or `drop`: the area's name in the tree. */
  readonly area: string;
  /** The folder's link, or null when `name` is not a folder of this area for this user. */
  target(name: string): Promise<DropTarget | null>;
  /** The folders to list besides those holding drops. */
  listed(): Promise<string[]>;
  /** Makes a folder (only `/send` lets the user make them). */
  make(name: string): Promise<void>;
}

const textFile = (text: string): ReadHandle => {
  const bytes = Buffer.from(text, 'utf8');
  return {
    size: bytes.length,
    read: async (length, position) => (position >= bytes.length ? null : bytes.subarray(position, Math.min(bytes.length, position + length))),
    close: async () => undefined,
  };
};

/**
 * `/send/<recipients>/` and `/drop/<name>/`: a file written into one of these folders becomes a
 * send link (DropBatches) once it is whole and the folder has been quiet; the folder then lists
 * it read-only while its link lives, with `<file>.link.txt` beside it, or `<file>.error.txt` when
 * the link was refused. Nothing else can be written there: no sub-folders, no renames.
 */
export class DropsArea implements Area {
  readonly #log = new Logger('SftpDrops');

  constructor(
    private readonly folders: DropFolders,
    private readonly user: User,
    private readonly batches: DropBatches,
    private readonly storage: StorageService,
    private readonly ctx: AccessContext,
  ) {}

  #key(name: string): string {
    return `${this.folders.area}/${name}`;
  }

  async #target(name: string): Promise<DropTarget> {
    const target = await this.folders.target(name);
    if (!target) {
      throw noSuchFile(this.folders.area === 'send' ? 'A folder of /send is named by its recipients: one or more email addresses separated by commas.' : 'There is no such drop folder for you.');
    }
    return target;
  }

  async #entries(name: string): Promise<{ entries: Entry[]; records: DropRecord[] }> {
    const key = this.#key(name);
    const waiting = this.batches.waiting(this.user.id, key);
    const records = await this.batches.recorded(this.user.id, key);
    const entries: Entry[] = waiting.map((w) => ({ name: w.name, kind: 'file', size: w.size, modifiedAt: w.since, writable: false }));
    for (const r of records) {
      if (r.outcome === 'sent') {
        if (!entries.some((e) => e.name === r.fileName)) {
          entries.push({ name: r.fileName, kind: 'file', size: r.size, modifiedAt: r.createdAt, writable: false });
        }
        entries.push({ name: r.fileName + LINK_TXT, kind: 'file', size: Buffer.byteLength(this.batches.linkTextOf(r)), modifiedAt: r.createdAt, writable: false });
      } else {
        entries.push({ name: r.fileName + ERROR_TXT, kind: 'file', size: Buffer.byteLength(this.batches.errorTextOf(r)), modifiedAt: r.createdAt, writable: true });
      }
    }
    return { entries: entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), records };
  }

  async stat(rest: readonly string[]): Promise<Attributes> {
    if (rest.length === 0) {
      return folder('', false);
    }
    await this.#target(rest[0]!);
    if (rest.length === 1) {
      return folder('', true);
    }
    if (rest.length > 2) {
      throw noSuchFile();
    }
    const { entries } = await this.#entries(rest[0]!);
    const entry = entries.find((e) => e.name === rest[1]);
    if (!entry) {
      throw noSuchFile();
    }
    return entry;
  }

  async list(rest: readonly string[]): Promise<ListPage> {
    if (rest.length === 0) {
      const names = new Set([...(await this.folders.listed()), ...(await this.batches.folders(this.user.id, `${this.folders.area}/`)).map((f) => f.slice(this.folders.area.length + 1))]);
      return { entries: [...names].sort().map((n) => folder(n, true)), next: null };
    }
    if (rest.length > 1) {
      throw failure('This is not a folder.');
    }
    await this.#target(rest[0]!);
    return { entries: (await this.#entries(rest[0]!)).entries, next: null };
  }

  async openRead(rest: readonly string[]): Promise<ReadHandle> {
    if (rest.length !== 2) {
      throw failure('This is a folder.');
    }
    await this.#target(rest[0]!);
    const name = rest[1]!;
    const { records } = await this.#entries(rest[0]!);
    const sentAs = (n: string): DropRecord | undefined => records.find((r) => r.outcome === 'sent' && r.fileName === n);
    if (name.endsWith(LINK_TXT) && sentAs(name.slice(0, -LINK_TXT.length))) {
      return textFile(this.batches.linkTextOf(sentAs(name.slice(0, -LINK_TXT.length))!));
    }
    const refused = name.endsWith(ERROR_TXT) ? records.find((r) => r.outcome === 'refused' && r.fileName === name.slice(0, -ERROR_TXT.length)) : undefined;
    if (refused) {
      return textFile(this.batches.errorTextOf(refused));
    }
    const sent = sentAs(name);
    if (sent?.storage) {
      const driver = await this.storage.driver(sent.storage.connection);
      return openStoredFile(driver, sent.storage.key, sent.size);
    }
    if (this.batches.waiting(this.user.id, this.#key(rest[0]!)).some((w) => w.name === name)) {
      throw failure('This file is still being sent: read it once its .link.txt is there.');
    }
    throw noSuchFile();
  }

  async openWrite(rest: readonly string[]): Promise<WriteHandle> {
    if (rest.length !== 2) {
      throw permissionDenied(rest.length < 2 ? 'Upload files into a folder of /send named by their recipients, such as /send/someone@example.com/.' : 'Drop files directly into the folder: it has no sub-folders.');
    }
    const [folderName, name] = rest as [string, string];
    const target = await this.#target(folderName);
    if (!StoragePath.isValidName(name)) {
      throw failure('This file name is not allowed: use a plain name without control characters, slashes or encoded separators.');
    }
    if (name.endsWith(LINK_TXT) || name.endsWith(ERROR_TXT)) {
      throw permissionDenied('Names ending in .link.txt and .error.txt are the gateway\'s answers: give the file another name.');
    }
    const { records } = await this.#entries(folderName);
    if (records.some((r) => r.outcome === 'sent' && r.fileName === name)) {
      throw permissionDenied(`${name} was already sent (see ${name}${LINK_TXT}); it stays read-only while its link lives. Upload it under another name to send it again.`);
    }
    let file;
    try {
      file = await this.batches.open(this.user, target, name, this.ctx);
    } catch (err) {
      if (isDomainError(err) && (err.kind === 'policy' || err.kind === 'invalid')) {
        // Refused before any byte: the .error.txt says why, for scripts, and the client hears it now.
        await this.batches.refuse(this.user, this.#key(folderName), [{ name, size: 0 }], err, this.ctx);
        throw permissionDenied(`No link can be sent from here: ${err.message}`);
      }
      throw err;
    }
    const writer = new OrderedWriter(file.stream);
    await this.batches.forgetRefusal(this.user.id, this.#key(folderName), name);
    return {
      write: (offset, data) => writer.write(offset, data),
      close: async () => {
        if (!writer.complete) {
          const err = failure('The file has a gap: some writes never arrived. Upload it again.');
          writer.fail(err);
          await file.abort(err);
          throw err;
        }
        try {
          await file.finish();
        } catch (err) {
          if (isDomainError(err) && (err.kind === 'policy' || err.kind === 'too_large' || err.kind === 'invalid')) {
            await this.batches.refuse(this.user, this.#key(folderName), [{ name, size: writer.bytesWritten }], err, this.ctx);
          }
          throw err;
        }
      },
      abort: async (reason) => {
        writer.fail(reason);
        await file.abort(reason).catch((err: unknown) => this.#log.warn({ msg: 'could not discard an interrupted drop', err: String(err) }));
      },
    };
  }

  async mkdir(rest: readonly string[]): Promise<void> {
    if (rest.length !== 1) {
      throw permissionDenied('Drop folders have no sub-folders.');
    }
    await this.folders.make(rest[0]!);
  }

  async remove(rest: readonly string[]): Promise<void> {
    const name = rest[1];
    if (rest.length === 2 && name!.endsWith(ERROR_TXT)) {
      const removed = await this.batches.forgetRefusal(this.user.id, this.#key(rest[0]!), name!.slice(0, -ERROR_TXT.length));
      if (removed > 0) {
        return;
      }
      throw noSuchFile();
    }
    throw permissionDenied('Sent files stay while their link lives: revoke the link in the web app to end it.');
  }

  async rmdir(): Promise<void> {
    throw permissionDenied('Drop folders cannot be removed; an empty one is no longer listed.');
  }

  async rename(): Promise<void> {
    throw permissionDenied('Files in drop folders cannot be renamed: upload them under the name they should have.');
  }
}
