import type { Option } from './fields.tsx';

/** What each setting is called on the page: its field's label, and the error summary's name for it. */
export const LABELS: Readonly<Record<string, string>> = {
  'password.mode': 'Password',
  'password.minLength': 'Minimum length',
  'password.generate': 'Generate one when none is given',
  'emailVerification.mode': 'Email verification',
  'emailVerification.requiredOutsideDomains': 'Required outside these domains',
  'oneTime.mode': 'One-time',
  'downloads.default': 'Default downloads',
  'downloads.max': 'Downloads (maximum)',
  'expiry.defaultDays': 'Default expiry (days)',
  'expiry.maxDays': 'Expiry (maximum days)',
  'expiry.allowNever': 'Links may never expire',
  'files.maxFileBytes': 'Maximum file size',
  'files.maxTotalBytes': 'Maximum total size',
  'creators.send': 'Who may send',
  'creators.share': 'Who may share',
  'creators.externalUsers': 'External users may create links',
  'recipients.allowedDomains': 'Allowed domains',
  'recipients.blockedDomains': 'Blocked domains',
  'notifications.notifySenderOnDownload': 'Email the sender on each download',
  'notifications.emailRecipients': 'Email recipients their links',
};

/** The sections' legends. */
export const SECTION_LABELS: Readonly<Record<string, string>> = {
  password: 'Password',
  emailVerification: 'Email verification',
  oneTime: 'One-time',
  downloads: 'Downloads',
  expiry: 'Expiry',
  files: 'Files',
  creators: 'Creators',
  recipients: 'Recipients',
  notifications: 'Notifications',
};

/** The settings a group override edits in the form (the YAML view edits any). */
export const OVERRIDE_FIELDS = [
  'password.mode',
  'password.minLength',
  'oneTime.mode',
  'expiry.defaultDays',
  'expiry.maxDays',
  'downloads.default',
  'downloads.max',
  'files.maxFileBytes',
  'files.maxTotalBytes',
] as const;

export const groupKey = (group: string, field: string): string => `groups.${group}.${field}`;

/** The field keys the form shows for a document: the organisation's settings and each group's. */
export function fieldKeys(groups: readonly string[]): string[] {
  return [...Object.keys(LABELS), ...groups.flatMap((g) => OVERRIDE_FIELDS.map((f) => groupKey(g, f)))];
}

/** A problem's place as a person reads it: "Expiry (maximum days)", "Group “finance”: Password". */
export function labelOf(path: string, groups: readonly string[]): string {
  if (path === 'groups') {
    return 'Group overrides';
  }
  const group = [...groups].sort((a, b) => b.length - a.length).find((g) => path.startsWith(`groups.${g}.`) || path === `groups.${g}`);
  if (group !== undefined) {
    const rest = path.slice(`groups.${group}.`.length);
    return `Group “${group}”${rest ? `: ${LABELS[rest] ?? rest}` : ''}`;
  }
  const item = /^(.*)\.(\d+)$/.exec(path);
  if (item && LABELS[item[1]!]) {
    return `${LABELS[item[1]!]!}, entry ${String(Number(item[2]) + 1)}`;
  }
  return LABELS[path] ?? path;
}

export const GATE_OPTIONS: readonly Option[] = [
  { value: 'off', label: 'Off: never on a link' },
  { value: 'optional', label: 'Optional: the sender chooses' },
  { value: 'default', label: 'On by default: the sender may turn it off' },
  { value: 'required', label: 'Required on every link' },
];

export const ONE_TIME_OPTIONS: readonly Option[] = [
  { value: 'optional', label: 'Optional: the sender chooses' },
  { value: 'default', label: 'On by default: the sender may turn it off' },
  { value: 'forced', label: 'Forced: every link is one-time' },
];

/** "1 link", "2 links". */
export const plural = (n: number, one: string, many: string): string => `${String(n)} ${n === 1 ? one : many}`;
