import { failure, noSuchFile, permissionDenied } from '../sftp-errors.js';
import type { VirtualPath } from '../virtual-path.js';
import { folder, type Area, type Attributes, type ListPage, type ReadHandle, type WriteHandle } from './node.js';

/**
 * A user's SFTP tree: `/send`, `/drop` and one folder per storage connection they may share from.
 * The root itself holds nothing else and cannot be changed; each top-level folder is an `Area`.
 */
export class UserTree {
  constructor(private readonly areas: ReadonlyMap<string, Area>) {}

  #at(path: VirtualPath): { area: Area; rest: string[] } {
    const area = this.areas.get(path.segments[0]!);
    if (!area) {
      throw noSuchFile();
    }
    return { area, rest: path.rest(1) };
  }

  stat(path: VirtualPath): Promise<Attributes> {
    if (path.isRoot) {
      return Promise.resolve(folder('/', false));
    }
    const { area, rest } = this.#at(path);
    return area.stat(rest);
  }

  list(path: VirtualPath, cursor: string | null): Promise<ListPage> {
    if (path.isRoot) {
      return Promise.resolve({ entries: [...this.areas.keys()].map((name) => folder(name, false)), next: null });
    }
    const { area, rest } = this.#at(path);
    return area.list(rest, cursor);
  }

  openRead(path: VirtualPath): Promise<ReadHandle> {
    if (path.isRoot) {
      return Promise.reject(failure('This is a folder.'));
    }
    const { area, rest } = this.#at(path);
    return area.openRead(rest);
  }

  openWrite(path: VirtualPath): Promise<WriteHandle> {
    if (path.segments.length < 2) {
      return Promise.reject(permissionDenied('Files go into /send/<recipients>/, a drop folder, or a folder of a storage connection.'));
    }
    const { area, rest } = this.#at(path);
    return area.openWrite(rest);
  }

  mkdir(path: VirtualPath): Promise<void> {
    if (path.segments.length < 2) {
      return Promise.reject(permissionDenied('The top level holds only /send, /drop and your storage connections.'));
    }
    const { area, rest } = this.#at(path);
    return area.mkdir(rest);
  }

  rmdir(path: VirtualPath): Promise<void> {
    if (path.segments.length < 2) {
      return Promise.reject(permissionDenied('The top-level folders cannot be removed.'));
    }
    const { area, rest } = this.#at(path);
    return area.rmdir(rest);
  }

  remove(path: VirtualPath): Promise<void> {
    if (path.segments.length < 2) {
      return Promise.reject(permissionDenied('The top-level folders cannot be removed.'));
    }
    const { area, rest } = this.#at(path);
    return area.remove(rest);
  }

  rename(from: VirtualPath, to: VirtualPath): Promise<void> {
    if (from.segments.length < 2 || to.segments.length < 2) {
      return Promise.reject(permissionDenied('The top-level folders cannot be renamed.'));
    }
    if (from.segments[0] !== to.segments[0]) {
      return Promise.reject(permissionDenied('Files can be renamed only within one storage connection.'));
    }
    const a = this.#at(from);
    return a.area.rename(a.rest, to.rest(1));
  }
}
