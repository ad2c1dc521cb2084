import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { jsonHeaders, type CreatedLinkResponse, type TestGateway } from '@mft/testing';

/** The root of the built-in `default` storage connection of a test gateway ($DATA_DIR/files). */
export const filesRoot = (gw: TestGateway): string => join(gw.dataDir, 'files');

/** Writes `files` (relative paths → contents) under `folder` of the default connection; returns the folder's absolute path. */
export function writeTree(gw: TestGateway, folder: string, files: Record<string, Buffer | string>): string {
  const root = join(filesRoot(gw), folder);
  mkdirSync(root, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  return root;
}

export type ShareResponse = { status: number; body: CreatedLinkResponse & { code?: string; message?: string; details?: unknown; problems?: unknown } };

/** POST /api/v1/links with a share link's JSON body, as a client would. */
export async function createShare(gw: TestGateway, token: string, body: Record<string, unknown>): Promise<ShareResponse> {
  const res = await fetch(`${gw.baseUrl}/api/v1/links`, {
    method: 'POST',
    headers: jsonHeaders(token),
    body: JSON.stringify({ kind: 'share', connectionId: 'default', ...body }),
  });
  return { status: res.status, body: (await res.json()) as ShareResponse['body'] };
}

/** Creates a share that must succeed; answers its grant URL and link id. */
export async function share(gw: TestGateway, token: string, body: Record<string, unknown>): Promise<{ url: string; linkId: string }> {
  const created = await createShare(gw, token, body);
  if (created.status !== 201) {
    throw new Error(`share refused: ${created.status} ${JSON.stringify(created.body)}`);
  }
  return { url: created.body.grants[0]!.url, linkId: created.body.id };
}

export interface FolderListing {
  expiresAt: string | null;
  locked: string[];
  path: string;
  entries: Array<{ name: string; path: string; kind: 'file' | 'folder'; size: number; modifiedAt: string }>;
  next: string | null;
}

/** The JSON of a folder share's page (`?path=&cursor=&limit=`). */
export async function listing(url: string, query: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<{ status: number; body: FolderListing & { code?: string } }> {
  const qs = new URLSearchParams(query).toString();
  const res = await fetch(`${url}${qs ? `?${qs}` : ''}`, { headers: { accept: 'application/json', ...headers } });
  return { status: res.status, body: (await res.json()) as FolderListing & { code?: string } };
}
