// The mermaid side of tests/mermaid's hand-written diagrams (written/*.mmd,
// format in tests/mermaid/written_corpus.h): every "valid" one must parse with
// the real mermaid and draw in headless Chromium, every "invalid" one (a
// near-miss) must not parse. The grammar side is mermaid_grammar_test's
// WrittenDiagrams. Without Chromium the drawing half is skipped with a note,
// or fails under CI=true.
// Usage: node check_written.mjs DIR
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mermaidError } from './mermaid_env.mjs';
import { chromiumPath, drawErrors } from './draw_in_chromium.mjs';

const dir = process.argv[2];
const cases = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.mmd')).sort()) {
  const text = readFileSync(join(dir, file), 'utf8');
  const heads = [...text.matchAll(/^==== (valid|invalid): (.*)\n/gm)];
  heads.forEach((h, i) => {
    const end = i + 1 < heads.length ? heads[i + 1].index : text.length;
    cases.push({ file, valid: h[1] === 'valid', why: h[2], text: text.slice(h.index + h[0].length, end).replace(/\n+$/, '') });
  });
}
let bad = 0;
const counts = { valid: 0, invalid: 0 };
for (const c of cases) {
  counts[c.valid ? 'valid' : 'invalid']++;
  const error = await mermaidError(c.text);
  if ((error === null) !== c.valid) {
    bad++;
    console.log(`${c.file}: ${c.why}: labelled ${c.valid ? 'valid' : 'invalid'} but mermaid ${error === null ? 'parses it' : 'rejects it: ' + error}`);
  }
}
const valid = cases.filter((c) => c.valid);
let drawn = 'not drawn (no chromium)';
if (chromiumPath()) {
  const errors = await drawErrors(valid.map((c) => c.text));
  errors.forEach((e, i) => {
    if (e !== null) { bad++; console.log(`${valid[i].file}: ${valid[i].why}: parses but does not draw: ${e}`); }
  });
  drawn = `${errors.filter((e) => e === null).length}/${valid.length} drawn in Chromium`;
} else if (process.env.CI === 'true') {
  bad++;
  console.log('*** no chromium: the drawing check cannot run (CI=true requires it)');
} else {
  console.log('*** no chromium: the drawing check is skipped');
}
console.log(`${cases.length - bad}/${cases.length} as labelled (${JSON.stringify(counts)}); ${drawn}`);
process.exit(bad === 0 ? 0 : 1);
