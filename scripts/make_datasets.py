#!/usr/bin/python3
"""Writes the bundled instruction->diagram data sets under data/.

Seeded and deterministic: rerunning it reproduces data/ byte for byte. Each
example comes from a template (one per diagram kind) filled from small
vocabularies, so instructions and diagrams vary in size, naming and features.
Responses are the bare diagram source (no ``` fence); tests/data_sets checks
every one with the real parsers (Graphviz cgraph for DOT, npm mermaid for Mermaid).

Usage: /usr/bin/python3 scripts/make_datasets.py [OUT_DIR]   (default: data)
"""
import json
import os
import random
import sys

SEED = 20261122
PER_FORMAT = 200
SPLITS = (("train", 0.8), ("validation", 0.1), ("test", 0.1))

DOMAINS = {
    "user signup": ["Visit site", "Fill form", "Validate email", "Create account", "Send welcome mail", "Show dashboard"],
    "order checkout": ["Cart", "Enter address", "Choose shipping", "Pay", "Confirm order", "Ship parcel"],
    "bug triage": ["Report bug", "Reproduce", "Assign owner", "Fix", "Review", "Release"],
    "coffee brewing": ["Boil water", "Grind beans", "Add filter", "Pour water", "Wait", "Serve"],
    "CI pipeline": ["Push commit", "Build", "Unit tests", "Lint", "Package", "Deploy"],
    "loan approval": ["Apply", "Check credit", "Verify income", "Underwrite", "Approve", "Disburse"],
    "hiring": ["Post job", "Screen CVs", "Phone interview", "Onsite", "Offer", "Onboard"],
    "data ingestion": ["Fetch files", "Parse", "Clean", "Deduplicate", "Load warehouse", "Publish report"],
    "password reset": ["Request reset", "Send token", "Open link", "Enter new password", "Save hash", "Log in"],
    "library loan": ["Search catalog", "Reserve book", "Pick up", "Read", "Renew", "Return"],
    "incident response": ["Alert fires", "Acknowledge", "Diagnose", "Mitigate", "Postmortem", "Close"],
    "recipe app": ["Open app", "Pick recipe", "Scale servings", "Shop list", "Cook", "Rate"],
}
DECISIONS = ["Valid?", "Approved?", "Passed?", "In stock?", "Ready?", "Found?"]
DIRECTIONS = {"TD": "top to bottom", "TB": "top to bottom", "LR": "left to right",
              "RL": "right to left", "BT": "bottom to top"}
SHAPES = [("[", "]", "box"), ("(", ")", "rounded box"), ("([", "])", "stadium"),
          ("[[", "]]", "subroutine"), ("[(", ")]", "cylinder"), ("((", "))", "circle"),
          ("{{", "}}", "hexagon"), (">", "]", "flag")]
ARROWS = ["-->", "---", "-.->", "==>"]
ACTORS = ["User", "Browser", "Server", "Database", "Cache", "AuthService", "Queue", "Worker",
          "Client", "Gateway", "Payment", "Mailer"]
MESSAGES = ["login request", "fetch profile", "validate token", "store record", "return result",
            "publish event", "charge card", "send receipt", "lookup key", "ack", "retry", "render page"]
CLASSES = {
    "library": ["Library", "Book", "Member", "Loan", "Author"],
    "shop": ["Shop", "Product", "Customer", "Order", "Invoice"],
    "zoo": ["Zoo", "Animal", "Keeper", "Enclosure", "Feeding"],
    "school": ["School", "Student", "Teacher", "Course", "Grade"],
    "bank": ["Bank", "Account", "Customer", "Transaction", "Card"],
    "game": ["Game", "Player", "Level", "Item", "Score"],
}
ATTRS = ["id", "name", "created", "status", "total", "email", "title", "count"]
TYPES = ["int", "String", "Date", "bool", "float"]
METHODS = ["save", "load", "validate", "close", "open", "update", "remove", "render"]
STATE_SETS = {
    "traffic light": ["Red", "Green", "Yellow"],
    "door": ["Closed", "Opening", "Open", "Closing", "Locked"],
    "order": ["Created", "Paid", "Packed", "Shipped", "Delivered"],
    "TCP connection": ["Listen", "SynReceived", "Established", "FinWait", "Closed"],
    "media player": ["Stopped", "Playing", "Paused", "Buffering"],
    "ticket": ["Open", "InProgress", "Review", "Done"],
}
EVENTS = ["start", "timer", "pay", "cancel", "done", "error", "resume", "push"]
ER_SETS = {
    "blog": ["AUTHOR", "POST", "COMMENT", "TAG"],
    "hospital": ["PATIENT", "DOCTOR", "APPOINTMENT", "WARD"],
    "store": ["CUSTOMER", "ORDER", "LINE_ITEM", "PRODUCT"],
    "university": ["STUDENT", "COURSE", "ENROLLMENT", "PROFESSOR"],
    "airline": ["PASSENGER", "BOOKING", "FLIGHT", "AIRPORT"],
}
CARDINALITIES = [("||--o{", "one to zero-or-more"), ("||--|{", "one to one-or-more"),
                 ("}o--o{", "many to many"), ("||--||", "one to exactly one")]
PIE_TOPICS = {
    "browser share": ["Chrome", "Firefox", "Safari", "Edge", "Other"],
    "monthly budget": ["Rent", "Food", "Transport", "Savings", "Fun"],
    "pets owned": ["Dogs", "Cats", "Fish", "Birds"],
    "time spent": ["Meetings", "Coding", "Review", "Email"],
}
GRAPH_SUBJECTS = {
    "microservices": ["api", "auth", "users", "orders", "billing", "db", "cache", "queue"],
    "build targets": ["base", "ports", "kernels", "formats", "runtime", "tools", "tests"],
    "city roads": ["Harbor", "Market", "Station", "Park", "Museum", "Airport", "Bridge"],
    "family tree": ["Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus"],
    "network": ["router", "switch1", "switch2", "web1", "web2", "db1", "backup"],
    "course prerequisites": ["Intro", "Algebra", "Calculus", "Statistics", "ML", "Databases", "Compilers"],
    "package dependencies": ["app", "http", "json", "log", "tls", "zlib", "utf8"],
}
NODE_SHAPES = ["box", "ellipse", "circle", "diamond", "note", "cylinder", "hexagon", "component"]
COLORS = ["red", "blue", "darkgreen", "orange", "gray40", "purple", "black"]
RANKDIRS = {"LR": "left to right", "TB": "top to bottom", "RL": "right to left", "BT": "bottom to top"}


def ident(label):
    return "".join(ch for ch in label.title() if ch.isalnum())


def article(word):
    return "an" if word[0].lower() in "aeiou" else "a"


def mermaid_flowchart(rng):
    domain = rng.choice(sorted(DOMAINS))
    steps = DOMAINS[domain][: rng.randint(3, 6)]
    direction = rng.choice(sorted(DIRECTIONS))
    keyword = rng.choice(["flowchart", "graph"])
    shape = rng.choice(SHAPES)
    arrow = rng.choice(ARROWS)
    decision = rng.random() < 0.5
    subgraph = rng.random() < 0.35 and len(steps) >= 4
    ids = [f"{chr(65 + i)}" for i in range(len(steps))]
    lines = [f"{keyword} {direction}"]
    for i, (node, step) in enumerate(zip(ids, steps)):
        lines.append(f"    {node}{shape[0]}{step}{shape[1]}")
    if subgraph:
        lines.insert(1, "    subgraph phase1 [First phase]")
        lines.insert(4, "    end")
    for a, b in zip(ids, ids[1:]):
        lines.append(f"    {a} {arrow} {b}")
    features = [f"{shape[2]} nodes", f"'{arrow}' links"]
    if decision:
        q = rng.choice(DECISIONS)
        lines.append(f"    {ids[-1]} --> Q{{{q}}}")
        lines.append(f"    Q -->|yes| DONE([Finished])")
        lines.append(f"    Q -->|no| {ids[0]}")
        features.append(f"a '{q}' decision with yes/no edge labels")
    if subgraph:
        features.append("the first two steps in a subgraph")
    instruction = rng.choice([
        "Draw a Mermaid flowchart of {d}, {dir}, with {f}.",
        "Make a {dir} Mermaid {k} for the {d} process using {f}.",
        "Create a Mermaid diagram showing the steps of {d} ({dir}); use {f}.",
    ]).format(d=domain, dir=DIRECTIONS[direction], f=", ".join(features), k=keyword)
    instruction += " Steps: " + ", ".join(steps) + "."
    return instruction, "\n".join(lines)


def mermaid_sequence(rng):
    actors = rng.sample(ACTORS, rng.randint(2, 4))
    n = rng.randint(3, 7)
    lines = ["sequenceDiagram"]
    if rng.random() < 0.5:
        for a in actors:
            lines.append(f"    participant {a}")
    said = []
    for i in range(n):
        a, b = rng.sample(actors, 2)
        msg = rng.choice(MESSAGES)
        arrow = rng.choice(["->>", "-->>", "->", "-x"])
        lines.append(f"    {a}{arrow}{b}: {msg}")
        said.append(f"{a} to {b}: {msg}")
    if rng.random() < 0.4:
        lines.insert(len(lines) - 1, f"    Note over {actors[0]},{actors[1]}: checkpoint")
    if rng.random() < 0.3:
        lines.append(f"    loop every minute")
        lines.append(f"        {actors[0]}->>{actors[1]}: heartbeat")
        lines.append(f"    end")
        said.append("a heartbeat loop")
    instruction = rng.choice([
        "Write a Mermaid sequence diagram between {p}: {s}.",
        "Show this interaction as a Mermaid sequenceDiagram ({p}): {s}.",
    ]).format(p=", ".join(actors), s="; ".join(said))
    return instruction, "\n".join(lines)


def mermaid_class(rng):
    theme = rng.choice(sorted(CLASSES))
    names = CLASSES[theme][: rng.randint(2, 5)]
    lines = ["classDiagram"]
    for name in names:
        lines.append(f"    class {name} {{")
        for attr in rng.sample(ATTRS, rng.randint(1, 3)):
            lines.append(f"        +{rng.choice(TYPES)} {attr}")
        for m in rng.sample(METHODS, rng.randint(0, 2)):
            lines.append(f"        +{m}() bool")
        lines.append("    }")
    rels = []
    for a, b in zip(names, names[1:]):
        kind, word = rng.choice([("<|--", "inherits"), ("*--", "composition"), ("o--", "aggregation"), ("-->", "association")])
        card = rng.random() < 0.4
        if card:
            lines.append(f'    {a} "1" {kind} "many" {b} : has')
        else:
            lines.append(f"    {a} {kind} {b}")
        rels.append(f"{a}-{b} ({word})")
    instruction = f"Model {article(theme)} {theme} domain as a Mermaid class diagram with classes {', '.join(names)} and relations {', '.join(rels)}."
    return instruction, "\n".join(lines)


def mermaid_state(rng):
    theme = rng.choice(sorted(STATE_SETS))
    states = STATE_SETS[theme]
    lines = ["stateDiagram-v2", f"    [*] --> {states[0]}"]
    steps = []
    for a, b in zip(states, states[1:]):
        event = rng.choice(EVENTS)
        lines.append(f"    {a} --> {b} : {event}")
        steps.append(f"{a} to {b} on {event}")
    if rng.random() < 0.5:
        lines.append(f"    {states[-1]} --> {states[0]} : reset")
        steps.append(f"back to {states[0]} on reset")
    lines.append(f"    {states[-1]} --> [*]")
    if rng.random() < 0.3:
        lines.append(f"    note right of {states[0]} : initial state")
    instruction = rng.choice([
        "Draw the states of a {t} as a Mermaid stateDiagram-v2: {s}.",
        "Give me a Mermaid state machine for a {t}: {s}.",
    ]).format(t=theme, s=", ".join(steps))
    return instruction, "\n".join(lines)


def mermaid_er(rng):
    theme = rng.choice(sorted(ER_SETS))
    ents = ER_SETS[theme]
    lines = ["erDiagram"]
    rels = []
    for a, b in zip(ents, ents[1:]):
        card, word = rng.choice(CARDINALITIES)
        verb = rng.choice(["has", "places", "contains", "books", "holds"])
        lines.append(f"    {a} {card} {b} : {verb}")
        rels.append(f"{a} {word} {b}")
    for e in rng.sample(ents, rng.randint(1, 2)):
        lines.append(f"    {e} {{")
        lines.append("        int id PK")
        lines.append(f"        string {rng.choice(['name', 'title', 'code'])}")
        lines.append("    }")
    instruction = f"Make a Mermaid ER diagram for {article(theme)} {theme} database: {'; '.join(rels)}."
    return instruction, "\n".join(lines)


def mermaid_pie(rng):
    topic = rng.choice(sorted(PIE_TOPICS))
    parts = PIE_TOPICS[topic]
    values = [rng.randint(5, 60) for _ in parts]
    lines = [f"pie title {topic.capitalize()}"]
    for p, v in zip(parts, values):
        lines.append(f'    "{p}" : {v}')
    instruction = f"Show {topic} as a Mermaid pie chart: " + ", ".join(f"{p} {v}" for p, v in zip(parts, values)) + "."
    return instruction, "\n".join(lines)


def dot_graph(rng):
    subject = rng.choice(sorted(GRAPH_SUBJECTS))
    nodes = GRAPH_SUBJECTS[subject][: rng.randint(3, 7)]
    directed = rng.random() < 0.7
    strict = rng.random() < 0.15
    edge_op = "->" if directed else "--"
    name = ident(subject)
    head = ("strict " if strict else "") + ("digraph" if directed else "graph") + f" {name} {{"
    lines = [head]
    features = []
    if rng.random() < 0.5:
        rd = rng.choice(sorted(RANKDIRS))
        lines.append(f"    rankdir={rd};")
        features.append(f"laid out {RANKDIRS[rd]}")
    if rng.random() < 0.6:
        shape = rng.choice(NODE_SHAPES)
        lines.append(f"    node [shape={shape}];")
        features.append(f"{shape} nodes")
    cluster = rng.random() < 0.4 and len(nodes) >= 4
    quoted = rng.random() < 0.3
    q = (lambda n: f'"{n}"') if quoted else (lambda n: n)
    if cluster:
        lines.append("    subgraph cluster_core {")
        lines.append(f'        label="core";')
        lines.append("        " + "; ".join(q(n) for n in nodes[:2]) + ";")
        lines.append("    }")
        features.append(f"{nodes[0]} and {nodes[1]} grouped in a cluster")
    edges = []
    for a, b in zip(nodes, nodes[1:]):
        attrs = []
        if rng.random() < 0.3:
            c = rng.choice(COLORS)
            attrs.append(f"color={c}")
        if rng.random() < 0.3:
            attrs.append(f'label="{rng.choice(["uses", "calls", "next", "depends", "feeds"])}"')
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"    {q(a)} {edge_op} {q(b)}{suffix};")
        edges.append(f"{a} {'to' if directed else 'and'} {b}")
    if rng.random() < 0.3 and len(nodes) >= 3:
        lines.append(f"    {q(nodes[0])} {edge_op} {q(nodes[-1])} [style=dashed];")
        edges.append(f"a dashed link {nodes[0]} {'to' if directed else '-'} {nodes[-1]}")
    lines.append("}")
    kind = ("a strict " if strict else "a ") + ("directed" if directed else "undirected")
    instruction = rng.choice([
        "Write a Graphviz DOT {k} graph of {s}: {e}{f}.",
        "Describe {s} in DOT as {k} graph with edges {e}{f}.",
        "Produce DOT source for {k} graph of {s} ({e}){f}.",
    ]).format(k=kind, s=subject, e=", ".join(edges), f=("; " + ", ".join(features)) if features else "")
    return instruction, "\n".join(lines)


def dot_flow(rng):
    domain = rng.choice(sorted(DOMAINS))
    steps = DOMAINS[domain][: rng.randint(3, 6)]
    lines = ["digraph Flow {", f'    label="{domain}";', "    labelloc=t;"]
    color = rng.choice(COLORS)
    lines.append(f'    node [shape=box, style="rounded,filled", fillcolor=lightyellow, color={color}];')
    for i, s in enumerate(steps):
        lines.append(f'    s{i} [label="{s}"];')
    lines.append("    " + " -> ".join(f"s{i}" for i in range(len(steps))) + ";")
    if rng.random() < 0.5:
        q = rng.choice(DECISIONS)
        lines.append(f'    check [shape=diamond, label="{q}"];')
        lines.append(f"    s{len(steps) - 1} -> check;")
        lines.append(f'    check -> s0 [label="no"];')
    lines.append("}")
    instruction = f"As a Graphviz digraph titled '{domain}', draw the steps {', '.join(steps)} as filled rounded boxes outlined in {color}."
    return instruction, "\n".join(lines)


MERMAID = [mermaid_flowchart, mermaid_flowchart, mermaid_sequence, mermaid_class, mermaid_state, mermaid_er, mermaid_pie]
DOT = [dot_graph, dot_graph, dot_flow]


def build(rng, makers, count):
    seen, out = set(), []
    tries = 0
    while len(out) < count:
        tries += 1
        if tries > 100 * count:
            sys.exit("make_datasets: templates too narrow to give %d distinct instructions" % count)
        maker = makers[len(out) % len(makers)]
        instruction, response = maker(rng)
        if instruction in seen:
            continue
        seen.add(instruction)
        out.append({"instruction": instruction, "response": response})
    rng.shuffle(out)
    return out


def write_splits(out_dir, name, examples):
    start = 0
    for split, share in SPLITS:
        n = round(len(examples) * share) if split != SPLITS[-1][0] else len(examples) - start
        path = os.path.join(out_dir, f"{name}_{split}.jsonl")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            for ex in examples[start:start + n]:
                f.write(json.dumps(ex, ensure_ascii=False) + "\n")
        os.replace(path + ".tmp", path)
        start += n


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "data"
    os.makedirs(out_dir, exist_ok=True)
    rng = random.Random(SEED)
    write_splits(out_dir, "mermaid", build(rng, MERMAID, PER_FORMAT))
    write_splits(out_dir, "dot", build(rng, DOT, PER_FORMAT))


if __name__ == "__main__":
    main()
