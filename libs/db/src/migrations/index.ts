import { Initial1763800000000 } from './1763800000000-initial.js';
import { Identity1763900000000 } from './1763900000000-identity.js';
import { Mail1764000000000 } from './1764000000000-mail.js';
import { Policy1764100000000 } from './1764100000000-policy.js';
import { SessionRotation1765300000000 } from './1765300000000-session-rotation.js';
import { StorageConnections1765400000000 } from './1765400000000-storage-connections.js';
import { ShareLinks1765500000000 } from './1765500000000-share-links.js';
import { FileCrc321765600000000 } from './1765600000000-file-crc32.js';
import { ShareDownloadStarts1765700000000 } from './1765700000000-share-download-starts.js';
import { ResumableUploads1765800000000 } from './1765800000000-resumable-uploads.js';
import { UploadSegmentDigests1765900000000 } from './1765900000000-upload-segment-digests.js';
import { LinkListOrder1765910000000 } from './1765910000000-link-list-order.js';
import { SftpCredentials1766000000000 } from './1766000000000-sftp-credentials.js';
import { DropFolders1766100000000 } from './1766100000000-drop-folders.js';
import { SftpDrops1766200000000 } from './1766200000000-sftp-drops.js';
import { SftpDropWaiting1766300000000 } from './1766300000000-sftp-drop-waiting.js';
import { Brands1766400000000 } from './1766400000000-brands.js';
import { MailTemplates1766500000000 } from './1766500000000-mail-templates.js';
import { MailWithdrawn1766600000000 } from './1766600000000-mail-withdrawn.js';

/** Every migration, oldest first. The same list runs on PostgreSQL and on embedded PGlite. */
export const migrations = [
  Initial1763800000000,
  Identity1763900000000,
  Mail1764000000000,
  Policy1764100000000,
  SessionRotation1765300000000,
  StorageConnections1765400000000,
  ShareLinks1765500000000,
  FileCrc321765600000000,
  ShareDownloadStarts1765700000000,
  ResumableUploads1765800000000,
  UploadSegmentDigests1765900000000,
  LinkListOrder1765910000000,
  SftpCredentials1766000000000,
  DropFolders1766100000000,
  SftpDrops1766200000000,
  SftpDropWaiting1766300000000,
  Brands1766400000000,
  MailTemplates1766500000000,
  MailWithdrawn1766600000000,
];
