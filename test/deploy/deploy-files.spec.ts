import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments, parseDocument } from 'yaml';
import { configSchema, ENV_KEYS, projectRoot } from '@mft/config';

const root = projectRoot();
const read = (p: string): string => readFileSync(join(root, p), 'utf8');

// Docker does not run here: the deployment files are checked statically against the code.
describe('deployment files', () => {
  it('the container image runs the one-process entry point that the build produces', () => {
    const dockerfile = read('deploy/Dockerfile');
    assert.match(dockerfile, /CMD \["node", "dist\/apps\/main\.js"\]/);
    assert.ok(existsSync(join(root, 'dist/apps/main.js')));
    assert.match(dockerfile, /USER node/);
    assert.match(dockerfile, /npm ci/);
    // Every folder of files read at run time (templates, styles) next to the code, and the configuration.
    const assets = new Set<string>(['config']);
    // The staff web app's source (apps/portal/web) is bundled by the build into dist, which the image holds.
    const bundled = 'apps/portal/web';
    const walk = (dir: string): void => {
      for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
        if (e.isDirectory() && `${dir}/${e.name}` === bundled) {
          continue;
        }
        if (e.isDirectory()) {
          walk(`${dir}/${e.name}`);
        } else if (/\.(hbs|css)$/.test(e.name)) {
          assets.add(dir);
        }
      }
    };
    walk('apps');
    walk('libs');
    assert.ok(assets.has('libs/mail/src/templates') && assets.has('apps/api/src/views'));
    for (const dir of assets) {
      assert.ok(dockerfile.includes(`COPY ${dir} ./${dir}`), `${dir} is in the image`);
    }
    assert.match(dockerfile, /COPY apps \.\/apps\n/, 'the build stage has the web app source');
    assert.match(dockerfile, /COPY --from=build \/src\/dist \.\/dist/);
    assert.ok(existsSync(join(root, 'dist/apps/portal/web/index.html')), 'the build writes the web app into dist');
  });

  it('compose and Kubernetes parse and use only configuration the gateway knows', () => {
    const compose = parseDocument(read('deploy/compose.yaml'));
    assert.equal(compose.errors.length, 0);
    const known = new Set([...Object.keys(ENV_KEYS), 'NODE_ENV', 'CONFIG_FILE']);
    const env = (compose.toJS() as { services: { gateway: { environment: Record<string, string> } } }).services.gateway.environment;
    for (const key of Object.keys(env)) {
      assert.ok(known.has(key), `compose sets ${key}, which the gateway reads`);
    }
    const docs = parseAllDocuments(read('deploy/kubernetes/gateway.yaml'));
    const kinds = docs.map((d) => (d.toJS() as { kind: string }).kind);
    assert.deepEqual(kinds, ['ConfigMap', 'Deployment', 'Service', 'Service', 'PersistentVolumeClaim']);
    const configMap = docs[0]!.toJS() as { data: Record<string, string> };
    for (const key of Object.keys(configMap.data)) {
      assert.ok(known.has(key), `the ConfigMap sets ${key}, which the gateway reads`);
    }
    const deployment = docs[1]!.toJS() as {
      spec: { template: { spec: { containers: Array<{ readinessProbe: { httpGet: { path: string } }; livenessProbe: { httpGet: { path: string } } }> } } };
    };
    const c = deployment.spec.template.spec.containers[0]!;
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    // Prometheus scrapes the metrics listener, which the Service (what recipients reach) does not expose.
    const annotations = (docs[1]!.toJS() as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template.metadata.annotations;
    assert.equal(annotations['prometheus.io/port'], configMap.data.METRICS_PORT);
    const service = docs[2]!.toJS() as { spec: { ports: Array<{ targetPort: string }> } };
    assert.deepEqual(service.spec.ports.map((p) => p.targetPort), ['http']);
  });

  it('the default configuration file is valid', () => {
    const parsed = configSchema.safeParse(parseDocument(read('config/default.yaml')).toJS());
    assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  });

  it('the reverse proxy streams bodies and leaves size limits to the gateway', () => {
    const conf = read('deploy/nginx/mft.conf');
    assert.match(conf, /proxy_request_buffering off;/);
    assert.match(conf, /proxy_buffering off;/);
    assert.match(conf, /client_max_body_size 0;/);
    assert.match(conf, /X-Forwarded-For/);
  });

  it('the systemd unit starts the same entry point as a locked-down service', () => {
    const unit = read('deploy/systemd/mft-gateway.service');
    assert.match(unit, /ExecStart=\/usr\/bin\/node dist\/apps\/main\.js/);
    assert.match(unit, /NoNewPrivileges=true/);
  });
});
