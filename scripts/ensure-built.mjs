// Builds once when the compiled tree is missing, so that `npm run cli` works on a fresh checkout.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
if (!existsSync('dist/apps/cli/src/main.js')) {
  execSync('npm run build --silent', { stdio: ['ignore', 'inherit', 'inherit'] });
}
