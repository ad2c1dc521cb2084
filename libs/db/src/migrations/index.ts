import { Initial1763800000000 } from './1763800000000-initial.js';

/** Every migration, oldest first. The same list runs on PostgreSQL and on embedded PGlite. */
export const migrations = [Initial1763800000000];
