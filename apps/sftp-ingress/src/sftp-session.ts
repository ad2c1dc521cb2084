import type { Logger } from '@nestjs/common';
import type { Attributes as Ssh2Attributes, FileEntry, SFTPWrapper } from 'ssh2';
import { FX, failure, toStatus, unsupported } from './sftp-errors.js';
import type { Entry, ListPage, ReadHandle, WriteHandle } from './tree/node.js';
import type { UserTree } from './tree/user-tree.js';
import { VirtualPath } from './virtual-path.js';

const OPEN_READ = 0x01;
const OPEN_WRITE = 0x02;
const OPEN_APPEND = 0x04;

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

type Open =
  | { kind: 'read'; path: string; handle: ReadHandle }
  | { kind: 'write'; path: string; handle: WriteHandle }
  | { kind: 'dir'; path: VirtualPath; cursor: string | null; done: boolean };

function attrsOf(a: { kind: 'file' | 'folder'; size: number; modifiedAt: Date | null; writable: boolean }): Ssh2Attributes {
  const perms = a.kind === 'folder' ? (a.writable ? 0o755 : 0o555) : a.writable ? 0o644 : 0o444;
  const t = Math.floor((a.modifiedAt?.getTime() ?? 0) / 1000);
  return { mode: (a.kind === 'folder' ? S_IFDIR : S_IFREG) | perms, uid: 0, gid: 0, size: a.size, atime: t, mtime: t };
}

/** An `ls -l` line, as OpenSSH's server writes it (clients show it as is). */
function longname(e: Entry, owner: string): string {
  const mode = attrsOf(e).mode;
  const bits = ['r', 'w', 'x'];
  let perms = e.kind === 'folder' ? 'd' : '-';
  for (let i = 8; i >= 0; i--) {
    perms += mode & (1 << i) ? bits[(8 - i) % 3] : '-';
  }
  const d = e.modifiedAt ?? new Date(0);
  const when = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return `${perms}    1 ${owner.padEnd(8)} ${owner.padEnd(8)} ${String(e.size).padStart(12)} ${when} ${e.name}`;
}

/**
 * One SFTP subsystem session: SFTP v3 requests translated to the user's tree, every answer a
 * status with a message for the person at the client. When the session ends, files still open
 * for writing are dropped (an interrupted upload creates nothing and leaves no bytes).
 */
export class SftpSession {
  readonly #open = new Map<number, Open>();
  #nextHandle = 1;
  private tree!: UserTree;
  #ended = false;
  lastActivity = Date.now();

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly treeReady: Promise<UserTree>,
    private readonly username: string,
    private readonly logger: Logger,
  ) {
    sftp.on('error', (err: Error) => logger.warn({ msg: 'SFTP channel error', user: username, err: err.message }));
    sftp.on('close', () => void this.end());
    // The client is done (it sent EOF): drop what it left open, then close our side so that it can exit.
    sftp.on('end', () => {
      void this.end().finally(() => {
        try {
          sftp.end();
        } catch {
          // already closed
        }
      });
    });
    this.#route();
  }

  /** Whether a transfer is open (the idle timer waits for it). */
  get busy(): boolean {
    return [...this.#open.values()].some((o) => o.kind !== 'dir');
  }

  /** Drops what is still open for writing and closes the readers. Safe to call more than once. */
  async end(): Promise<void> {
    if (this.#ended) {
      return;
    }
    this.#ended = true;
    const open = [...this.#open.values()];
    this.#open.clear();
    for (const o of open) {
      if (o.kind === 'write') {
        await o.handle.abort(new Error('the SFTP session ended before the file was closed')).catch(() => undefined);
      } else if (o.kind === 'read') {
        await o.handle.close().catch(() => undefined);
      }
    }
  }

  #route(): void {
    const s = this.sftp;
    // Listeners are in place before the first request; requests wait for the tree (built from the database) inside.
    const on = (event: string, fn: (reqid: number, ...args: never[]) => Promise<void>): void => {
      s.on(event, (reqid: number, ...args: never[]) => {
        this.lastActivity = Date.now();
        this.treeReady.then((tree) => {
          this.tree = tree;
          return fn(reqid, ...args);
        }).catch((err: unknown) => this.#fail(reqid, err, event));
      });
    };
    on('REALPATH', async (reqid, raw: string) => {
      const p = VirtualPath.resolve(raw).toString();
      s.name(reqid, [{ filename: p, longname: p, attrs: {} as Ssh2Attributes }]);
    });
    const stat = async (reqid: number, raw: string): Promise<void> => {
      s.attrs(reqid, attrsOf(await this.tree.stat(VirtualPath.resolve(raw))));
    };
    on('STAT', stat);
    on('LSTAT', stat);
    on('FSTAT', async (reqid, handle: Buffer) => {
      const o = this.#get(handle);
      if (o.kind === 'dir') {
        s.attrs(reqid, attrsOf(await this.tree.stat(o.path)));
      } else {
        s.attrs(reqid, attrsOf(await this.tree.stat(VirtualPath.resolve(o.path))));
      }
    });
    on('OPENDIR', async (reqid, raw: string) => {
      const path = VirtualPath.resolve(raw);
      const a = await this.tree.stat(path);
      if (a.kind !== 'folder') {
        throw failure('This is a file, not a folder.');
      }
      s.handle(reqid, this.#add({ kind: 'dir', path, cursor: null, done: false }));
    });
    on('READDIR', async (reqid, handle: Buffer) => {
      const o = this.#get(handle);
      if (o.kind !== 'dir') {
        throw failure('This handle is not a folder.');
      }
      if (o.done) {
        s.status(reqid, FX.EOF);
        return;
      }
      const page: ListPage = await this.tree.list(o.path, o.cursor);
      o.cursor = page.next;
      o.done = page.next === null;
      if (page.entries.length === 0) {
        s.status(reqid, FX.EOF);
        return;
      }
      const names: FileEntry[] = page.entries.map((e) => ({ filename: e.name, longname: longname(e, this.username), attrs: attrsOf(e) as FileEntry['attrs'] }));
      s.name(reqid, names);
    });
    on('OPEN', async (reqid, raw: string, flags: number) => {
      const path = VirtualPath.resolve(raw);
      if (flags & OPEN_APPEND) {
        throw unsupported('Appending to a file is not supported: upload the whole file.');
      }
      if (flags & OPEN_WRITE) {
        if (flags & OPEN_READ) {
          throw unsupported('Files are opened for reading or for writing, not both.');
        }
        const handle = await this.tree.openWrite(path);
        if (this.#ended) {
          await handle.abort(new Error('the SFTP session ended while the file was being opened'));
          return;
        }
        s.handle(reqid, this.#add({ kind: 'write', path: path.toString(), handle }));
        return;
      }
      const handle = await this.tree.openRead(path);
      s.handle(reqid, this.#add({ kind: 'read', path: path.toString(), handle }));
    });
    on('READ', async (reqid, handle: Buffer, offset: number, length: number) => {
      const o = this.#get(handle);
      if (o.kind !== 'read') {
        throw failure('This file is not open for reading.');
      }
      const data = await o.handle.read(length, offset);
      if (data === null) {
        s.status(reqid, FX.EOF);
      } else {
        s.data(reqid, data);
      }
    });
    on('WRITE', async (reqid, handle: Buffer, offset: number, data: Buffer) => {
      const o = this.#get(handle);
      if (o.kind !== 'write') {
        throw failure('This file is not open for writing.');
      }
      await o.handle.write(offset, data);
      s.status(reqid, FX.OK);
    });
    on('CLOSE', async (reqid, handle: Buffer) => {
      const id = this.#id(handle);
      const o = this.#open.get(id);
      if (!o) {
        throw failure('This handle is not open.');
      }
      this.#open.delete(id);
      if (o.kind !== 'dir') {
        await o.handle.close();
      }
      s.status(reqid, FX.OK);
    });
    on('MKDIR', async (reqid, raw: string) => {
      await this.tree.mkdir(VirtualPath.resolve(raw));
      s.status(reqid, FX.OK);
    });
    on('RMDIR', async (reqid, raw: string) => {
      await this.tree.rmdir(VirtualPath.resolve(raw));
      s.status(reqid, FX.OK);
    });
    on('REMOVE', async (reqid, raw: string) => {
      await this.tree.remove(VirtualPath.resolve(raw));
      s.status(reqid, FX.OK);
    });
    on('RENAME', async (reqid, from: string, to: string) => {
      await this.tree.rename(VirtualPath.resolve(from), VirtualPath.resolve(to));
      s.status(reqid, FX.OK);
    });
    // Times and modes are the storage's to keep; clients that set them after an upload (`put -p`, rclone) carry on.
    on('SETSTAT', async (reqid) => {
      s.status(reqid, FX.OK);
    });
    on('FSETSTAT', async (reqid, handle: Buffer) => {
      this.#get(handle);
      s.status(reqid, FX.OK);
    });
    on('READLINK', async () => {
      throw unsupported('There are no symbolic links here.');
    });
    on('SYMLINK', async () => {
      throw unsupported('Symbolic links cannot be made here.');
    });
    on('EXTENDED', async () => {
      throw unsupported('This extension is not supported.');
    });
  }

  #add(o: Open): Buffer {
    const id = this.#nextHandle++;
    this.#open.set(id, o);
    const b = Buffer.alloc(4);
    b.writeUInt32BE(id);
    return b;
  }

  #id(handle: Buffer): number {
    return handle.length === 4 ? handle.readUInt32BE(0) : -1;
  }

  #get(handle: Buffer): Open {
    const o = this.#open.get(this.#id(handle));
    if (!o) {
      throw failure('This handle is not open.');
    }
    return o;
  }

  #fail(reqid: number, err: unknown, request: string): void {
    const { status, message } = toStatus(err, this.logger, { user: this.username, request });
    if (!this.#ended) {
      try {
        this.sftp.status(reqid, status, message);
      } catch {
        // the channel is gone
      }
    }
  }
}
