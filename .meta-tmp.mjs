import * as esbuild from 'esbuild';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const plugins = require('/work/main/build/esbuild-plugins.cjs');
const entry = process.argv[2];
const r = await esbuild.build({ entryPoints: [entry], bundle: true, minify: true, sourcemap: false, target: 'node22', platform: 'node', format: 'cjs', outfile: '/tmp/meta-out/' + entry.replace(/\W/g,'_') + '.js', metafile: true, plugins, logLevel: 'error' });
const out = Object.values(r.metafile.outputs)[0];
console.log('bytes', out.bytes);
const byPkg = {};
for (const [f, i] of Object.entries(out.inputs)) { const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f); const k = m ? m[1] : (f.startsWith('src') ? 'src' : f); byPkg[k] = (byPkg[k] ?? 0) + i.bytesInOutput; }
for (const [k, v] of Object.entries(byPkg).sort((a,b)=>b[1]-a[1]).slice(0, 30)) console.log(String(v).padStart(8), k);
