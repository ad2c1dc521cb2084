/**
 * The tus benchmark client: tus-js-client in this process, uploading a file from disk (read in
 * slices by the client's own path source, never whole), as a script or the staff app would.
 */
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Upload } from 'tus-js-client';
import type { Timed } from './curl.js';

export interface TusTimed extends Timed {
  /** The completed upload's id, for POST /api/v1/links. */
  readonly uploadId: string;
  /** PATCH requests sent. */
  readonly patches: number;
}

/** Uploads `file` (`size` bytes) to the tus endpoint in PATCHes of `chunkSize` bytes. */
export function tusUpload(endpoint: string, token: string, file: string, size: number, chunkSize: number): Promise<TusTimed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let patches = 0;
    const input = createReadStream(file);
    // The path source opens its own slices; this stream only names the file.
    input.on('error', reject);
    const upload = new Upload(input, {
      endpoint,
      chunkSize,
      uploadSize: size,
      headers: { Authorization: `Bearer ${token}` },
      metadata: { filename: 'bench.bin', filetype: 'application/octet-stream' },
      storeFingerprintForResuming: false,
      retryDelays: null,
      onBeforeRequest: (req) => {
        if (req.getMethod() === 'PATCH') {
          patches++;
        }
      },
      onError: (err) => {
        input.destroy();
        reject(err);
      },
      onSuccess: () => {
        input.destroy();
        const seconds = (performance.now() - started) / 1000;
        const id = upload.url?.split('/').pop();
        if (!id) {
          reject(new Error('the tus upload finished without an upload URL'));
          return;
        }
        resolve({ bytes: size, seconds, uploadId: id, patches });
      },
    });
    upload.start();
  });
}
