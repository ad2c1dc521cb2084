import { useId } from 'react';

/** What the preview needs of the brand being edited: the form's values as typed, and the logo to show. */
export interface PreviewBrand {
  readonly name: string;
  readonly primaryColor: string;
  readonly accentColor: string;
  readonly supportEmail: string;
  readonly footer: string;
  readonly logoUrl: string | null;
}

/** A recipient page and an invitation email dressed in the brand as it is typed (not saved yet). */
export function BrandPreview({ brand }: { brand: PreviewBrand }) {
  const id = useId();
  const name = brand.name.trim() === '' ? 'Your organisation' : brand.name;
  const footer = brand.footer.trim() !== '' ? <p className="preview-footer-text">{brand.footer}</p> : null;
  const header = (
    <div className="preview-header" style={{ background: brand.primaryColor }}>
      {brand.logoUrl ? <img src={brand.logoUrl} alt="" /> : null}
      <span>{name}</span>
    </div>
  );
  return (
    <section className="branding-preview" aria-labelledby={`${id}-preview`}>
      <h2 id={`${id}-preview`}>Preview</h2>
      <p className="meta">As you type: not saved yet.</p>
      <h3>Recipient page</h3>
      <div className="preview-page">
        {header}
        <div className="preview-body">
          <p className="preview-title">Files shared with you</p>
          <span className="preview-button" style={{ background: brand.accentColor }}>
            Download
          </span>
        </div>
        <div className="preview-footer">
          {footer}
          <p>
            {name}. Every access to this link is recorded.
            {brand.supportEmail.trim() !== '' ? ` Questions about this service: ${brand.supportEmail.trim()}.` : ''}
          </p>
        </div>
      </div>
      <h3>Invitation email</h3>
      <div className="preview-mail">
        <p className="preview-from">
          From: <strong>{name}</strong> &lt;no-reply@…&gt;
        </p>
        {header}
        <div className="preview-body">
          <p className="preview-title">Alice sent you a file</p>
          <p>Alice shared a file with you through {name}.</p>
          <span className="preview-button" style={{ background: brand.accentColor }}>
            Open the files
          </span>
        </div>
        <div className="preview-footer">
          <p>This message was sent automatically by {name}. Do not reply to it.</p>
          {footer}
        </div>
      </div>
    </section>
  );
}
