/** What the client sees of one file or folder of the tree. */
export interface Attributes {
  readonly kind: 'file' | 'folder';
  readonly size: number;
  readonly modifiedAt: Date | null;
  /** Whether this user may change it (mode bits 0644/0755 against 0444/0555). */
  readonly writable: boolean;
}

export interface Entry extends Attributes {
  readonly name: string;
}

export interface ListPage {
  readonly entries: readonly Entry[];
  readonly next: string | null;
}

/** An open file read at positions. `read` answers null at the end of the file. */
export interface ReadHandle {
  readonly size: number;
  read(length: number, position: number): Promise<Buffer | null>;
  close(): Promise<void>;
}

/** An open file being written from the start, in order; `close` makes it whole, `abort` leaves nothing. */
export interface WriteHandle {
  write(offset: number, data: Buffer): Promise<void>;
  close(): Promise<void>;
  abort(reason: Error): Promise<void>;
}

/** One top-level folder of a user's tree (`/send`, `/drop`, a mount); `rest` are the names below it. */
export interface Area {
  stat(rest: readonly string[]): Promise<Attributes>;
  list(rest: readonly string[], cursor: string | null): Promise<ListPage>;
  openRead(rest: readonly string[]): Promise<ReadHandle>;
  openWrite(rest: readonly string[]): Promise<WriteHandle>;
  mkdir(rest: readonly string[]): Promise<void>;
  remove(rest: readonly string[]): Promise<void>;
  rmdir(rest: readonly string[]): Promise<void>;
  rename(from: readonly string[], to: readonly string[]): Promise<void>;
}

export const folder = (name: string, writable: boolean, modifiedAt: Date | null = null): Entry => ({ name, kind: 'folder', size: 0, modifiedAt, writable });
