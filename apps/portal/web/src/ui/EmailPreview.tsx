import { useCallback, type SyntheticEvent } from 'react';

/**
 * An email's HTML part in a frame that can run nothing: sandboxed without scripts, forms or
 * navigation. The frame inherits the app's Content Security Policy, which refuses inline styles,
 * and emails are styled inline (mail clients want it so); once the frame has loaded, each element's
 * `style` attribute is applied again through the CSSOM, which that policy does not govern, so the
 * preview looks like the message. `allow-same-origin` is what lets this page reach into the frame;
 * without `allow-scripts` nothing in the email can use it.
 */
export function EmailPreview({ html, title }: { html: string; title: string }) {
  const restyle = useCallback((e: SyntheticEvent<HTMLIFrameElement>) => {
    const doc = e.currentTarget.contentDocument;
    if (!doc) {
      return;
    }
    for (const el of doc.querySelectorAll<HTMLElement>('[style]')) {
      el.style.cssText = el.getAttribute('style') ?? '';
    }
  }, []);
  return <iframe title={title} sandbox="allow-same-origin" srcDoc={html} className="preview-html" onLoad={restyle} />;
}
