// A small, independent reading of GBNF (llama.cpp's grammar syntax) for tests:
// parse a grammar, draw random strings from it, and recognise strings with it.
// It exists to test runtime/grammar's built-in grammars from the outside (the
// mermaid grammar's samples must all be accepted by the real mermaid parser),
// so it shares no code with runtime/grammar.
//
// Expressions: {t:'lit', s} | {t:'cls', neg, ranges:[[lo,hi]...]} | {t:'ref', name}
//   | {t:'seq', items} | {t:'alt', alts} | {t:'rep', e, min, max (Infinity)}

export function parseGbnf(text) {
  let i = 0;
  const rules = new Map();
  const fail = (what) => {
    const line = text.slice(0, i).split('\n').length;
    throw new Error(`gbnf: line ${line}: ${what}`);
  };
  const ws = (newlines) => {
    for (;;) {
      if (text[i] === '#') { while (i < text.length && text[i] !== '\n') i++; }
      else if (text[i] === ' ' || text[i] === '\t' || text[i] === '\r' || (newlines && text[i] === '\n')) i++;
      else return;
    }
  };
  const name = () => {
    const m = /^[A-Za-z0-9-]+/.exec(text.slice(i));
    if (!m) fail('expected a rule name');
    i += m[0].length;
    return m[0];
  };
  const escape = () => {
    const c = text[i++];
    const simple = { n: 10, r: 13, t: 9, '\\': 92, '"': 34, ']': 93, '[': 91, '-': 45, '^': 94 };
    if (c in simple) return simple[c];
    if (c === 'x') { const v = parseInt(text.substr(i, 2), 16); i += 2; return v; }
    if (c === 'u') { const v = parseInt(text.substr(i, 4), 16); i += 4; return v; }
    fail(`unknown escape \\${c}`);
  };
  const char = (end) => {
    if (text[i] === '\\') { i++; return escape(); }
    if (text[i] === end || i >= text.length) fail('unterminated literal');
    const cp = text.codePointAt(i);
    i += cp > 0xffff ? 2 : 1;
    return cp;
  };
  const primary = (nl) => {
    const c = text[i];
    if (c === '"') {
      i++;
      let s = '';
      while (text[i] !== '"') s += String.fromCodePoint(char('"'));
      i++;
      return { t: 'lit', s };
    }
    if (c === '[') {
      i++;
      const neg = text[i] === '^';
      if (neg) i++;
      const ranges = [];
      while (text[i] !== ']') {
        const lo = char(']');
        let hi = lo;
        if (text[i] === '-' && text[i + 1] !== ']') { i++; hi = char(']'); }
        ranges.push([lo, hi]);
      }
      i++;
      return { t: 'cls', neg, ranges };
    }
    if (c === '(') {
      i++;
      ws(true);
      const e = alternation(true);
      ws(true);
      if (text[i] !== ')') fail('expected )');
      i++;
      return e;
    }
    if (c === '.') { i++; return { t: 'cls', neg: true, ranges: [[10, 10]] }; }
    return { t: 'ref', name: name() };
  };
  const postfix = (nl) => {
    let e = primary(nl);
    for (;;) {
      const c = text[i];
      if (c === '*') { i++; e = { t: 'rep', e, min: 0, max: Infinity }; }
      else if (c === '+') { i++; e = { t: 'rep', e, min: 1, max: Infinity }; }
      else if (c === '?') { i++; e = { t: 'rep', e, min: 0, max: 1 }; }
      else if (c === '{') {
        const m = /^\{\s*(\d+)\s*(,\s*(\d*)\s*)?\}/.exec(text.slice(i));
        if (!m) fail('bad {m,n}');
        i += m[0].length;
        const min = +m[1];
        const max = m[2] === undefined ? min : (m[3] === '' ? Infinity : +m[3]);
        e = { t: 'rep', e, min, max };
      } else return e;
    }
  };
  const sequence = (nl) => {
    const items = [];
    for (;;) {
      ws(nl);
      const c = text[i];
      if (i >= text.length || c === '|' || c === ')' || c === '\n') break;
      items.push(postfix(nl));
    }
    return items.length === 1 ? items[0] : { t: 'seq', items };
  };
  const alternation = (nl) => {
    const alts = [sequence(nl)];
    for (;;) {
      ws(nl);
      if (text[i] !== '|') break;
      i++;
      ws(true);
      alts.push(sequence(nl));
    }
    return alts.length === 1 ? alts[0] : { t: 'alt', alts };
  };
  for (;;) {
    ws(true);
    if (i >= text.length) break;
    const n = name();
    ws(false);
    if (text.substr(i, 3) !== '::=') fail(`expected ::= after ${n}`);
    i += 3;
    ws(true);
    rules.set(n, alternation(false));
  }
  if (!rules.has('root')) fail('no root rule');
  for (const [n, e] of rules) checkRefs(e, rules, n);
  return rules;
}

function checkRefs(e, rules, where) {
  if (e.t === 'ref' && !rules.has(e.name)) throw new Error(`gbnf: ${where} refers to undefined ${e.name}`);
  for (const sub of e.items || e.alts || (e.e ? [e.e] : [])) checkRefs(sub, rules, where);
}

// The fewest characters each rule can produce (fixpoint), so sampling can steer
// towards the end once a string is long enough.
function minLengths(rules) {
  const min = new Map([...rules.keys()].map((k) => [k, Infinity]));
  const len = (e) => {
    switch (e.t) {
      case 'lit': return e.s.length;
      case 'cls': return 1;
      case 'ref': return min.get(e.name);
      case 'seq': return e.items.reduce((a, x) => a + len(x), 0);
      case 'alt': return Math.min(...e.alts.map(len));
      case 'rep': return e.min === 0 ? 0 : e.min * len(e.e);
    }
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const [k, e] of rules) {
      const v = len(e);
      if (v < min.get(k)) { min.set(k, v); changed = true; }
    }
  }
  return { len, min };
}

// Deterministic PRNG (mulberry32) so a failing sample can be reproduced from its seed.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Characters a negated class may draw from: printable ASCII and a few others.
const POOL = [...Array(95).keys()].map((k) => k + 32).concat([9, 10, 0xe9, 0x4e2d, 0x1f600]);

function drawChar(cls, random) {
  const inside = (cp) => cls.ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
  if (cls.neg) {
    const ok = POOL.filter((cp) => !inside(cp));
    return String.fromCodePoint(ok[Math.floor(random() * ok.length)]);
  }
  const total = cls.ranges.reduce((a, [lo, hi]) => a + hi - lo + 1, 0);
  let k = Math.floor(random() * total);
  for (const [lo, hi] of cls.ranges) {
    if (k <= hi - lo) return String.fromCodePoint(lo + k);
    k -= hi - lo + 1;
  }
}

// A random string of the grammar. Past `budget` characters every choice takes
// its shortest option, so the string always ends.
export function sample(rules, random, budget = 400) {
  const { len } = minLengths(rules);
  let out = '';
  const gen = (e) => {
    const closing = out.length >= budget;
    switch (e.t) {
      case 'lit': out += e.s; return;
      case 'cls': out += drawChar(e, random); return;
      case 'ref': gen(rules.get(e.name)); return;
      case 'seq': for (const x of e.items) gen(x); return;
      case 'alt': {
        let alts = e.alts.filter((a) => len(a) < Infinity);
        if (closing) {
          const best = Math.min(...alts.map(len));
          alts = alts.filter((a) => len(a) === best);
        }
        gen(alts[Math.floor(random() * alts.length)]);
        return;
      }
      case 'rep': {
        let n = 0;
        for (; n < e.min; n++) gen(e.e);
        while (n < e.max && out.length < budget && random() < 0.6) { gen(e.e); n++; }
        return;
      }
    }
  };
  gen(rules.get('root'));
  return out;
}

// Whether the whole of `s` is in the grammar: every end position each
// expression can reach from a start, memoised per rule and start.
export function matches(rules, s) {
  const memo = new Map();
  const ends = (e, p) => {
    switch (e.t) {
      case 'lit': return s.startsWith(e.s, p) ? [p + e.s.length] : [];
      case 'cls': {
        if (p >= s.length) return [];
        const cp = s.codePointAt(p);
        const inside = e.ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
        return inside !== e.neg ? [p + (cp > 0xffff ? 2 : 1)] : [];
      }
      case 'ref': {
        const key = e.name + '@' + p;
        if (memo.has(key)) return memo.get(key);
        memo.set(key, []);  // grammars here are not left-recursive
        const r = ends(rules.get(e.name), p);
        memo.set(key, r);
        return r;
      }
      case 'seq': {
        let at = new Set([p]);
        for (const x of e.items) {
          const next = new Set();
          for (const q of at) for (const r of ends(x, q)) next.add(r);
          at = next;
          if (!at.size) break;
        }
        return [...at];
      }
      case 'alt': {
        const all = new Set();
        for (const a of e.alts) for (const r of ends(a, p)) all.add(r);
        return [...all];
      }
      case 'rep': {
        const all = new Set(e.min === 0 ? [p] : []);
        let frontier = new Set([p]);
        for (let n = 1; n <= e.max && frontier.size; n++) {
          const next = new Set();
          for (const q of frontier) for (const r of ends(e.e, q)) if (r > q || n <= e.min) next.add(r);
          if (n >= e.min) for (const r of next) all.add(r);
          frontier = next;
          if (n > e.min + s.length) break;
        }
        return [...all];
      }
    }
  };
  return ends(rules.get('root'), 0).includes(s.length);
}
