// Test support (fast-check arbitraries and an independent oracle of the policy rules), for tests at
// the library and at the API. Never imported by production code: fast-check is a dev dependency.
export * from './policy.arbitraries.js';
export * from './policy.oracle.js';
