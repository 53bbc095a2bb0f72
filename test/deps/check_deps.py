#!/usr/bin/env python3
"""test/deps/check_deps.py - every external command is declared where it is used and
installed by our own scripts (ctest unit.deps_declared; no root needed).

Checks, against scripts/commands.tsv (command, Debian package, installing script):
  1. each package named there is in its installer's text (scripts/deps.sh's UWG_PACKAGES,
     or the script named, e.g. bench/run.sh for ethtool);
  2. each `need` line names only commands in the table;
  3. each script and netns test that runs a command of the table declares it with `need`,
     itself or in a file it sources (heuristic: the command as a word outside comments).
Exit 0 when all hold; otherwise one line per problem, naming the command and package.
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..')
root = os.path.abspath(root)


def read(rel):
    with open(os.path.join(root, rel), encoding='utf-8', errors='replace') as f:
        return f.read()


table = {}
for line in read('scripts/commands.tsv').splitlines():
    if not line.strip() or line.startswith('#'):
        continue
    cmd, pkg, installer = line.split('\t')
    table[cmd] = (pkg, installer)

problems = []

# 1. installed by our scripts
deps = read('scripts/deps.sh')
m = re.search(r'UWG_PACKAGES=\((.*?)\)', deps, re.S)
deps_pkgs = set(m.group(1).split()) if m else set()
for cmd, (pkg, installer) in sorted(table.items()):
    if installer == 'scripts/deps.sh':
        if pkg not in deps_pkgs:
            problems.append('%s needs Debian package %s, which scripts/deps.sh does not install: '
                            'add %s to UWG_PACKAGES' % (cmd, pkg, pkg))
    elif not re.search(r'(^|[\s(])%s([\s)]|$)' % re.escape(pkg), read(installer)):
        problems.append('%s needs Debian package %s, which %s does not install' % (cmd, pkg, installer))

# the files that run commands
files = []
for d, pattern in (('test/netns', r'.*\.sh$'), ('scripts', r'.*\.sh$'), ('bench', r'.*\.sh$')):
    for name in sorted(os.listdir(os.path.join(root, d))):
        if re.match(pattern, name):
            files.append(os.path.join(d, name))
skip = {'scripts/deps.sh', 'scripts/need.sh'}

need_re = re.compile(r'^[ \t]*need[ \t]+([^#;&|\n]*)', re.M)
source_re = re.compile(r'^\s*\.\s+"\$\(dirname "\$\{?[A-Za-z_\[\]0-9]*\}?"\)/([^"]+)"', re.M)


heredoc_re = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?.*#\s*runs-elsewhere")


def code_lines(text):
    """Lines that run here: no comments, no heredocs marked `# runs-elsewhere`."""
    end = None
    for line in text.splitlines():
        if end is not None:
            if line.strip() == end:
                end = None
            continue
        m = heredoc_re.search(line)
        if m:
            end = m.group(1)
        if not line.lstrip().startswith('#'):
            yield line


def declared(rel, seen=None):
    seen = seen or set()
    if rel in seen:
        return set()
    seen.add(rel)
    text = read(rel)
    out = set()
    for m in need_re.finditer(text):
        out.update(m.group(1).split())
    for m in source_re.finditer(text):
        inc = os.path.normpath(os.path.join(os.path.dirname(rel), m.group(1)))
        if os.path.exists(os.path.join(root, inc)):
            out |= declared(inc, seen)
    return out


for rel in files:
    if rel in skip:
        continue
    text = read(rel)
    decl = declared(rel)
    # 2. declared commands are known
    for m in need_re.finditer(text):
        for c in m.group(1).split():
            if c not in table:
                problems.append('%s: need %s: not in scripts/commands.tsv (add it with its package)'
                                % (rel, c))
    # 3. used commands are declared
    code = '\n'.join(code_lines(text))
    for cmd, (pkg, installer) in sorted(table.items()):
        pat = r'(?<![\w$./-])%s(?![\w-])' % re.escape(cmd)
        if re.search(pat, code) and cmd not in decl:
            problems.append('%s runs %s (Debian package %s) without declaring it: add `need %s`'
                            % (rel, cmd, pkg, cmd))

for p in problems:
    print('FAIL: deps_declared: ' + p)
checked = len(files) - len(skip & set(files))
print('%d passed, %d failed' % (checked + len(table) - len(problems) if not problems else 0,
                                len(problems)))
sys.exit(1 if problems else 0)
