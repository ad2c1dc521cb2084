/** Every message the gateway sends. Each has `<name>.subject.hbs`, `<name>.text.hbs` and `<name>.html.hbs`. */
export const MAIL_TEMPLATES = ['recipient-invitation', 'verification-code', 'download-notification', 'expired-unused'] as const;
export type MailTemplate = (typeof MAIL_TEMPLATES)[number];

/** The parts of a message an administrator may edit. */
export const MAIL_TEMPLATE_PARTS = ['subject', 'text', 'html'] as const;
export type MailTemplatePart = (typeof MAIL_TEMPLATE_PARTS)[number];

export const isMailTemplate = (name: string): name is MailTemplate => (MAIL_TEMPLATES as readonly string[]).includes(name);

/**
 * What a template may print or test: a value (text, number or flag), an object with named fields, or
 * a list whose items are such a value (the items of `{{#each}}`).
 */
export type TemplateVariable =
  | { readonly name: string; readonly kind: 'text' | 'number' | 'flag'; readonly description: string }
  | { readonly name: string; readonly kind: 'object'; readonly description: string; readonly fields: readonly TemplateVariable[] }
  | { readonly name: string; readonly kind: 'list'; readonly description: string; readonly fields: readonly TemplateVariable[] };

/** One template's entry in the catalogue: what it is for, what it receives, and the sample data of its preview. */
export interface MailTemplateEntry {
  readonly name: MailTemplate;
  readonly description: string;
  readonly variables: readonly TemplateVariable[];
  readonly sample: Readonly<Record<string, unknown>>;
}

const text = (name: string, description: string): TemplateVariable => ({ name, kind: 'text', description });
const number = (name: string, description: string): TemplateVariable => ({ name, kind: 'number', description });
const flag = (name: string, description: string): TemplateVariable => ({ name, kind: 'flag', description });

/** The organisation's branding, which every message receives as `brand`. */
const BRAND: TemplateVariable = {
  name: 'brand',
  kind: 'object',
  description: 'The organisation’s branding (Administration → Branding)',
  fields: [
    text('name', 'The organisation’s name'),
    text('primaryColor', 'Primary colour, #rrggbb'),
    text('accentColor', 'Accent colour, #rrggbb'),
    text('supportEmail', 'Where recipients ask for help'),
    text('footer', 'The footer text'),
    text('logoUrl', 'The address of the logo (empty when none is set)'),
    text('publicUrl', 'The gateway’s public address'),
  ],
};

const FILES: TemplateVariable = {
  name: 'files',
  kind: 'list',
  description: 'The files of the link, each with its name and size (use inside {{#each files}})',
  fields: [text('name', 'The file’s name'), text('sizeText', 'Its size, e.g. “2.4 MB” (“a shared folder” for a folder)')],
};

/** The sample brand of previews. */
const SAMPLE_BRAND = {
  name: 'Example Corp file transfer',
  primaryColor: '#1f5fbf',
  accentColor: '#f0b400',
  supportEmail: 'it-help@corp.example',
  footer: 'Example Corp · 1 Harbour Street · Sample City',
  logoUrl: 'https://files.corp.example/branding/logo',
  publicUrl: 'https://files.corp.example',
};

const SAMPLE_FILES = [
  { name: 'Quarterly report.pdf', sizeText: '2.4 MB' },
  { name: 'Figures <draft>.xlsx', sizeText: '310 KB' },
];

/**
 * The variables each message receives (what the code queueing it passes: libs/links link-notices)
 * and the sample data its preview is rendered with. The validator refuses any other variable.
 */
export const MAIL_TEMPLATE_CATALOGUE: Readonly<Record<MailTemplate, MailTemplateEntry>> = {
  'recipient-invitation': {
    name: 'recipient-invitation',
    description: 'Sent to each recipient of a new link (and again when the sender resends it): their own link and what they will need to open it.',
    variables: [
      text('senderName', 'The sender’s display name'),
      text('senderEmail', 'The sender’s email address (may be empty)'),
      text('recipient', 'The recipient’s email address'),
      text('url', 'The recipient’s own link'),
      text('message', 'The sender’s message (may be empty)'),
      text('expiresAtText', 'When the link stops working (empty when it never expires)'),
      flag('oneTime', 'The link can be downloaded once'),
      number('maxDownloads', 'How many times it can be downloaded (empty when unlimited or one-time)'),
      flag('needsPassword', 'The recipient needs a password (never in the email)'),
      flag('needsEmailCode', 'The recipient must confirm their address with an emailed code'),
      FILES,
      number('fileCount', 'How many files the link holds'),
      flag('single', 'The link holds one file (or one folder)'),
      flag('folder', 'The link shares one folder'),
      text('totalText', 'The total size, e.g. “2.7 MB”'),
      BRAND,
    ],
    sample: {
      senderName: 'Alice Martin',
      senderEmail: 'alice@corp.example',
      recipient: 'bob@partner.example',
      url: 'https://files.corp.example/l/sample-link-address',
      message: 'Here are the figures we discussed.\nThe second file is still a <draft>.',
      expiresAtText: 'Fri, 15 Jan 2027 17:00:00 GMT',
      oneTime: false,
      maxDownloads: 3,
      needsPassword: true,
      needsEmailCode: true,
      files: SAMPLE_FILES,
      fileCount: 2,
      single: false,
      folder: false,
      totalText: '2.7 MB',
    },
  },
  'verification-code': {
    name: 'verification-code',
    description: 'Sent to a recipient who asked for a one-time code to prove they own their email address.',
    variables: [text('code', 'The one-time code'), number('minutes', 'How many minutes the code works'), text('senderName', 'The display name of the link’s sender'), BRAND],
    sample: { code: '482913', minutes: 10, senderName: 'Alice Martin' },
  },
  'download-notification': {
    name: 'download-notification',
    description: 'Sent to the sender when a recipient completes a download (when download notifications are on for the link).',
    variables: [
      text('who', 'Who downloaded: the verified email, or a description of the recipient'),
      text('atText', 'When the download completed'),
      text('ip', 'The address it came from (may be empty)'),
      text('linkId', 'The link’s id'),
      FILES,
      number('fileCount', 'How many files were downloaded'),
      flag('single', 'One file was downloaded'),
      text('firstName', 'The name of the first file'),
      text('remainingText', 'How many downloads the recipient has left (empty when unlimited)'),
      BRAND,
    ],
    sample: {
      who: 'bob@partner.example',
      atText: 'Tue, 12 Jan 2027 09:30:00 GMT',
      ip: '203.0.113.7',
      linkId: '0b9f3c1e-6d2a-4c59-9a71-2f4d8e5b6c10',
      files: SAMPLE_FILES,
      fileCount: 2,
      single: false,
      firstName: 'Quarterly report.pdf',
      remainingText: '2 downloads left for this recipient.',
    },
  },
  'expired-unused': {
    name: 'expired-unused',
    description: 'Sent to the sender when a link expired before anybody downloaded it.',
    variables: [
      text('linkId', 'The link’s id'),
      text('createdAtText', 'When the link was created'),
      text('expiredAtText', 'When it expired'),
      text('recipients', 'Its recipients, comma-separated (may be empty)'),
      FILES,
      flag('purges', 'The link held copies, which are now deleted (send links)'),
      BRAND,
    ],
    sample: {
      linkId: '0b9f3c1e-6d2a-4c59-9a71-2f4d8e5b6c10',
      createdAtText: 'Mon, 04 Jan 2027 08:00:00 GMT',
      expiredAtText: 'Mon, 11 Jan 2027 08:00:00 GMT',
      recipients: 'bob@partner.example, carol@partner.example',
      files: SAMPLE_FILES,
      purges: true,
    },
  },
};

/** The sample data of a template's preview, with the sample brand. */
export function sampleDataOf(name: MailTemplate): Record<string, unknown> {
  return { ...MAIL_TEMPLATE_CATALOGUE[name].sample, brand: { ...SAMPLE_BRAND } };
}
