/**
 * The staff app's one place for the resumable upload protocol: tus 1.0 at /api/v1/uploads with
 * tus-js-client, and the send link made of completed uploads.
 */
import { Upload, type DetailedError } from 'tus-js-client';
import { call, callJson, currentCsrfToken } from './client.ts';

/**
 * Bytes per PATCH. The gateway stores each PATCH as one committed segment (an object in the send
 * storage, a row in the database), so a chunk is the unit of overhead: at 32 MiB a 10 GiB file is
 * 320 segments and the per-request cost (a database round trip, a staged write's commit) stays well
 * under 1 % of the transfer even on a fast LAN. Nothing is lost by a larger chunk when a request
 * is cut off (the gateway keeps the bytes that arrived), and the browser reads the slice lazily
 * from the File, so the chunk is never held in memory. It stays below the request body limits
 * that reverse proxies are commonly configured with for uploads (64 MiB and up), and tus-js-client
 * resets its retry counter after each accepted chunk, so a long upload over a flaky network gets
 * fresh retries every 32 MiB.
 */
export const CHUNK_BYTES = 32 * 1024 * 1024;

/**
 * Retries after a failed request, in ms. They cover the gateway's 30 s grace for a writer whose
 * request was cut off (it answers 423 upload_busy until then).
 */
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10_000, 15_000, 30_000];

export type UploadState = 'uploading' | 'paused' | 'offline' | 'done' | 'failed';

export interface UploadListener {
  progress(sent: number, total: number): void;
  state(state: UploadState, message?: string): void;
  /** The gateway already held `offset` bytes of this file: it continues there (after a reload, a dropped network or a pause). */
  resumed(offset: number): void;
}

const endpoint = (): string => `${window.location.origin}/api/v1/uploads`;

/** The API's own message in a tus error (the gateway answers JSON `{ code, message }`). */
function messageOf(err: Error | DetailedError): string {
  const res = 'originalResponse' in err ? err.originalResponse : null;
  if (res) {
    try {
      const parsed = JSON.parse(res.getBody()) as { message?: unknown };
      if (typeof parsed.message === 'string' && parsed.message !== '') {
        return parsed.message;
      }
    } catch {
      // Not JSON: fall through to the generic message.
    }
    return `The gateway refused the upload (HTTP ${String(res.getStatus())}).`;
  }
  return 'The upload stopped: the gateway cannot be reached. Check your connection and press Resume.';
}

/**
 * One file's resumable upload. Its address is remembered in this browser (tus-js-client's URL
 * storage, by the file's name, type, size and modification time), so picking the same file again
 * after a reload continues where it stopped. While the browser is offline it waits, and continues
 * once it is back online.
 */
export class ResumableUpload {
  readonly #upload: Upload;
  readonly #listener: UploadListener;
  #id: string | null = null;
  #running = false;
  readonly #onOffline = (): void => {
    if (this.#running) {
      this.#running = false;
      void this.#upload.abort();
      this.#listener.state('offline');
    }
  };
  readonly #onOnline = (): void => {
    if (this.#state === 'offline') {
      this.#begin();
    }
  };
  #state: UploadState = 'uploading';

  constructor(
    readonly file: File,
    listener: UploadListener,
  ) {
    this.#listener = {
      ...listener,
      state: (s, m) => {
        this.#state = s;
        listener.state(s, m);
      },
    };
    const csrf = currentCsrfToken();
    this.#upload = new Upload(file, {
      endpoint: endpoint(),
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS,
      metadata: { filename: file.name, filetype: file.type || 'application/octet-stream' },
      headers: csrf ? { 'X-CSRF-Token': csrf } : {},
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => this.#listener.progress(sent, total),
      onAfterResponse: (req, res) => {
        const offset = Number(res.getHeader('Upload-Offset') ?? '0');
        if (req.getMethod() === 'HEAD' && res.getStatus() === 200 && offset > 0) {
          this.#listener.resumed(offset);
        }
      },
      onSuccess: () => {
        this.#running = false;
        this.#id = idOf(this.#upload.url);
        this.#listener.state('done');
        this.#detach();
      },
      onError: (err) => {
        this.#running = false;
        if (!navigator.onLine) {
          this.#listener.state('offline');
          return;
        }
        this.#listener.state('failed', messageOf(err));
      },
    });
    window.addEventListener('offline', this.#onOffline);
    window.addEventListener('online', this.#onOnline);
  }

  /** The upload's id once every byte is stored. */
  get id(): string | null {
    return this.#id;
  }

  /** Starts, continuing an earlier upload of the same file from this browser when there is one. */
  async start(): Promise<void> {
    const previous = await this.#upload.findPreviousUploads();
    const latest = previous.sort((a, b) => b.creationTime.localeCompare(a.creationTime))[0];
    if (latest) {
      this.#upload.resumeFromPreviousUpload(latest);
    }
    if (!navigator.onLine) {
      this.#listener.state('offline');
      return;
    }
    this.#begin();
  }

  pause(): void {
    if (this.#state === 'done') {
      return;
    }
    this.#running = false;
    void this.#upload.abort();
    this.#listener.state('paused');
  }

  resume(): void {
    if (this.#state === 'paused' || this.#state === 'failed') {
      this.#begin();
    }
  }

  /** Stops and deletes what the gateway holds of it (tus termination). */
  async remove(): Promise<void> {
    this.#detach();
    this.#running = false;
    if (this.#state !== 'done') {
      await this.#upload.abort(true).catch(() => undefined);
    }
  }

  #begin(): void {
    this.#running = true;
    this.#listener.state('uploading');
    this.#upload.start();
  }

  #detach(): void {
    window.removeEventListener('offline', this.#onOffline);
    window.removeEventListener('online', this.#onOnline);
  }
}

const idOf = (url: string | null): string | null => (url ? (new URL(url).pathname.split('/').pop() ?? null) : null);

/** A send link as created: one address per recipient, and the password the gateway generated, if it did (shown once). */
export interface CreatedSendLink {
  readonly id: string;
  readonly expiresAt: string | null;
  readonly grants: ReadonlyArray<{ readonly id: string; readonly recipient: string | null; readonly url: string }>;
  readonly password?: string;
}

/** Makes a send link of completed uploads: POST /api/v1/links `{ kind: "send", uploads, ...options }`. */
export function createSendLink(body: { readonly uploads: readonly string[] } & Record<string, unknown>): Promise<CreatedSendLink> {
  return callJson<CreatedSendLink>('POST', '/links', { kind: 'send', ...body });
}

/** Whether each grant's invitation email was queued, sent or written to the outbox, in the gateway's words. */
export interface GrantDelivery {
  readonly id: string;
  readonly recipient: string | null;
  readonly delivery: { readonly status: string | null; readonly text: string | null; readonly deliveredAt?: string | null };
}

export async function deliveriesOf(linkId: string): Promise<GrantDelivery[]> {
  return (await call<{ grants: GrantDelivery[] }>('GET', `/links/${encodeURIComponent(linkId)}`)).grants;
}
