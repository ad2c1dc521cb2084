import { useId } from 'react';

/**
 * The recipients of a new link (send or share), labelled "Recipients". Shared by the Send and Share
 * pages. This first version is a text area of addresses; the Send work turns it into chips.
 */
export function RecipientsField({ value, onChange }: { value: readonly string[]; onChange: (value: string[]) => void }) {
  const id = useId();
  return (
    <>
      <label htmlFor={id}>Recipients</label>
      <textarea
        id={id}
        rows={3}
        defaultValue={value.join(', ')}
        aria-describedby={`${id}-hint`}
        onChange={(e) => onChange(e.currentTarget.value.split(/[\s,;]+/).filter((r) => r !== ''))}
      />
      <p id={`${id}-hint`} className="meta">
        Email addresses, separated by commas or new lines. Leave empty for one link to pass on yourself.
      </p>
    </>
  );
}
