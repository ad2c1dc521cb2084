/**
 * The options of a new link (send or share), as the effective policy allows them. Shared by the
 * Send and Share pages; the value is spread into the JSON body of POST /api/v1/links.
 *
 * This first version offers no options (the policy's defaults apply); the Send work fills it in.
 */
export interface LinkOptionsValue {
  readonly oneTime?: boolean;
  readonly maxDownloads?: number | null;
  readonly expiresAt?: string;
  readonly password?: string;
  readonly requireEmailVerification?: boolean;
  readonly message?: string;
}

export function LinkOptionsFields(_props: { value: LinkOptionsValue; onChange: (value: LinkOptionsValue) => void }) {
  return null;
}
