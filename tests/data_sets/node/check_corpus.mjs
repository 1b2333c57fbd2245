// The mermaid side of tests/mermaid's corpus check: every "valid", "outside"
// and "undrawable" diagram of the corpus must parse with the real mermaid,
// every "invalid" one must not; with Chromium at hand, every "valid" one must
// draw and every "undrawable" one must not. (The grammar side, MatchText against the same labels,
// is tests/mermaid/mermaid_grammar_test.cc; together they say grammar and
// mermaid agree on every case the grammar claims.)
// Usage: node check_corpus.mjs corpus.jsonl
import { readFileSync } from 'node:fs';
import { mermaidError } from './mermaid_env.mjs';
import { chromiumPath, drawErrors } from './draw_in_chromium.mjs';

const file = process.argv[2];
const lines = readFileSync(file, 'utf8').split('\n');
let bad = 0, total = 0;
const counts = {};
const toDraw = [];
for (let i = 0; i < lines.length; i++) {
  if (!lines[i].trim()) continue;
  const { diagram, expect, why } = JSON.parse(lines[i]);
  if (!['valid', 'invalid', 'outside', 'undrawable'].includes(expect)) {
    console.log(`${file}:${i + 1}: unknown expect '${expect}'`);
    bad++;
    continue;
  }
  total++;
  counts[expect] = (counts[expect] || 0) + 1;
  if (expect === 'valid' || expect === 'undrawable') toDraw.push({ line: i + 1, diagram, expect, why });
  const error = await mermaidError(diagram);
  const accepted = error === null;
  if (accepted !== (expect !== 'invalid')) {
    bad++;
    console.log(`${file}:${i + 1}: ${why}: labelled ${expect} but mermaid ${accepted ? 'accepts it' : 'rejects it: ' + error}`);
  }
}
if (chromiumPath()) {
  const errors = await drawErrors(toDraw.map((c) => c.diagram));
  errors.forEach((e, k) => {
    const c = toDraw[k];
    if ((e === null) !== (c.expect === 'valid')) {
      bad++;
      console.log(`${file}:${c.line}: ${c.why}: labelled ${c.expect} but Chromium ${e === null ? 'draws it' : 'cannot draw it: ' + e}`);
    }
  });
} else {
  console.log(`*** no chromium: the drawing check is skipped${process.env.CI === 'true' ? ' (CI=true requires it)' : ''}`);
  if (process.env.CI === 'true') bad++;
}
console.log(`${total - bad}/${total} as labelled (${JSON.stringify(counts)})`);
process.exit(bad === 0 && total >= 300 ? 0 : 1);
