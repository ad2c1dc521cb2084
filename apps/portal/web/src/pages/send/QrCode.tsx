import { create } from 'qrcode';

const QUIET = 4;

/**
 * A QR code of `text` drawn as SVG from the code's module matrix (no data: URL and no inline
 * style, so the strict CSP holds).
 */
export function QrCode({ text, label }: { text: string; label: string }) {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  let d = '';
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      if (modules.get(row, col)) {
        d += `M${String(col + QUIET)} ${String(row + QUIET)}h1v1h-1z`;
      }
    }
  }
  const side = n + 2 * QUIET;
  return (
    <svg className="qr" role="img" aria-label={label} viewBox={`0 0 ${String(side)} ${String(side)}`} shapeRendering="crispEdges">
      <rect width={side} height={side} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
