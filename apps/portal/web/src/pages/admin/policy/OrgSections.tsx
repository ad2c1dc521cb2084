import type { ReactNode } from 'react';
import { POLICY_ROLES, type PolicyDocument } from '../../../api/policy.ts';
import { getAt, type KeyPath } from './document.ts';
import { BytesField, CheckField, ChoicesField, LinesField, NumberField, SelectField } from './fields.tsx';
import { GATE_OPTIONS, LABELS, ONE_TIME_OPTIONS, SECTION_LABELS } from './labels.ts';

export type SetSetting = (path: KeyPath, value: unknown) => void;

const ROLE_CHOICES = POLICY_ROLES.map((r) => ({ value: r, label: r }));
const DOMAIN_HINT = 'One domain per line, such as example.com (which covers its subdomains too).';

function Section({ name, children, hint }: { name: keyof typeof SECTION_LABELS; children: ReactNode; hint?: string }) {
  return (
    <fieldset className="policy-section">
      <legend>{SECTION_LABELS[name]}</legend>
      {hint ? <p className="meta hint">{hint}</p> : null}
      {children}
    </fieldset>
  );
}

/** The organisation's settings, one fieldset per section, each control labelled with its setting. */
export function OrgSections({ doc, set }: { doc: PolicyDocument; set: SetSetting }) {
  const at = (key: string): unknown => getAt(doc, key.split('.'));
  const to =
    (key: string) =>
    (value: unknown): void =>
      set(key.split('.'), value);
  const flag = (key: string): boolean => at(key) === true;
  return (
    <div className="policy-sections">
      <Section name="password">
        <SelectField fkey="password.mode" label={LABELS['password.mode']!} options={GATE_OPTIONS} value={at('password.mode')} onChange={to('password.mode')} />
        <NumberField fkey="password.minLength" label={LABELS['password.minLength']!} value={at('password.minLength')} onChange={to('password.minLength')} empty="" max={1024} suffix="characters" />
        <CheckField
          fkey="password.generate"
          label={LABELS['password.generate']!}
          checked={flag('password.generate')}
          onChange={to('password.generate')}
          hint="When a password is due and the sender gives none, the gateway generates one and shows it to them once."
        />
      </Section>

      <Section name="emailVerification">
        <SelectField
          fkey="emailVerification.mode"
          label={LABELS['emailVerification.mode']!}
          options={GATE_OPTIONS}
          value={at('emailVerification.mode')}
          onChange={to('emailVerification.mode')}
          hint="Recipients type their address and get a one-time code by email before they can download."
        />
        <LinesField
          fkey="emailVerification.requiredOutsideDomains"
          label={LABELS['emailVerification.requiredOutsideDomains']!}
          value={at('emailVerification.requiredOutsideDomains')}
          onChange={to('emailVerification.requiredOutsideDomains')}
          hint={`Verification is required for every recipient outside these domains. ${DOMAIN_HINT} Empty: the mode alone decides.`}
        />
      </Section>

      <Section name="oneTime">
        <SelectField
          fkey="oneTime.mode"
          label={LABELS['oneTime.mode']!}
          options={ONE_TIME_OPTIONS}
          value={at('oneTime.mode')}
          onChange={to('oneTime.mode')}
          hint="A one-time link is used up by its first completed download (opening the page uses nothing)."
        />
      </Section>

      <Section name="downloads" hint="Completed downloads per recipient. Empty: unlimited.">
        <NumberField fkey="downloads.default" label={LABELS['downloads.default']!} value={at('downloads.default')} onChange={to('downloads.default')} empty={null} max={1_000_000} />
        <NumberField fkey="downloads.max" label={LABELS['downloads.max']!} value={at('downloads.max')} onChange={to('downloads.max')} empty={null} max={1_000_000} />
      </Section>

      <Section name="expiry">
        <NumberField fkey="expiry.defaultDays" label={LABELS['expiry.defaultDays']!} value={at('expiry.defaultDays')} onChange={to('expiry.defaultDays')} empty="" max={3650} suffix="days" />
        <NumberField
          fkey="expiry.maxDays"
          label={LABELS['expiry.maxDays']!}
          value={at('expiry.maxDays')}
          onChange={to('expiry.maxDays')}
          empty=""
          max={3650}
          suffix="days"
          hint="No link may last longer, counted from its creation."
        />
        <CheckField fkey="expiry.allowNever" label={LABELS['expiry.allowNever']!} checked={flag('expiry.allowNever')} onChange={to('expiry.allowNever')} />
      </Section>

      <Section name="files">
        <BytesField fkey="files.maxFileBytes" label={LABELS['files.maxFileBytes']!} value={at('files.maxFileBytes')} onChange={to('files.maxFileBytes')} />
        <BytesField fkey="files.maxTotalBytes" label={LABELS['files.maxTotalBytes']!} value={at('files.maxTotalBytes')} onChange={to('files.maxTotalBytes')} hint="All the files of one link together." />
      </Section>

      <Section name="creators">
        <ChoicesField fkey="creators.send" legend={LABELS['creators.send']!} choices={ROLE_CHOICES} value={at('creators.send')} onChange={to('creators.send')} hint="Roles that may create send links." />
        <ChoicesField fkey="creators.share" legend={LABELS['creators.share']!} choices={ROLE_CHOICES} value={at('creators.share')} onChange={to('creators.share')} hint="Roles that may share from storage connections." />
        <CheckField
          fkey="creators.externalUsers"
          label={LABELS['creators.externalUsers']!}
          checked={flag('creators.externalUsers')}
          onChange={to('creators.externalUsers')}
          hint="Off: people with the external role create no links, whatever the roles above say."
        />
      </Section>

      <Section name="recipients">
        <LinesField
          fkey="recipients.allowedDomains"
          label={LABELS['recipients.allowedDomains']!}
          value={at('recipients.allowedDomains')}
          onChange={to('recipients.allowedDomains')}
          hint={`${DOMAIN_HINT} Empty: every domain that is not blocked.`}
        />
        <LinesField fkey="recipients.blockedDomains" label={LABELS['recipients.blockedDomains']!} value={at('recipients.blockedDomains')} onChange={to('recipients.blockedDomains')} hint={DOMAIN_HINT} />
      </Section>

      <Section name="notifications" hint="Defaults of each new link; the sender may change them per link.">
        <CheckField
          fkey="notifications.notifySenderOnDownload"
          label={LABELS['notifications.notifySenderOnDownload']!}
          checked={flag('notifications.notifySenderOnDownload')}
          onChange={to('notifications.notifySenderOnDownload')}
        />
        <CheckField fkey="notifications.emailRecipients" label={LABELS['notifications.emailRecipients']!} checked={flag('notifications.emailRecipients')} onChange={to('notifications.emailRecipients')} />
      </Section>
    </div>
  );
}
