import { useEffect, useRef, useState } from 'react';
import { ResumableUpload, type UploadState } from '../../api/uploads.ts';
import { formatBytes } from '../../ui/format.tsx';

/** One picked file as the page shows it. */
export interface FileItem {
  readonly key: number;
  readonly name: string;
  readonly size: number;
  readonly sent: number;
  readonly state: UploadState;
  /** Bytes per second over the last few seconds. */
  readonly speed: number;
  readonly message?: string;
  /** Where it continued from after a reload, a dropped network or a pause. */
  readonly resumedFrom?: number;
}

const WINDOW_MS = 5_000;

/** Bytes per second over the samples of the last WINDOW_MS. */
function speedOf(samples: Array<[number, number]>): number {
  if (samples.length < 2) {
    return 0;
  }
  const [t0, b0] = samples[0]!;
  const [t1, b1] = samples[samples.length - 1]!;
  return t1 > t0 ? ((b1 - b0) * 1000) / (t1 - t0) : 0;
}

/**
 * The uploads of the Send page: every picked file starts uploading at once (resumably, see
 * api/uploads.ts); `announce` is the sparse text for the page's live region (milestones, never
 * every percent).
 */
export function useUploads() {
  const [items, setItems] = useState<FileItem[]>([]);
  const [announce, setAnnounce] = useState('');
  const uploads = useRef(new Map<number, ResumableUpload>());
  const samples = useRef(new Map<number, Array<[number, number]>>());
  const next = useRef(1);

  const update = (key: number, patch: Partial<FileItem>): void => setItems((list) => list.map((i) => (i.key === key ? { ...i, ...patch } : i)));

  useEffect(
    () => () => {
      // Leaving the page stops the uploads but keeps them: picking the files again continues them.
      for (const u of uploads.current.values()) {
        u.pause();
      }
    },
    [],
  );

  const add = (files: readonly File[]): void => {
    const fresh = files.map((file) => ({ file, key: next.current++ }));
    setItems((list) => [...list, ...fresh.map(({ file, key }) => ({ key, name: file.name, size: file.size, sent: 0, state: 'uploading' as const, speed: 0 }))]);
    setAnnounce(fresh.length === 1 ? `Uploading ${fresh[0]!.file.name}.` : `Uploading ${String(fresh.length)} files.`);
    for (const { file, key } of fresh) {
      samples.current.set(key, []);
      const upload = new ResumableUpload(file, {
        progress: (sent) => {
          const now = Date.now();
          const list = [...(samples.current.get(key) ?? []), [now, sent] as [number, number]].filter(([t]) => now - t <= WINDOW_MS);
          samples.current.set(key, list);
          update(key, { sent, speed: speedOf(list) });
        },
        state: (state, message) => {
          if (state !== 'uploading') {
            samples.current.set(key, []);
          }
          update(key, { state, message, ...(state === 'done' ? { sent: file.size, speed: 0 } : state === 'uploading' ? {} : { speed: 0 }) });
          if (state === 'offline') {
            setAnnounce('The connection is lost. The uploads continue where they stopped when you are back online.');
          } else if (state === 'failed' && message) {
            setAnnounce(`${file.name}: ${message}`);
          }
        },
        resumed: (offset) => {
          update(key, { resumedFrom: offset, sent: offset });
          setAnnounce(`${file.name} continues from ${formatBytes(offset)}: the bytes sent before were kept.`);
        },
      });
      uploads.current.set(key, upload);
      upload.start().catch((err: unknown) => update(key, { state: 'failed', message: err instanceof Error ? err.message : String(err) }));
    }
  };

  const remove = (key: number): void => {
    void uploads.current.get(key)?.remove();
    uploads.current.delete(key);
    samples.current.delete(key);
    setItems((list) => list.filter((i) => i.key !== key));
  };

  const pause = (): void => {
    for (const u of uploads.current.values()) {
      u.pause();
    }
    setAnnounce('Uploads paused.');
  };

  const resume = (): void => {
    for (const u of uploads.current.values()) {
      u.resume();
    }
    setAnnounce('Uploads resumed.');
  };

  /** Forgets the files (after a link was made of them: the gateway removed the uploads). */
  const clear = (): void => {
    uploads.current.clear();
    samples.current.clear();
    setItems([]);
  };

  const allDone = items.length > 0 && items.every((i) => i.state === 'done');
  useEffect(() => {
    if (allDone) {
      setAnnounce(items.length === 1 ? 'The file is uploaded.' : `All ${String(items.length)} files are uploaded.`);
    }
  }, [allDone]);

  /** The ids of the completed uploads, in the order picked; null while any is unfinished. */
  const ids = (): string[] | null => {
    const list = items.map((i) => uploads.current.get(i.key)?.id ?? null);
    return list.every((id): id is string => id !== null) ? list : null;
  };

  return { items, announce, add, remove, pause, resume, clear, ids, allDone };
}
