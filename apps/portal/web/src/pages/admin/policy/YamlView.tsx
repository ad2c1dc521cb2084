/** The policy as YAML, editable (read-only while a policy file manages it); a parse error is shown with its line. */
export function YamlView({ text, onChange, error, readOnly }: { text: string; onChange: (text: string) => void; error: string | null; readOnly: boolean }) {
  return (
    <div className="yaml-view">
      <label htmlFor="policy-yaml">Policy as YAML</label>
      <p id="policy-yaml-hint" className="meta hint">
        The same document as the form, in the format of the policy file. A setting left out of a section keeps the form’s value; groups are the ones listed
        here. Going back to the form, running a dry run or saving reads this text.
      </p>
      <textarea
        id="policy-yaml"
        className="yaml"
        rows={Math.min(60, Math.max(12, text.split('\n').length + 1))}
        spellCheck={false}
        autoCapitalize="none"
        value={text}
        readOnly={readOnly}
        aria-describedby={error ? 'policy-yaml-hint policy-yaml-error' : 'policy-yaml-hint'}
        aria-invalid={error ? true : undefined}
        onChange={(e) => onChange(e.currentTarget.value)}
      />
      {error ? (
        <p id="policy-yaml-error" className="error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
