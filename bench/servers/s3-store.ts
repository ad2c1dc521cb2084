/**
 * The S3 server the S3 figures use: the test harness's s3rver (`TestS3Server`, objects on disk in a
 * temporary directory) in a process of its own, so that its CPU time is its own and it does not
 * share an event loop with the benchmark. Prints `{"port":N,"bucket":"...","directory":"..."}` once
 * it listens on 127.0.0.1; SIGTERM stops it and removes the directory.
 */
import { TestS3Server } from '@mft/testing';

const server = await TestS3Server.start({ bucket: 'bench' });
process.stdout.write(`${JSON.stringify({ port: server.port, bucket: server.bucket, directory: server.directory })}\n`);
process.on('SIGTERM', () => {
  void server.close().finally(() => process.exit(0));
});
