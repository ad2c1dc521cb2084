import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { policyApi, type EffectivePolicy, type GateMode } from '../api/policy.ts';
import { Refusal } from './Refusal.tsx';
import { useLoad } from './useLoad.ts';
import './fields.css';

/**
 * The options of a new link (send or share), as the effective policy allows them. Shared by the
 * Send and Share pages; `linkOptionsBody(value)` is spread into the JSON body of POST /api/v1/links.
 * A field left undefined is left to the policy's default on the gateway.
 */
export interface LinkOptionsValue {
  readonly oneTime?: boolean;
  /** Completed downloads per recipient; null is unlimited. */
  readonly maxDownloads?: number | null;
  /** An ISO instant, or "never". */
  readonly expiresAt?: string;
  /** '' asks for no password (where the policy allows that). */
  readonly password?: string;
  readonly requireEmailVerification?: boolean;
  readonly message?: string;
  /** Email each recipient their link. */
  readonly notify?: boolean;
  /** Email the sender on each completed download. */
  readonly notifyOnDownload?: boolean;
}

/** The options as the API takes them: unset ones left out, an unlimited download count as "unlimited". */
export function linkOptionsBody(value: LinkOptionsValue): Record<string, unknown> {
  const { maxDownloads, message, ...rest } = value;
  return Object.fromEntries(
    Object.entries({
      ...rest,
      maxDownloads: maxDownloads === null ? 'unlimited' : maxDownloads,
      message: message?.trim() ? message : undefined,
    }).filter(([, v]) => v !== undefined),
  );
}

const DAY_MS = 86_400_000;
const REQUIRED = 'Required by your organisation.';
const NOT_ALLOWED = 'Not allowed by your organisation.';

/** The policy's defaults, as the form starts. */
export function defaultLinkOptions(policy: EffectivePolicy): LinkOptionsValue {
  const on = (mode: GateMode): boolean => mode === 'default' || mode === 'required';
  return {
    oneTime: policy.oneTime.mode !== 'optional',
    maxDownloads: policy.downloads.default,
    requireEmailVerification: on(policy.emailVerification.mode),
    // Protected and left empty: the gateway generates one when the policy says so; otherwise the person types or generates one.
    password: on(policy.password.mode) ? undefined : '',
    // The end of the default day, as the date picker shows it.
    expiresAt: expiryOfDay(defaultDay(policy), policy.expiry.maxDays),
    notify: policy.notifications.emailRecipients,
    notifyOnDownload: policy.notifications.notifySenderOnDownload,
  };
}

const PASSWORD_ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A random password from crypto.getRandomValues (rejection sampling, so every character is equally likely). */
export function generatePassword(length: number): string {
  const n = PASSWORD_ALPHABET.length;
  const limit = 256 - (256 % n);
  let out = '';
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < limit && out.length < length) {
        out += PASSWORD_ALPHABET[byte % n]!;
      }
    }
  }
  return out;
}

const pad = (n: number): string => String(n).padStart(2, '0');
/** A date input's value (the viewer's own calendar day). */
const dayOf = (at: Date): string => `${String(at.getFullYear())}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;

/** The end of the chosen day in the viewer's zone, held to the policy's maximum. */
function expiryOfDay(day: string, maxDays: number): string {
  const [y, m, d] = day.split('-').map(Number);
  const end = new Date(y!, m! - 1, d!, 23, 59, 0);
  const latest = Date.now() + maxDays * DAY_MS - 60_000;
  return new Date(Math.min(end.getTime(), latest)).toISOString();
}

const defaultDay = (policy: EffectivePolicy): string => dayOf(new Date(Date.now() + Math.min(policy.expiry.defaultDays, policy.expiry.maxDays) * DAY_MS));

/** A checkbox the policy may lock: checked and disabled when enforced, with the reason as its description. */
function GateBox({ label, checked, locked, reason, hint, onChange }: { label: string; checked: boolean; locked: boolean; reason?: string; hint?: ReactNode; onChange: (on: boolean) => void }) {
  const id = useId();
  const described = [reason ? `${id}-reason` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="option">
      <input id={id} type="checkbox" checked={checked} disabled={locked} aria-describedby={described} onChange={(e) => onChange(e.currentTarget.checked)} />
      <label htmlFor={id}>
        {label}
        {locked ? (
          <span className="lock" aria-hidden="true">
            {' '}
            🔒
          </span>
        ) : null}
      </label>
      {reason ? (
        <p id={`${id}-reason`} className="meta reason">
          {reason}
        </p>
      ) : null}
      {hint ? (
        <p id={`${id}-hint`} className="meta reason">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** The lock of a gate mode: required and off are the organisation's to say. */
const gateLock = (mode: GateMode): { locked: boolean; reason?: string } =>
  mode === 'required' ? { locked: true, reason: REQUIRED } : mode === 'off' ? { locked: true, reason: NOT_ALLOWED } : { locked: false };

/**
 * The options of a link as the effective policy allows them: its defaults pre-filled, what it
 * enforces shown locked with the reason, the allowed expiry range on the date picker, a password
 * generator. Without `policy` it loads the signed-in person's (GET /api/v1/policy/effective).
 */
export function LinkOptionsFields({ value, onChange, policy: given }: { value: LinkOptionsValue; onChange: (value: LinkOptionsValue) => void; policy?: EffectivePolicy }) {
  const loaded = useLoad(() => (given ? Promise.resolve(given) : policyApi.effective()), given ? 'given' : 'effective');
  const policy = given ?? loaded.data;
  const prefilled = useRef(false);
  useEffect(() => {
    if (policy && !prefilled.current) {
      prefilled.current = true;
      onChange({ ...defaultLinkOptions(policy), ...value });
    }
  }, [policy]);
  if (!policy) {
    return loaded.error ? <Refusal error={loaded.error} /> : <p className="meta">Loading the options your organisation allows…</p>;
  }
  return <Options policy={policy} value={value} onChange={onChange} />;
}

function Options({ policy, value, onChange }: { policy: EffectivePolicy; value: LinkOptionsValue; onChange: (value: LinkOptionsValue) => void }) {
  const id = useId();
  const set = (patch: Partial<LinkOptionsValue>): void => onChange({ ...value, ...patch });
  const today = new Date();
  const [day, setDay] = useState(() => defaultDay(policy));
  const never = value.expiresAt === 'never';
  const protect = value.password !== '';
  const passwordLock = gateLock(policy.password.mode);
  const verification = gateLock(policy.emailVerification.mode);
  const outside = policy.emailVerification.requiredOutsideDomains;
  const maxDownloads = policy.downloads.max;
  const passwordHint = [
    `At least ${String(policy.password.minLength)} characters.`,
    policy.password.generate ? 'Leave it empty and the gateway generates one, shown to you once.' : '',
    'Give it to the recipients another way than the link.',
  ]
    .filter(Boolean)
    .join(' ');

  return (
    <fieldset className="link-options">
      <legend>Options</legend>
      <label htmlFor={`${id}-message`}>Message</label>
      <textarea id={`${id}-message`} rows={3} maxLength={4000} value={value.message ?? ''} onChange={(e) => set({ message: e.currentTarget.value })} />

      <GateBox
        label="Protect with a password"
        checked={policy.password.mode === 'off' ? false : protect}
        {...passwordLock}
        onChange={(on) => set({ password: on ? undefined : '' })}
      />
      {protect && policy.password.mode !== 'off' ? (
        <div className="password">
          <label htmlFor={`${id}-password`}>Password</label>
          <div className="inline">
            <input
              id={`${id}-password`}
              type="text"
              autoComplete="off"
              spellCheck={false}
              minLength={policy.password.minLength}
              required={!policy.password.generate}
              value={value.password ?? ''}
              aria-describedby={`${id}-password-hint`}
              onChange={(e) => set({ password: e.currentTarget.value === '' ? undefined : e.currentTarget.value })}
            />
            <button type="button" className="secondary" onClick={() => set({ password: generatePassword(Math.max(policy.password.minLength, 20)) })}>
              Generate
            </button>
          </div>
          <p id={`${id}-password-hint`} className="meta reason">
            {passwordHint}
          </p>
        </div>
      ) : null}

      <GateBox
        label="Require email verification (a one-time code by email)"
        checked={policy.emailVerification.mode === 'off' ? false : (value.requireEmailVerification ?? false)}
        {...verification}
        hint={outside.length > 0 ? `Always required for addresses outside ${outside.join(', ')}.` : undefined}
        onChange={(on) => set({ requireEmailVerification: on })}
      />

      <GateBox
        label="One-time link (ends after the first completed download)"
        checked={value.oneTime ?? false}
        {...(policy.oneTime.mode === 'forced' ? { locked: true, reason: REQUIRED } : { locked: false })}
        onChange={(on) => set({ oneTime: on })}
      />

      <label htmlFor={`${id}-downloads`}>Download limit</label>
      <input
        id={`${id}-downloads`}
        className="short"
        type="number"
        inputMode="numeric"
        min={1}
        max={maxDownloads ?? 1_000_000}
        required={maxDownloads !== null}
        placeholder={maxDownloads === null ? 'Unlimited' : undefined}
        value={value.maxDownloads ?? ''}
        aria-describedby={`${id}-downloads-hint`}
        onChange={(e) => set({ maxDownloads: e.currentTarget.value === '' ? null : Number(e.currentTarget.value) })}
      />
      <p id={`${id}-downloads-hint`} className="meta reason">
        {maxDownloads === null ? 'Completed downloads per recipient. Leave empty for no limit.' : `Completed downloads per recipient: at most ${String(maxDownloads)} (your organisation's limit).`}
      </p>

      <label htmlFor={`${id}-expiry`}>Expires on</label>
      <input
        id={`${id}-expiry`}
        className="short"
        type="date"
        required={!never}
        disabled={never}
        min={dayOf(today)}
        max={dayOf(new Date(today.getTime() + policy.expiry.maxDays * DAY_MS))}
        value={day}
        aria-describedby={`${id}-expiry-hint`}
        onChange={(e) => {
          const chosen = e.currentTarget.value;
          setDay(chosen);
          set({ expiresAt: chosen === '' ? undefined : expiryOfDay(chosen, policy.expiry.maxDays) });
        }}
      />
      <p id={`${id}-expiry-hint`} className="meta reason">
        {`The link works until the end of that day, at most ${String(policy.expiry.maxDays)} days from today (your organisation's limit).`}
      </p>
      {policy.expiry.allowNever ? (
        <GateBox label="Never expires" checked={never} locked={false} onChange={(on) => set({ expiresAt: on ? 'never' : expiryOfDay(day, policy.expiry.maxDays) })} />
      ) : null}

      <GateBox label="Email each address its link" checked={value.notify ?? true} locked={false} onChange={(on) => set({ notify: on })} />
      <GateBox label="Email me when a download completes" checked={value.notifyOnDownload ?? true} locked={false} onChange={(on) => set({ notifyOnDownload: on })} />
    </fieldset>
  );
}
