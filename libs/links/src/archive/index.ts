export { ARCHIVE_LAYOUT_VERSION, archiveCoverage, planArchive } from './zip-layout.js';
export type { ArchiveEntryInput, ArchivePlan, ArchivePlanOptions, EntryCoverage, PlannedEntry, Zip64Mode } from './zip-layout.js';
export { ArchiveEntryChangedError, openArchiveRange } from './zip-reader.js';
export type { ArchiveByteRange, ArchiveSource } from './zip-reader.js';
