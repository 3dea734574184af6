'use strict';
// `npm run build`: builds the addon with cargo and copies it to flv.node.
// `node scripts/build.js --debug` builds the debug profile.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const here = path.resolve(__dirname, '..');
const root = path.resolve(here, '..', '..');
const debug = process.argv.includes('--debug');
const profile = debug ? 'debug' : 'release';

execFileSync('cargo', ['build', ...(debug ? [] : ['--release']), '-p', 'flv-node'], {
  cwd: root,
  stdio: 'inherit',
});

const target = path.resolve(root, process.env.CARGO_TARGET_DIR || 'target', profile);
const lib = {
  darwin: 'libflv_node.dylib',
  win32: 'flv_node.dll',
}[process.platform] || 'libflv_node.so';
fs.copyFileSync(path.join(target, lib), path.join(here, 'flv.node'));
console.log(`flv.node <- ${path.join(target, lib)}`);
