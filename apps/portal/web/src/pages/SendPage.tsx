import { useEffect, useState, type FormEvent } from 'react';
import { policyApi, type EffectivePolicy } from '../api/policy.ts';
import { createSendLink, type CreatedSendLink } from '../api/uploads.ts';
import { formatBytes } from '../ui/format.tsx';
import { defaultLinkOptions, LinkOptionsFields, linkOptionsBody, type LinkOptionsValue } from '../ui/LinkOptionsFields.tsx';
import { isEmailAddress, RecipientsField, withTypedRecipients } from '../ui/RecipientsField.tsx';
import { Refusal } from '../ui/Refusal.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { usePageTitle } from '../ui/usePageTitle.ts';
import { FilePicker } from './send/FilePicker.tsx';
import { SentLinks } from './send/SentLinks.tsx';
import { UploadList } from './send/UploadList.tsx';
import { useUploads } from './send/useUploads.ts';
import './send/send.css';

/**
 * Send files: each picked file uploads at once, resumably (tus), within the policy's size limits;
 * Send makes one link of the completed uploads with one address per recipient.
 */
export function SendPage() {
  usePageTitle('Send');
  const policy = useLoad(policyApi.effective, 'effective-policy');
  return (
    <>
      <h1>Send</h1>
      {policy.data ? <SendForm policy={policy.data} /> : policy.error ? <Refusal error={policy.error} /> : <p className="meta">Loading…</p>}
    </>
  );
}

/** Why these files may not be sent, before any byte leaves the browser; null when they may. */
function sizeRefusal(policy: EffectivePolicy, picked: readonly File[], alreadyBytes: number): string | null {
  const { maxFileBytes, maxTotalBytes } = policy.files;
  const big = picked.find((f) => f.size > maxFileBytes);
  if (big) {
    return `“${big.name}” is ${formatBytes(big.size)}, and your organisation allows at most ${formatBytes(maxFileBytes)} per file. Nothing of it was uploaded: send a smaller file, or split it.`;
  }
  const total = alreadyBytes + picked.reduce((n, f) => n + f.size, 0);
  if (total > maxTotalBytes) {
    return `These files add up to ${formatBytes(total)}, and your organisation allows at most ${formatBytes(maxTotalBytes)} in one link. Nothing more was uploaded: send fewer files, or the rest in another link.`;
  }
  return null;
}

function SendForm({ policy }: { policy: EffectivePolicy }) {
  const uploads = useUploads();
  const [recipients, setRecipients] = useState<string[]>([]);
  const [options, setOptions] = useState<LinkOptionsValue>(() => defaultLinkOptions(policy));
  const [refusal, setRefusal] = useState<unknown>(null);
  const [waiting, setWaiting] = useState(false);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedSendLink | null>(null);

  const onFiles = (picked: File[]): void => {
    const why = sizeRefusal(policy, picked, uploads.items.reduce((n, i) => n + i.size, 0));
    if (why) {
      setRefusal(new Error(why));
      return;
    }
    setRefusal(null);
    uploads.add(picked);
  };

  const onSubmit = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault();
    const all = withTypedRecipients(recipients, e.currentTarget);
    setRecipients(all);
    const invalid = all.filter((r) => !isEmailAddress(r));
    if (invalid.length > 0) {
      setRefusal(new Error(`Correct or remove the entries that are not email addresses before sending: ${invalid.join(', ')}.`));
      return;
    }
    if (uploads.items.length === 0) {
      setRefusal(new Error('Choose at least one file to send (or drop it on the Files area).'));
      return;
    }
    setRefusal(null);
    setWaiting(true);
  };

  // Send waits for the uploads to finish, then makes the link of them.
  const failed = uploads.items.find((i) => i.state === 'failed');
  useEffect(() => {
    if (!waiting) {
      return;
    }
    if (failed) {
      setWaiting(false);
      setRefusal(new Error(`“${failed.name}” did not upload: ${failed.message ?? 'it stopped'}. Press Resume to try again, or remove it.`));
      return;
    }
    const ids = uploads.allDone ? uploads.ids() : null;
    if (!ids) {
      return;
    }
    setWaiting(false);
    setBusy(true);
    createSendLink({ uploads: ids, recipients: recipients.join(', '), ...linkOptionsBody(options) }).then(
      (answer) => {
        setCreated(answer);
        setBusy(false);
        uploads.clear();
        setRecipients([]);
        setOptions((o) => ({ ...o, password: defaultLinkOptions(policy).password, message: '' }));
      },
      (err: unknown) => {
        setRefusal(err);
        setBusy(false);
      },
    );
  }, [waiting, uploads.allDone, failed]);

  const limits =
    policy.files.maxFileBytes >= policy.files.maxTotalBytes
      ? `At most ${formatBytes(policy.files.maxTotalBytes)} in all.`
      : `At most ${formatBytes(policy.files.maxFileBytes)} per file and ${formatBytes(policy.files.maxTotalBytes)} in all.`;
  return (
    <>
      <form className="send" onSubmit={onSubmit} aria-describedby={refusal ? 'send-refusal' : undefined}>
        <FilePicker hint={`Drop files here, or choose them. ${limits} Uploads continue after a lost connection, and after a reload when you choose the same file again.`} onFiles={onFiles} />
        <UploadList items={uploads.items} onRemove={uploads.remove} onPause={uploads.pause} onResume={uploads.resume} />
        <RecipientsField value={recipients} onChange={setRecipients} />
        <LinkOptionsFields value={options} onChange={setOptions} policy={policy} />
        {refusal ? <Refusal error={refusal} id="send-refusal" /> : null}
        <button type="submit" className="primary" disabled={busy || waiting}>
          Send
        </button>
        <p className="meta" aria-live="polite">
          {waiting ? 'Sending as soon as the uploads finish…' : busy ? 'Making the link…' : ''}
        </p>
        <p className="visually-hidden" aria-live="polite">
          {uploads.announce}
        </p>
      </form>
      {created ? <SentLinks created={created} /> : null}
    </>
  );
}
