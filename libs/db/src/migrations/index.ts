import { Initial1763800000000 } from './1763800000000-initial.js';
import { Identity1763900000000 } from './1763900000000-identity.js';
import { Mail1764000000000 } from './1764000000000-mail.js';
import { Policy1764100000000 } from './1764100000000-policy.js';
import { SessionRotation1765300000000 } from './1765300000000-session-rotation.js';
import { ShareLinks1765500000000 } from './1765500000000-share-links.js';

/** Every migration, oldest first. The same list runs on PostgreSQL and on embedded PGlite. */
export const migrations = [Initial1763800000000, Identity1763900000000, Mail1764000000000, Policy1764100000000, SessionRotation1765300000000, ShareLinks1765500000000];
