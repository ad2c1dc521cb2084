import { useId, useState, type DragEvent } from 'react';

/** The file input labelled "Files", inside a zone that also takes files dropped on it. */
export function FilePicker({ hint, onFiles }: { hint: string; onFiles: (files: File[]) => void }) {
  const id = useId();
  const [over, setOver] = useState(false);
  const onDrop = (e: DragEvent<HTMLDivElement>): void => {
    e.preventDefault();
    setOver(false);
    if (e.dataTransfer.files.length > 0) {
      onFiles([...e.dataTransfer.files]);
    }
  };
  return (
    <div
      className={over ? 'drop over' : 'drop'}
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <label htmlFor={id}>Files</label>
      <p id={`${id}-hint`} className="meta">
        {hint}
      </p>
      <input
        id={id}
        type="file"
        multiple
        aria-describedby={`${id}-hint`}
        onChange={(e) => {
          const picked = [...(e.currentTarget.files ?? [])];
          // Cleared, so that picking the same file again (after a reload, to continue it) is a change too.
          e.currentTarget.value = '';
          if (picked.length > 0) {
            onFiles(picked);
          }
        }}
      />
    </div>
  );
}
