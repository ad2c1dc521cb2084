/** While a policy file is authoritative: which file, and how to change the policy. */
export function FileManagedNotice({ file }: { file: string | null }) {
  return (
    <section className="file-managed" aria-labelledby="policy-file-title">
      <h2 id="policy-file-title">Managed as code</h2>
      <p>
        This policy is read from the policy file <code className="path">{file ?? '(the policy file)'}</code>, so it cannot be changed here. To change it, edit
        that file and restart the gateway. To manage the policy on this page instead, remove the file (the policy in force stays) and restart.
      </p>
    </section>
  );
}
