'use strict';
// Starts the `flv-mock-cluster` binary (an in-memory Fluvio test double) on an ephemeral
// port for a test file, and stops it after; or hands out the cluster of $FLV_CLUSTER.

const { spawn } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The mock cluster binary: $FLV_MOCK_CLUSTER, else the newest cargo build of it. */
function mockBinary() {
  if (process.env.FLV_MOCK_CLUSTER) return process.env.FLV_MOCK_CLUSTER;
  const candidates = ['debug', 'release']
    .map((p) => path.join(ROOT, 'target', p, 'flv-mock-cluster'))
    .filter((f) => fs.existsSync(f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (candidates.length === 0) {
    throw new Error('flv-mock-cluster not built: run `cargo build -p flv-mock-cluster`');
  }
  return candidates[0];
}

/**
 * Starts a mock cluster with `spus` SPUs; resolves with `{ endpoint, spus, stop() }` once
 * it prints its SC endpoint. With `FLV_CLUSTER=HOST:PORT` set, resolves with that cluster
 * instead (a real one, started outside the tests; `FLV_CLUSTER_SPUS` SPUs, default 3) and
 * `stop()` leaves it running.
 */
function startMockCluster({ spus = 2 } = {}) {
  if (process.env.FLV_CLUSTER) {
    return Promise.resolve({
      endpoint: process.env.FLV_CLUSTER,
      spus: Number(process.env.FLV_CLUSTER_SPUS || 3),
      real: true,
      stop: () => Promise.resolve(),
    });
  }
  const child = spawn(mockBinary(), ['--spus', String(spus), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mock cluster did not start in 20 s: ${stderr}`));
    }, 20000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`mock cluster exited (${code ?? signal}): ${stderr}`));
    });
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (endpoint) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        endpoint: endpoint.trim(),
        spus,
        stop() {
          lines.close();
          if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
          return new Promise((done) => {
            child.once('exit', () => done());
            child.kill('SIGKILL');
          });
        },
      });
    });
  });
}

module.exports = { startMockCluster };
