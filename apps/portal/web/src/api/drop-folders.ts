import { call, callJson } from './client.ts';

/**
 * The link options of a drop folder as the API holds them: only those given (the others are the
 * uploader's policy defaults), never the password.
 */
export interface DropFolderOptions {
  readonly oneTime?: boolean;
  /** A number, or "unlimited". */
  readonly maxDownloads?: number | 'unlimited';
  /** An ISO instant, or "never". */
  readonly expiresAt?: string;
  readonly requireEmailVerification?: boolean;
  readonly notify?: boolean;
  readonly notifyOnDownload?: boolean;
}

/** A drop folder as GET /api/v1/drop-folders answers it (admins). */
export interface DropFolder {
  readonly id: string;
  readonly name: string;
  readonly recipients: readonly string[];
  readonly options: DropFolderOptions;
  readonly passwordProtected: boolean;
  readonly message: string | null;
  readonly roles: readonly string[];
  readonly groups: readonly string[];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly version: number;
}

/** A create or change body: `options` is replaced as a whole; its `password` sets (a string) or removes (null) the password, and left out keeps it. */
export interface DropFolderBody {
  readonly name: string;
  readonly recipients: readonly string[];
  readonly options: DropFolderOptions & { readonly password?: string | null };
  readonly message: string | null;
  readonly roles: readonly string[];
  readonly groups: readonly string[];
}

const one = (id: string): string => `/drop-folders/${encodeURIComponent(id)}`;

/** Drop folders of the SFTP ingress (admins). */
export const dropFoldersApi = {
  list: async (): Promise<DropFolder[]> => (await call<{ dropFolders: DropFolder[] }>('GET', '/drop-folders')).dropFolders,
  create: (body: DropFolderBody): Promise<DropFolder> => callJson<DropFolder>('POST', '/drop-folders', body),
  update: (id: string, body: DropFolderBody): Promise<DropFolder> => callJson<DropFolder>('PATCH', one(id), body),
  remove: (id: string): Promise<void> => call<void>('DELETE', one(id)),
};
