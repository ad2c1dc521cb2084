// Each app can run alone as dist/apps/<app>/main.js (the compiler writes dist/apps/<app>/src/main.js).
import { mkdirSync, writeFileSync } from 'node:fs';
for (const app of ['api', 'portal', 'sftp-ingress', 'cli']) {
  mkdirSync(`dist/apps/${app}`, { recursive: true });
  writeFileSync(`dist/apps/${app}/main.js`, `import './src/main.js';\n`);
}
