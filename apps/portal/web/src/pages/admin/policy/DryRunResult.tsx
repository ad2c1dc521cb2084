import type { DryRunReport, PolicyViolation } from '../../../api/policy.ts';
import { AppLink } from '../../../ui/AppLink.tsx';
import { DataTable } from '../../../ui/DataTable.tsx';
import { When } from '../../../ui/format.tsx';
import { plural } from './labels.ts';

/** What applying the policy retroactively would do to one link. */
export function actionText(v: PolicyViolation): string {
  return v.action === 'shorten_expiry' ? 'Expiry shortened to' : 'Revoked: its recipients lose access';
}

/** How many links a retroactive save shortens and revokes. */
export function countActions(report: DryRunReport): { shortened: number; revoked: number } {
  const shortened = report.violations.filter((v) => v.action === 'shorten_expiry').length;
  return { shortened, revoked: report.violations.length - shortened };
}

/** The dry run's answer: how many live links were checked and, per link that breaks the edited policy, why and what applying it would do. */
export function DryRunResult({ report, stale }: { report: DryRunReport; stale: boolean }) {
  const { shortened, revoked } = countActions(report);
  return (
    <section className="dry-run" aria-labelledby="policy-dry-run-title">
      <h2 id="policy-dry-run-title" tabIndex={-1}>
        Dry run
      </h2>
      <p>
        {`Checked ${plural(report.checked, 'live link', 'live links')}: `}
        {report.violations.length === 0
          ? 'none breaks the edited policy. Saving changes nothing for existing links.'
          : `${plural(report.violations.length, 'link breaks', 'links break')} the edited policy. Saved without applying to existing links, they keep working as they are; applied to existing links, ${plural(shortened, 'link gets', 'links get')} a shorter expiry and ${plural(revoked, 'link is', 'links are')} revoked.`}
      </p>
      {stale ? <p className="notice">The policy was edited after this dry run: run it again to see what the edits break.</p> : null}
      {report.violations.length > 0 ? (
        <div className="table-wrap">
          <DataTable
            label="Violations"
            rows={report.violations}
            rowKey={(v) => v.linkId}
            empty="No link breaks the edited policy."
            columns={[
              {
                header: 'Link',
                className: 'mono-id',
                cell: (v) => <AppLink to={`/app/links/${v.linkId}`}>{v.linkId}</AppLink>,
              },
              { header: 'Owner', cell: (v) => v.owner },
              { header: 'Expires', cell: (v) => <When iso={v.expiresAt} never="Never" /> },
              {
                header: 'Rules broken',
                cell: (v) => (
                  <ul className="rules">
                    {v.rules.map((r) => (
                      <li key={r.code}>{r.message.replace(/^policy_[a-z_]+: /, '')}</li>
                    ))}
                  </ul>
                ),
              },
              {
                header: 'If applied to existing links',
                cell: (v) =>
                  v.action === 'shorten_expiry' ? (
                    <>
                      {`${actionText(v)} `}
                      <When iso={v.newExpiresAt} />
                    </>
                  ) : (
                    actionText(v)
                  ),
              },
            ]}
          />
        </div>
      ) : null}
    </section>
  );
}
