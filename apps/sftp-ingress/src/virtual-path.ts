/**
 * A path as the SFTP client sent it, resolved the way a chrooted OpenSSH server resolves it: relative
 * paths start at `/`, `.` is dropped, `..` goes up one folder and never above `/`. What remains is a
 * list of names; each area of the tree decides whether its names are valid (mounts hand them to
 * `StoragePath`, which refuses encoded separators, control characters and the like).
 */
export class VirtualPath {
  private constructor(readonly segments: readonly string[]) {}

  static readonly root = new VirtualPath([]);

  static resolve(raw: string): VirtualPath {
    const out: string[] = [];
    for (const part of raw.split('/')) {
      if (part === '' || part === '.') {
        continue;
      }
      if (part === '..') {
        out.pop();
        continue;
      }
      out.push(part);
    }
    return new VirtualPath(out);
  }

  get isRoot(): boolean {
    return this.segments.length === 0;
  }

  get name(): string {
    return this.segments[this.segments.length - 1] ?? '/';
  }

  get parent(): VirtualPath {
    return new VirtualPath(this.segments.slice(0, -1));
  }

  /** The names after the first `n`. */
  rest(n: number): string[] {
    return this.segments.slice(n);
  }

  toString(): string {
    return `/${this.segments.join('/')}`;
  }
}
