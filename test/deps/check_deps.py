#!/usr/bin/env python3
"""test/deps/check_deps.py - every external command is declared where it is used and
installed by our own scripts (ctest unit.deps_declared; no root, no network).

Usage: check_deps.py [SOURCE_DIR]

The table is scripts/commands.tsv: command (or py:MODULE), Debian package, installing script.
Checks, over every shell script in the tree (not build directories, not debian/):
  1. each package of the table is installed by its installer: in UWG_PACKAGES of
     scripts/deps.sh, or named in the other script the table gives (bench/run.sh: ethtool);
  2. each `need` names only commands the table maps (so need.sh can name the package);
  3. each script that runs a command of the table declares it, with `need` in itself or in
     a file it sources, or with a `# optional: CMD` comment when it has a fallback. A
     heuristic: the command as a word outside comments (py:MODULE: `import MODULE`), which
     catches the tools that matter (tcpdump, socat, upnpc...); heredocs marked
     `# runs-elsewhere` are skipped.
Prints one FAIL line per problem, naming the command and its package, then a summary; exit
status 1 if there is any problem.
"""
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
SKIP_DIRS = {'.git', 'debian', 'node_modules'}
NOT_USERS = {'scripts/deps.sh', 'scripts/need.sh'}  # the installer and the helper itself

NEED_RE = re.compile(r'^[ \t]*need[ \t]+([^#;&|\n]*)', re.M)
OPTIONAL_RE = re.compile(r'^[ \t]*#[ \t]*optional:[ \t]*([\w.+:-]+(?:[ \t]+[\w.+:-]+)*)', re.M)
SOURCE_RE = re.compile(r'^[ \t]*(?:\.|source)[ \t]+"\$\(dirname "\$\{?[A-Za-z0-9_\[\]]+\}?"\)/([^"]+)"',
                       re.M)
HEREDOC_ELSEWHERE_RE = re.compile(r"<<-?[ \t]*['\"]?(\w+)['\"]?.*#[ \t]*runs-elsewhere")


def read(rel):
    with open(os.path.join(ROOT, rel), encoding='utf-8', errors='replace') as f:
        return f.read()


def load_table():
    table = {}
    for n, line in enumerate(read('scripts/commands.tsv').splitlines(), 1):
        if not line.strip() or line.startswith('#'):
            continue
        cols = line.split('\t')
        if len(cols) != 3 or not all(cols):
            sys.exit('FAIL: deps_declared: scripts/commands.tsv:%d: want command<TAB>package<TAB>'
                     'installer, got %r' % (n, line))
        table[cols[0]] = (cols[1], cols[2])
    return table


def shell_scripts():
    out = []
    for d, dirs, files in os.walk(ROOT):
        rel_d = os.path.relpath(d, ROOT)
        # No build trees (anything CMake configured), no VCS or packaging directories.
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS and not x.startswith('build')
                         and not os.path.exists(os.path.join(d, x, 'CMakeCache.txt')))
        for f in sorted(files):
            if f.endswith('.sh'):
                out.append(os.path.normpath(os.path.join(rel_d, f)))
    return out


def code_lines(text):
    """The lines that run here: no comment lines, no heredoc marked `# runs-elsewhere`."""
    end = None
    for line in text.splitlines():
        if end is not None:
            if line.strip() == end:
                end = None
            continue
        m = HEREDOC_ELSEWHERE_RE.search(line)
        if m:
            end = m.group(1)
        if not line.lstrip().startswith('#'):
            yield line


def declared(rel, seen):
    """Commands declared by rel and by the files it sources (transitively)."""
    if rel in seen:
        return set()
    seen.add(rel)
    text = read(rel)
    out = set()
    for m in NEED_RE.finditer(text):
        out.update(m.group(1).split())
    for m in OPTIONAL_RE.finditer(text):
        out.update(m.group(1).split())
    for m in SOURCE_RE.finditer(text):
        inc = os.path.normpath(os.path.join(os.path.dirname(rel), m.group(1)))
        if os.path.isfile(os.path.join(ROOT, inc)):
            out |= declared(inc, seen)
    return out


def use_pattern(cmd):
    if cmd.startswith('py:'):
        mod = re.escape(cmd[3:])
        return re.compile(r'^\s*(?:import\s+%s\b|from\s+%s\s+import\b)' % (mod, mod), re.M)
    # A word of its own: not part of a longer name, a path (/usr/bin/x, ./x) or a variable.
    return re.compile(r'(?<![\w$./-])%s(?![\w-])' % re.escape(cmd))


def main():
    table = load_table()
    problems = []

    # 1. every package is installed by its installer
    m = re.search(r'UWG_PACKAGES=\((.*?)\)', read('scripts/deps.sh'), re.S)
    deps_pkgs = set(re.sub(r'#[^\n]*', '', m.group(1)).split()) if m else set()
    if not deps_pkgs:
        problems.append('scripts/deps.sh: no UWG_PACKAGES=(...) list found')
    for cmd, (pkg, installer) in sorted(table.items()):
        if installer == 'scripts/deps.sh':
            if pkg not in deps_pkgs:
                problems.append('%s needs Debian package %s, which scripts/deps.sh does not install: '
                                'add %s to UWG_PACKAGES' % (cmd, pkg, pkg))
        elif not os.path.isfile(os.path.join(ROOT, installer)):
            problems.append('%s: installer %s (scripts/commands.tsv) does not exist' % (cmd, installer))
        elif not re.search(r'(?<![\w.+-])%s(?![\w.+-])' % re.escape(pkg), read(installer)):
            problems.append('%s needs Debian package %s, which %s does not install'
                            % (cmd, pkg, installer))

    scripts = shell_scripts()
    patterns = {cmd: use_pattern(cmd) for cmd in table}
    for rel in scripts:
        if rel in NOT_USERS:
            continue
        text = read(rel)
        # 2. every declared command is mapped
        for m in list(NEED_RE.finditer(text)) + list(OPTIONAL_RE.finditer(text)):
            for c in m.group(1).split():
                if c not in table:
                    problems.append('%s: need %s: not in scripts/commands.tsv (add it with its '
                                    'Debian package, and the package to scripts/deps.sh)' % (rel, c))
        # 3. every used command of the table is declared
        decl = declared(rel, set())
        code = '\n'.join(code_lines(text))
        for cmd, (pkg, _) in sorted(table.items()):
            if cmd not in decl and patterns[cmd].search(code):
                problems.append('%s runs %s (Debian package %s) without declaring it: add '
                                '`need %s`' % (rel, cmd, pkg, cmd))

    for p in problems:
        print('FAIL: deps_declared: ' + p)
    print('deps_declared: %d commands in scripts/commands.tsv, %d scripts checked, %d problems'
          % (len(table), len(scripts) - len(NOT_USERS & set(scripts)), len(problems)))
    print('%d passed, %d failed' % (0 if problems else 1, 1 if problems else 0))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
