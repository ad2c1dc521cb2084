import { call, callJson } from './client.ts';

export type ConnectionKind = 'local' | 's3' | 'sftp';

/** Who may share from a folder of a connection (admins always may). */
export interface ShareRoot {
  readonly path: string;
  readonly roles: readonly string[];
  readonly groups: readonly string[];
  /** Those roles and groups may also change files there over SFTP. */
  readonly write?: boolean;
}

/** A connection's settings as the API holds them: the fields of its kind, share roots, allowLoopback. */
export interface ConnectionSettings {
  readonly shareRoots?: readonly ShareRoot[];
  readonly allowLoopback?: boolean;
  readonly [field: string]: unknown;
}

/** A storage connection as GET /api/v1/connections answers it: never its secrets. */
export interface Connection {
  readonly id: string;
  readonly name: string;
  readonly kind: ConnectionKind;
  readonly settings: ConnectionSettings;
  readonly status: 'ok' | 'failing';
  readonly statusMessage: string | null;
  readonly checkedAt: string | null;
  readonly hasSecrets: boolean;
  /** The gateway's own folder under its data directory. */
  readonly builtin: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string;
}

export interface NewConnection {
  readonly name: string;
  readonly kind: ConnectionKind;
  readonly settings: ConnectionSettings;
  readonly secrets?: Readonly<Record<string, string>>;
}

/** A change: settings are replaced as a whole; secrets only when given (kept otherwise). */
export interface ConnectionChange {
  readonly name?: string;
  readonly settings?: ConnectionSettings;
  readonly secrets?: Readonly<Record<string, string>>;
}

export interface ConnectionTestResult {
  readonly ok: boolean;
  readonly message: string;
}

export interface SendStorageSetting {
  readonly connectionId: string;
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

const one = (id: string): string => `/connections/${encodeURIComponent(id)}`;

/** Storage connections and the send storage (admins). */
export const connectionsApi = {
  list: (): Promise<Connection[]> => call<Connection[]>('GET', '/connections'),
  get: (id: string): Promise<Connection> => call<Connection>('GET', one(id)),
  create: (c: NewConnection): Promise<Connection> => callJson<Connection>('POST', '/connections', c),
  update: (id: string, change: ConnectionChange): Promise<Connection> => callJson<Connection>('PATCH', one(id), change),
  remove: (id: string): Promise<void> => call<void>('DELETE', one(id)),
  test: (id: string): Promise<ConnectionTestResult> => call<ConnectionTestResult>('POST', `${one(id)}/test`),
  sendStorage: (): Promise<SendStorageSetting> => call<SendStorageSetting>('GET', '/settings/send-storage'),
  setSendStorage: (connectionId: string): Promise<SendStorageSetting> => callJson<SendStorageSetting>('PUT', '/settings/send-storage', { connectionId }),
};
