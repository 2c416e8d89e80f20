import * as esbuild from 'esbuild';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const plugins = require('/work/main/build/esbuild-plugins.cjs');
const r = await esbuild.build({ entryPoints: [process.argv[2]], bundle: true, minify: true, write: false, target: 'node22', platform: 'node', format: 'cjs', outfile: '/tmp/x.js', metafile: true, plugins, logLevel: 'error' });
for (const [f, i] of Object.entries(r.metafile.inputs)) for (const imp of i.imports) if (/bolt\/dist\/index|@slack\/bolt$/.test(imp.path) || imp.original === '@slack/bolt') console.log(f, '->', imp.path, imp.kind);
