import { ApiError } from '../../../api/client.ts';
import type { ConnectionKind } from '../../../api/connections.ts';

/** One control of the connection form: the API field it fills (a dotted path), and how people name it. */
export interface FieldDef {
  readonly path: string;
  readonly label: string;
  /** The label when editing (secrets: "New … (leave empty to keep)"). */
  readonly editLabel?: string;
  readonly type: 'text' | 'number' | 'password' | 'textarea' | 'checkbox' | 'select';
  readonly hint?: string;
  /** Required when creating (secrets are not when editing). */
  readonly required?: boolean;
  readonly options?: ReadonlyArray<{ readonly value: string; readonly label: string }>;
  readonly mono?: boolean;
  readonly placeholder?: string;
  /** Shown only when this says so (the SFTP password or private key). */
  readonly when?: (values: FormValues) => boolean;
}

export type FormValues = Readonly<Record<string, string | boolean>>;

export const KIND_LABELS: Record<ConnectionKind, string> = { local: 'Local folder', s3: 'S3 bucket', sftp: 'SFTP server' };

const keepLabel = (what: string): string => `New ${what} (leave empty to keep)`;
const byKey = (v: FormValues): boolean => v['sftp.auth'] === 'key';

/** The settings and secrets fields of each kind, in the order of the form. */
export const KIND_FIELDS: Record<ConnectionKind, readonly FieldDef[]> = {
  local: [{ path: 'settings.root', label: 'Root folder', type: 'text', required: true, mono: true, placeholder: '/srv/files', hint: 'An absolute path of an existing folder on the gateway, outside its data directory.' }],
  s3: [
    { path: 'settings.bucket', label: 'Bucket', type: 'text', required: true, mono: true },
    { path: 'settings.prefix', label: 'Prefix', type: 'text', mono: true, hint: 'A folder inside the bucket (for example exports/2026); empty for the whole bucket.' },
    { path: 'settings.region', label: 'Region', type: 'text', required: true, mono: true, placeholder: 'eu-west-1' },
    { path: 'settings.endpoint', label: 'Endpoint', type: 'text', mono: true, placeholder: 'https://s3.example.com', hint: 'For an S3-compatible store: its http(s)://host:port. Empty for Amazon S3.' },
    { path: 'settings.forcePathStyle', label: 'Path-style addresses (bucket in the path, not the host name)', type: 'checkbox', hint: 'Most S3-compatible stores need this.' },
    {
      path: 'settings.serverSideEncryption',
      label: 'Server-side encryption',
      type: 'select',
      options: [
        { value: '', label: 'The bucket’s default' },
        { value: 'AES256', label: 'AES256 (S3-managed keys)' },
        { value: 'aws:kms', label: 'aws:kms (KMS keys)' },
        { value: 'aws:kms:dsse', label: 'aws:kms:dsse (dual-layer KMS)' },
      ],
    },
    { path: 'secrets.accessKeyId', label: 'Access key ID', editLabel: keepLabel('access key ID'), type: 'text', required: true, mono: true },
    { path: 'secrets.secretAccessKey', label: 'Secret access key', editLabel: keepLabel('secret access key'), type: 'password', required: true, mono: true },
  ],
  sftp: [
    { path: 'settings.host', label: 'Host', type: 'text', required: true, mono: true, placeholder: 'files.example.com' },
    { path: 'settings.port', label: 'Port', type: 'number', required: true },
    { path: 'settings.username', label: 'Username', type: 'text', required: true, mono: true },
    { path: 'settings.root', label: 'Root folder on the server', type: 'text', mono: true, placeholder: '/', hint: 'The folder the connection starts at; empty for /.' },
    {
      path: 'settings.hostKeySha256',
      label: 'Host key fingerprint',
      type: 'text',
      required: true,
      mono: true,
      placeholder: 'SHA256:…',
      hint: 'The server’s host key as OpenSSH prints it (ssh-keygen -lf, or ssh-keyscan piped to it): SHA256: and 43 characters. The gateway refuses any other key.',
    },
    {
      path: 'sftp.auth',
      label: 'Sign in with',
      type: 'select',
      options: [
        { value: 'password', label: 'A password' },
        { value: 'key', label: 'A private key' },
      ],
    },
    { path: 'secrets.password', label: 'Password', editLabel: keepLabel('password'), type: 'password', required: true, when: (v) => !byKey(v) },
    {
      path: 'secrets.privateKey',
      label: 'Private key',
      editLabel: keepLabel('private key'),
      type: 'textarea',
      required: true,
      mono: true,
      hint: 'OpenSSH or PEM, from -----BEGIN to END-----.',
      when: byKey,
    },
    { path: 'secrets.passphrase', label: 'Passphrase of the key', editLabel: keepLabel('passphrase of the key'), type: 'password', hint: 'Only if the key has one.', when: byKey },
  ],
};

export const LOOPBACK_FIELD: FieldDef = {
  path: 'settings.allowLoopback',
  label: 'Allow a loopback address (127.0.0.1, ::1)',
  type: 'checkbox',
  hint: 'Only for a storage on the gateway’s own machine. Link-local and cloud metadata addresses are always refused.',
};

/** The DOM id of the control for `path` in the form `formId`. */
export const fieldId = (formId: string, path: string): string => `${formId}-${path.replace(/[^a-zA-Z0-9]+/g, '-')}`;

/** A refusal the form can show: the sentence for its summary, and what is wrong with each named field. */
export interface FormRefusal {
  readonly summary: string;
  /** Field path → the messages for it (each a sentence). */
  readonly fields: ReadonlyMap<string, readonly string[]>;
}

/** A message as a sentence: a capital first, a full stop last. */
export const sentence = (s: string): string => {
  const t = s.trim();
  return t === '' ? t : `${t[0]!.toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
};

/**
 * The API's refusal of a connection turned into messages beside the fields it names: a 400 lists
 * `problems: [{ path, message }]`; a 409 or 422 names one `field`, its message starting "<field>: ".
 * `known` are the paths the form shows; a problem deeper than one goes to the nearest shown one.
 */
export function refusalOf(error: unknown, known: ReadonlySet<string>, labelOf: (path: string) => string): FormRefusal | null {
  if (!(error instanceof ApiError) || ![400, 409, 422].includes(error.status)) {
    return null;
  }
  const fields = new Map<string, string[]>();
  const add = (path: string, message: string): void => {
    const target = nearest(path, known);
    if (target !== null) {
      fields.set(target, [...(fields.get(target) ?? []), sentence(humanise(message, labelOf))]);
    }
  };
  const problems = error.body.problems;
  if (Array.isArray(problems)) {
    for (const p of problems as Array<{ path?: unknown; message?: unknown }>) {
      if (typeof p.path === 'string' && typeof p.message === 'string') {
        add(p.path, p.message);
      }
    }
  } else if (typeof error.body.field === 'string') {
    const field = error.body.field;
    add(field, error.message.startsWith(`${field}: `) ? error.message.slice(field.length + 2) : error.message);
  }
  const field = typeof error.body.field === 'string' ? error.body.field : null;
  const summary = field !== null && error.message.startsWith(`${field}: `) ? `${labelOf(field)}: ${error.message.slice(field.length + 2)}` : error.message;
  return { summary: humanise(summary, labelOf), fields };
}

/** The shown field a problem at `path` belongs to: itself, else its nearest parent shown (secrets → the first secret). */
function nearest(path: string, known: ReadonlySet<string>): string | null {
  const parts = path.split('.');
  for (let n = parts.length; n > 0; n--) {
    const candidate = parts.slice(0, n).join('.');
    if (known.has(candidate)) {
      return candidate;
    }
    const child = [...known].find((k) => k.startsWith(`${candidate}.`));
    if (candidate === 'secrets' && child) {
      return child;
    }
  }
  return null;
}

/** A message with the API's field paths ("settings.allowLoopback") named as the form labels them. */
export function humanise(message: string, labelOf: (path: string) => string): string {
  return message.replace(/\b(settings(?:\.[A-Za-z0-9]+)+|secrets(?:\.[A-Za-z0-9]+)*)\b(?=[\s:.,;)]|$)/g, (path) => {
    const label = labelOf(path);
    return label === path ? path : `“${label}”`;
  });
}
