// The mermaid side of tests/mermaid's corpus check: every "valid" and
// "outside" diagram of the corpus must parse with the real mermaid, every
// "invalid" one must not. (The grammar side, MatchText against the same labels,
// is tests/mermaid/mermaid_grammar_test.cc; together they say grammar and
// mermaid agree on every case the grammar claims.)
// Usage: node check_corpus.mjs corpus.jsonl
import { readFileSync } from 'node:fs';
import { mermaidError } from './mermaid_env.mjs';

const file = process.argv[2];
const lines = readFileSync(file, 'utf8').split('\n');
let bad = 0, total = 0;
const counts = {};
for (let i = 0; i < lines.length; i++) {
  if (!lines[i].trim()) continue;
  const { diagram, expect, why } = JSON.parse(lines[i]);
  if (!['valid', 'invalid', 'outside'].includes(expect)) {
    console.log(`${file}:${i + 1}: unknown expect '${expect}'`);
    bad++;
    continue;
  }
  total++;
  counts[expect] = (counts[expect] || 0) + 1;
  const error = await mermaidError(diagram);
  const accepted = error === null;
  if (accepted !== (expect !== 'invalid')) {
    bad++;
    console.log(`${file}:${i + 1}: ${why}: labelled ${expect} but mermaid ${accepted ? 'accepts it' : 'rejects it: ' + error}`);
  }
}
console.log(`${total - bad}/${total} as labelled (${JSON.stringify(counts)})`);
process.exit(bad === 0 && total >= 300 ? 0 : 1);
