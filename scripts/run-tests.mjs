// Runs every compiled test (unit *.spec, integration *.int-spec, end-to-end *.e2e-spec) with node's
// test runner. `npm test -- <text>` runs only the files whose path contains <text>.
// TEST_DATABASE_ONLY=1 runs only the files that open a database (a test gateway or a test database):
// a second pass on the other database (CI runs PostgreSQL, then PGlite) would only repeat the others.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'node_modules' ? [] : walk(join(dir, e.name))) : [join(dir, e.name)],
  );
}

const filters = process.argv.slice(2);
const files = walk('dist')
  .filter((f) => /\.(spec|int-spec|e2e-spec)\.js$/.test(f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
/**
 * Every way a test reaches a database goes through one of these names (libs/testing, or @mft/db
 * itself), in the test file or in a module next to it that it imports (`./share-fixtures.js`).
 */
function opensDatabase(file, seen = new Set()) {
  if (seen.has(file)) {
    return false;
  }
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  if (/\b(TestGateway|openTestDatabase|createTestDatabase|Database\.open|DATABASE_URL|onPostgres)\b/.test(source)) {
    return true;
  }
  return [...source.matchAll(/from '(\.\/[^']+\.js)'/g)].some((m) => opensDatabase(join(dirname(file), m[1]), seen));
}
const databaseOnly = process.env.TEST_DATABASE_ONLY === '1';
const skipped = databaseOnly ? files.filter((f) => !opensDatabase(f)) : [];
if (skipped.length > 0) {
  console.log(`TEST_DATABASE_ONLY=1: leaving out ${skipped.length} files that open no database (${skipped.map((f) => f.replace(/^dist\//, '')).join(', ')})`);
  files.splice(0, files.length, ...files.filter((f) => !skipped.includes(f)));
}
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
console.log(`running ${files.length} test files on ${process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite'}`);
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...files], {
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test' },
});
process.exit(result.status ?? 1);
