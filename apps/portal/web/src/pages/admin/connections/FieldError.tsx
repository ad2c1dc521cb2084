/** What is wrong with one field, beside it (the field's aria-describedby names `id`). */
export function FieldError({ id, messages }: { id: string; messages: readonly string[] }) {
  if (messages.length === 0) {
    return null;
  }
  return (
    <p id={id} className="field-error">
      {messages.join(' ')}
    </p>
  );
}
