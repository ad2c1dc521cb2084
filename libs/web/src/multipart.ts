import busboy from 'busboy';
import type { Readable } from 'node:stream';
import type { Request } from 'express';
import { InvalidInputError } from '@mft/core';

const FIELD_LIMIT = 64 * 1024;

/** Where the file parts of a multipart body go (an upload of a send link, say), one at a time, as they arrive. */
export interface MultipartSink {
  /** How many files were added so far. */
  readonly fileCount: number;
  /** Called once, before the first file, with the fields that preceded it (a refusal then skips the bytes). */
  precheck(fields: Record<string, string>): Promise<void>;
  /** Receives one file part; the stream ends with an error when the body is cut. */
  addFile(file: { filename: string; contentType: string; stream: Readable }): Promise<void>;
}

/**
 * Streams a multipart/form-data body into a sink: each file part goes straight to storage as
 * it arrives; the text fields are returned once the body has ended. Throws on the first problem,
 * as soon as it is known: the rest of the body is then not read (the connection is closed after
 * the answer), so no refusal waits on a body that may never end.
 */
export function receiveMultipart(req: Request, upload: MultipartSink, maxFiles: number): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { fieldSize: FIELD_LIMIT, fields: 50, files: maxFiles, parts: maxFiles + 50, headerPairs: 50 },
      });
    } catch {
      reject(new InvalidInputError('invalid_multipart', 'The body is not valid multipart/form-data (is the boundary missing?).'));
      return;
    }
    const fields: Record<string, string> = {};
    let failure: unknown = null;
    let chain: Promise<void> = Promise.resolve();
    let ended = false;

    const fail = (err: unknown): void => {
      failure ??= err;
    };

    bb.on('field', (name, value, info) => {
      if (info.valueTruncated) {
        fail(new InvalidInputError('field_too_long', `The field ${JSON.stringify(name)} is longer than ${FIELD_LIMIT} bytes.`));
      } else if (Object.hasOwn(fields, name)) {
        fail(new InvalidInputError('duplicate_field', `The field ${JSON.stringify(name)} appears more than once.`));
      } else {
        fields[name] = value;
      }
    });
    bb.on('file', (_name, stream, info) => {
      // Busboy ends this stream with an error when the body is cut or the client hangs up, maybe
      // while the step below still awaits the database or storage; that failure itself reaches the
      // 'error' and 'close' handlers below, and the pipeline sees the stream destroyed.
      stream.on('error', () => undefined);
      chain = chain
        .then(async () => {
          if (failure || stream.destroyed) {
            stream.resume();
            return;
          }
          if (upload.fileCount === 0) {
            await upload.precheck(fields);
          }
          await upload.addFile({ filename: info.filename ?? '', contentType: info.mimeType, stream });
        })
        .catch((err: unknown) => {
          fail(err);
          stream.resume();
          // Answer now. Waiting for the body to end is not safe: busboy finishes only once every file
          // stream has ended, and one the upload destroyed (a size limit crossed mid-file) never does.
          req.unpipe(bb);
          bb.destroy();
          settle();
        });
    });
    bb.on('filesLimit', () => fail(new InvalidInputError('too_many_files', `A link may hold at most ${maxFiles} files.`)));
    bb.on('fieldsLimit', () => fail(new InvalidInputError('too_many_fields', 'The form has too many fields.')));
    bb.on('partsLimit', () => fail(new InvalidInputError('too_many_parts', 'The form has too many parts.')));
    bb.on('error', (err: unknown) => {
      fail(new InvalidInputError('invalid_multipart', `The multipart body could not be read: ${err instanceof Error ? err.message : String(err)}.`));
      settle();
    });
    bb.on('close', () => {
      ended = true;
      settle();
    });
    req.on('close', () => {
      if (!ended && !req.complete) {
        const err = new InvalidInputError('upload_aborted', 'The upload was interrupted before it finished.');
        fail(err);
        // Ends the file stream being written with this error, so the upload unwinds and removes its bytes.
        bb.destroy(err);
        settle();
      }
    });

    let settled = false;
    function settle(): void {
      if (settled) {
        return;
      }
      settled = true;
      void chain.then(() => {
        if (failure) {
          reject(failure instanceof Error ? failure : new Error(String(failure)));
        } else {
          resolve(fields);
        }
      });
    }

    req.pipe(bb);
  });
}
