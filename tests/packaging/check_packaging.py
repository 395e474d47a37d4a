#!/usr/bin/env python3
"""Checks of outlet's vcpkg port and Conan recipe that need neither tool (Python 3 stdlib only).

The real vcpkg and Conan run in tests/packaging/real_tools.py: the overlay
port installed and used from CMake in classic and manifest mode, `conan
create` with test_package/, cppstd 14 refused. What remains here is what those
runs cannot see. Each mode is one CTest test:

  check_packaging.py vcpkg-json
      Both vcpkg.json files (packaging/vcpkg/ports/outlet and
      packaging/vcpkg/overlay-ports/outlet) parse, have the fields a port
      needs, and say the version of CMakeLists.txt's project() (and of
      include/outlet/version.hpp); both port folders hold portfile.cmake and
      usage, and the usage file's CMake lines appear in README.md. The
      registry port, which downloads and so cannot run offline: it gets the
      source with vcpkg_from_github, stops while its repository is the
      placeholder, and from vcpkg_cmake_configure on is the overlay port.
      With --release, the placeholders the release step fills in are errors.

  check_packaging.py conan
      conanfile.py and test_package/conanfile.py compile; the recipe's
      attributes (package type, no_copy_source, licence, no hard-coded
      version, exports_sources, a cleared package id, headers-only dirs, the
      cppstd check only when cppstd is set) are checked from its syntax tree;
      its read_project_version() is run, without Conan, on CMakeLists.txt and
      on samples it must read or refuse.

Every mode prints one line per check and exits 0 when all pass, 1 when any
fails (each failure quoted on a FAIL line), 2 on a usage error.
"""

import argparse
import ast
import json
import py_compile
import re
import sys
import tempfile
from pathlib import Path

ROOT_DEFAULT = Path(__file__).resolve().parents[2]
PORT_DIRS = {
    "registry": Path("packaging/vcpkg/ports/outlet"),
    "overlay": Path("packaging/vcpkg/overlay-ports/outlet"),
}
VERSION_FIELDS = ("version", "version-semver", "version-string", "version-date")
SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


class Checker:
    """Collects the results of one mode; every failure is reported, not just the first."""

    def __init__(self, mode):
        self.mode = mode
        self.passed = 0
        self.failures = []

    def ok(self, condition, what, why_not=""):
        """Record `what` as passed if condition holds, else as failed with why_not."""
        if condition:
            self.passed += 1
            print(f"ok    {what}")
        else:
            self.failures.append(f"{what}: {why_not}" if why_not else what)
            print(f"FAIL  {what}" + (f": {why_not}" if why_not else ""))
        return bool(condition)

    def fail(self, what, why):
        return self.ok(False, what, why)

    def finish(self):
        print(f"{self.mode}: {self.passed} passed, {len(self.failures)} failed")
        if self.failures:
            print(f"\ncheck_packaging.py {self.mode} FAILED:", file=sys.stderr)
            for failure in self.failures:
                print(f"  - {failure}", file=sys.stderr)
            return 1
        return 0


# ---------------------------------------------------------------------------
# The version, read here independently of the recipe's own reader
# ---------------------------------------------------------------------------
def _strip_cmake_comments(text):
    """CMake source without # line comments and #[[ ]] bracket comments (quotes respected)."""
    text = re.sub(r"#\[(=*)\[.*?\]\1\]", " ", text, flags=re.S)
    out_lines = []
    for line in text.splitlines():
        in_quotes = False
        cut = len(line)
        i = 0
        while i < len(line):
            c = line[i]
            if c == "\\" and in_quotes:
                i += 2
                continue
            if c == '"':
                in_quotes = not in_quotes
            elif c == "#" and not in_quotes:
                cut = i
                break
            i += 1
        out_lines.append(line[:cut])
    return "\n".join(out_lines)


def project_version(root):
    """(version, error): the VERSION argument of project(outlet ...) in root/CMakeLists.txt.

    A small tokenizer, deliberately not the regex conanfile.py uses, so the
    Conan check compares two independent readings.
    """
    path = root / "CMakeLists.txt"
    try:
        text = _strip_cmake_comments(path.read_text(encoding="utf-8"))
    except OSError as e:
        return None, f"cannot read {path}: {e}"
    call = re.search(r"\bproject\s*\(", text, flags=re.I)
    if not call:
        return None, f"no project() call in {path}"
    args_text = text[call.end():text.find(")", call.end())]
    args = re.findall(r'"(?:[^"\\]|\\.)*"|[^\s"]+', args_text)
    args = [a[1:-1] if a.startswith('"') else a for a in args]
    if not args or args[0] != "outlet":
        return None, f"the first project() call in {path} is not project(outlet ...): {args[:1]}"
    if "VERSION" not in args or args.index("VERSION") + 1 >= len(args):
        return None, f"project(outlet ...) in {path} has no VERSION argument"
    return args[args.index("VERSION") + 1], None


def header_version(root):
    """The version spelled by OUTLET_VERSION_MAJOR/MINOR/PATCH in include/outlet/version.hpp, or None."""
    path = root / "include/outlet/version.hpp"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    parts = []
    for part in ("MAJOR", "MINOR", "PATCH"):
        m = re.search(rf"^#define OUTLET_VERSION_{part} +(\d+) *$", text, flags=re.M)
        if not m:
            return None
        parts.append(m.group(1))
    return ".".join(parts)


def checked_project_version(check, root):
    version, error = project_version(root)
    if not check.ok(version is not None, "CMakeLists.txt has project(outlet VERSION ...)", error):
        return None
    hdr = header_version(root)
    check.ok(hdr == version, f"include/outlet/version.hpp says the same version ({version})",
             f"version.hpp says {hdr!r}")
    return version


def license_spdx(root):
    """The SPDX id of root/LICENSE for the licences outlet might use, else None."""
    try:
        text = (root / "LICENSE").read_text(encoding="utf-8")
    except OSError:
        return None
    if text.lstrip().startswith("MIT License") and "Permission is hereby granted, free of charge" in text:
        return "MIT"
    if "Apache License" in text and "Version 2.0" in text:
        return "Apache-2.0"
    if "Boost Software License - Version 1.0" in text:
        return "BSL-1.0"
    return None


# ---------------------------------------------------------------------------
# vcpkg-json
# ---------------------------------------------------------------------------
def _no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"duplicate keys {dupes}")
    return dict(pairs)


def _cmake_call(text, name):
    """The argument text of the first call `name(...)` in CMake text (comments removed), or None."""
    m = re.search(rf"\b{re.escape(name)}\s*\(", text)
    if not m:
        return None
    depth, i = 1, m.end()
    while i < len(text) and depth:
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
    return text[m.end():i - 1]


def usage_cmake_lines(text):
    """The CMake command lines of a vcpkg usage file (indented `command(...)` lines)."""
    return [line.strip() for line in text.splitlines()
            if re.match(r"^\s+[A-Za-z_][A-Za-z0-9_]*\(.*\)\s*$", line)]


def after_source(portfile_text):
    """A portfile from its vcpkg_cmake_configure call on, without comments or blank lines; None without one."""
    body = _strip_cmake_comments(portfile_text)
    at = body.find("vcpkg_cmake_configure(")
    if at < 0:
        return None
    return [line.strip() for line in body[at:].splitlines() if line.strip()]


def check_portfile(check, kind, text):
    body = _strip_cmake_comments(text)
    label = f"{kind} portfile.cmake"
    check.ok(re.search(r"set\(\s*VCPKG_BUILD_TYPE\s+release\s*\)", body), f"{label}: set(VCPKG_BUILD_TYPE release)",
             "headers only: vcpkg should build the release configuration only")
    # From vcpkg_cmake_configure on it must equal the overlay port, which the
    # real vcpkg installs (checked in mode_vcpkg_json); what is its own is here.
    from_github = _cmake_call(body, "vcpkg_from_github")
    if check.ok(from_github is not None, f"{label}: gets the source with vcpkg_from_github"):
        for arg in ("OUT_SOURCE_PATH", "REPO", "REF", "SHA512", "HEAD_REF"):
            check.ok(re.search(rf"\b{arg}\b", from_github), f"{label}: vcpkg_from_github has {arg}")
    check.ok(re.search(r'if\(\s*OUTLET_RELEASE_REPO\s+MATCHES\s+"\[<>\]"\s*\)\s*message\(\s*FATAL_ERROR', body),
             f"{label}: stops, before vcpkg_from_github, while OUTLET_RELEASE_REPO is the placeholder")
    guard = body.find("OUTLET_RELEASE_REPO MATCHES")
    check.ok(0 <= guard < body.find("vcpkg_from_github("), f"{label}: the placeholder check comes before the download")


def check_release_placeholders(check, kind, manifest, portfile_text):
    homepage = manifest.get("homepage", "")
    check.ok(re.match(r"^https?://[^<>\s]+$", homepage), f"--release: {kind} vcpkg.json homepage is a URL",
             f"still {homepage!r}")
    if kind == "registry":
        repo = re.search(r'set\(OUTLET_RELEASE_REPO\s+"([^"]*)"\)', portfile_text)
        sha = re.search(r"set\(OUTLET_RELEASE_SHA512\s+([^)\s]*)\s*\)", portfile_text)
        check.ok(repo and re.match(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", repo.group(1)),
                 "--release: OUTLET_RELEASE_REPO is filled in", f"still {repo.group(1) if repo else None!r}")
        check.ok(sha and re.match(r"^[0-9a-f]{128}$", sha.group(1)),
                 "--release: OUTLET_RELEASE_SHA512 is filled in", f"still {sha.group(1) if sha else None!r}")


def mode_vcpkg_json(args):
    root = args.root
    check = Checker("vcpkg-json")
    version = checked_project_version(check, root)
    spdx = license_spdx(root)
    check.ok(spdx is not None, f"LICENSE is a licence this check knows ({spdx})", "unrecognised LICENSE text")
    try:
        readme_lines = {line.strip() for line in (root / "README.md").read_text(encoding="utf-8").splitlines()}
    except OSError as e:
        readme_lines = set()
        check.fail("README.md is readable", str(e))

    manifests = {}
    portfiles = {}
    for kind, rel in PORT_DIRS.items():
        port_dir = root / rel
        for name in ("portfile.cmake", "vcpkg.json", "usage"):
            check.ok((port_dir / name).is_file(), f"{rel}/{name} exists")
        try:
            manifest = json.loads((port_dir / "vcpkg.json").read_text(encoding="utf-8"),
                                  object_pairs_hook=_no_duplicate_keys)
        except (OSError, ValueError) as e:
            check.fail(f"{rel}/vcpkg.json parses as JSON", str(e))
            continue
        check.ok(isinstance(manifest, dict), f"{rel}/vcpkg.json parses as a JSON object")
        if not isinstance(manifest, dict):
            continue
        manifests[kind] = manifest
        label = f"{rel}/vcpkg.json"
        check.ok(manifest.get("name") == "outlet" == port_dir.name, f"{label}: name is \"outlet\", as its folder",
                 f"name {manifest.get('name')!r}, folder {port_dir.name!r}")
        present = [f for f in VERSION_FIELDS if f in manifest]
        if check.ok(len(present) == 1, f"{label}: exactly one version field", f"found {present or 'none'}"):
            field = present[0]
            value = manifest[field]
            check.ok(value == version, f"{label}: {field} equals project(VERSION) {version}",
                     f"{label} says {field} {value!r} but CMakeLists.txt says project(outlet VERSION {version})")
            if field == "version-semver":
                check.ok(isinstance(value, str) and SEMVER_RE.match(value), f"{label}: {value!r} is semantic versioning")
        if "port-version" in manifest:
            pv = manifest["port-version"]
            check.ok(isinstance(pv, int) and not isinstance(pv, bool) and pv >= 0,
                     f"{label}: port-version is a non-negative integer", f"got {pv!r}")
        description = manifest.get("description")
        check.ok(isinstance(description, str) and description.strip()
                 or isinstance(description, list) and description and all(isinstance(d, str) for d in description),
                 f"{label}: has a description")
        check.ok(isinstance(manifest.get("homepage"), str) and manifest["homepage"].strip(), f"{label}: has a homepage")
        check.ok(manifest.get("license") == spdx, f"{label}: license is {spdx!r}, LICENSE's SPDX id",
                 f"got {manifest.get('license')!r}")
        deps = {d["name"] if isinstance(d, dict) else d: d for d in manifest.get("dependencies", [])}
        for tool in ("vcpkg-cmake", "vcpkg-cmake-config"):
            dep = deps.get(tool)
            check.ok(isinstance(dep, dict) and dep.get("host") is True,
                     f"{label}: depends on {tool} as a host tool", f"got {dep!r}")
        unknown = sorted(k for k in manifest if not k.startswith("$") and k not in {
            "name", *VERSION_FIELDS, "port-version", "description", "homepage", "license",
            "dependencies", "supports", "maintainers", "documentation", "features", "default-features"})
        check.ok(not unknown, f"{label}: no unknown fields", f"unknown: {unknown}")

        try:
            usage = (port_dir / "usage").read_text(encoding="utf-8")
        except OSError:
            usage = ""
        lines = usage_cmake_lines(usage)
        check.ok(any(l.startswith("find_package(outlet CONFIG REQUIRED)") for l in lines)
                 and any("outlet::outlet" in l and l.startswith("target_link_libraries(") for l in lines),
                 f"{rel}/usage: has the find_package and target_link_libraries lines", f"CMake lines: {lines}")
        for line in lines:
            check.ok(line in readme_lines, f"{rel}/usage: `{line}` appears in README.md",
                     "the usage text and README.md's 'Using it from CMake' must say the same")

        try:
            portfile_text = (port_dir / "portfile.cmake").read_text(encoding="utf-8")
        except OSError:
            continue
        portfiles[kind] = portfile_text
        # The overlay port is installed by the real vcpkg (real_tools.py); the
        # registry port downloads, so it is checked here, and below for doing
        # what the overlay port does once it has the source.
        if kind == "registry":
            check_portfile(check, kind, portfile_text)
        if args.release:
            check_release_placeholders(check, kind, manifest, portfile_text)

    if len(portfiles) == 2:
        tails = {kind: after_source(text) for kind, text in portfiles.items()}
        check.ok(tails["registry"] is not None and tails["registry"] == tails["overlay"],
                 "both portfiles are the same from vcpkg_cmake_configure on (comments and blank lines aside)",
                 "the registry port must package the source as the overlay port, which the real vcpkg "
                 "installs, does")
    if len(manifests) == 2:
        a, b = manifests["registry"], manifests["overlay"]
        for key in ("name", "license", *[f for f in VERSION_FIELDS if f in a or f in b]):
            check.ok(a.get(key) == b.get(key), f"both vcpkg.json files agree on {key}",
                     f"registry {a.get(key)!r}, overlay {b.get(key)!r}")
    return check.finish()


# ---------------------------------------------------------------------------
# conan
# ---------------------------------------------------------------------------
def _const(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        return None


def _recipe_class(tree):
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name) and b.id == "ConanFile" for b in node.bases):
            return node
    return None


def _class_attrs(cls):
    attrs = {}
    for node in cls.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    attrs[target.id] = node.value
    return attrs


def _methods(cls):
    return {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}


def _calls(node, name):
    """Calls in node whose function is `name` or `<anything>.name`."""
    found = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Name) and func.id == name or isinstance(func, ast.Attribute) and func.attr == name:
                found.append(sub)
    return found


def _under_if_mentioning(func_node, target, word):
    """True if `target` (an AST node) sits inside an `if` whose test's source mentions word."""
    for sub in ast.walk(func_node):
        if isinstance(sub, ast.If) and word in ast.unparse(sub.test):
            if any(inner is target for stmt in sub.body for inner in ast.walk(stmt)):
                return True
    return False


def check_recipe_ast(check, path, tree):
    cls = _recipe_class(tree)
    if not check.ok(cls is not None, "conanfile.py: defines a ConanFile subclass"):
        return
    attrs = {k: _const(v) for k, v in _class_attrs(cls).items()}
    check.ok(attrs.get("name") == "outlet", 'conanfile.py: name = "outlet"', f"got {attrs.get('name')!r}")
    check.ok("version" not in attrs, "conanfile.py: no hard-coded version (set_version() reads CMakeLists.txt)",
             f"version = {attrs.get('version')!r}")
    check.ok(attrs.get("package_type") == "header-library", 'conanfile.py: package_type = "header-library"',
             f"got {attrs.get('package_type')!r}")
    check.ok(attrs.get("no_copy_source") is True, "conanfile.py: no_copy_source = True",
             f"got {attrs.get('no_copy_source')!r}")
    spdx = license_spdx(Path(path).parent)
    check.ok(attrs.get("license") == spdx, f"conanfile.py: license = {spdx!r} (LICENSE's SPDX id)",
             f"got {attrs.get('license')!r}")
    settings = attrs.get("settings") or ()
    check.ok({"os", "compiler"} <= set(settings), "conanfile.py: settings include os and compiler",
             f"got {settings!r}")
    exports = attrs.get("exports_sources") or ()
    exports = (exports,) if isinstance(exports, str) else exports
    check.ok("LICENSE" in exports and any(e.startswith("include/") for e in exports),
             "conanfile.py: exports_sources has include/ and LICENSE", f"got {exports!r}")

    methods = _methods(cls)
    for name in ("set_version", "package_id", "validate", "package", "package_info"):
        check.ok(name in methods, f"conanfile.py: defines {name}()")
    if "package_id" in methods:
        check.ok(any(ast.unparse(c.func) == "self.info.clear" for c in _calls(methods["package_id"], "clear")),
                 "conanfile.py: package_id() calls self.info.clear()")
    if "validate" in methods:
        calls = _calls(methods["validate"], "check_min_cppstd")
        good = [c for c in calls if len(c.args) >= 2 and _const(c.args[1]) in (17, "17")]
        check.ok(good, "conanfile.py: validate() calls check_min_cppstd(self, 17)",
                 f"calls: {[ast.unparse(c) for c in calls]}")
        check.ok(good and _under_if_mentioning(methods["validate"], good[0], "cppstd"),
                 "conanfile.py: validate() checks the standard only when cppstd is set")
    if "package_info" in methods:
        pi = methods["package_info"]
        # The names (outlet-config.cmake, outlet::outlet, outlet.pc) and
        # ws2_32 on Windows are checked on CMakeDeps'/PkgConfigDeps' real
        # output by real_tools.py conan-create.
        source = ast.unparse(pi)
        for dirs in ("bindirs", "libdirs"):
            check.ok(re.search(rf"self\.cpp_info\.{dirs}\s*=\s*\[\]", source),
                     f"conanfile.py: package_info() sets cpp_info.{dirs} = []")
    check.ok(any(isinstance(n, ast.FunctionDef) and n.name == "read_project_version" for n in tree.body),
             "conanfile.py: has the module-level read_project_version(path)")


def check_test_package_ast(check, tree):
    # That test_package requires the tested reference and builds and runs
    # against the package is what `conan create` shows (real_tools.py); what
    # it does not show is the cross-build path, where the program cannot run.
    cls = _recipe_class(tree)
    if not check.ok(cls is not None, "test_package/conanfile.py: defines a ConanFile subclass"):
        return
    methods = _methods(cls)
    check.ok("test" in methods and _calls(methods["test"], "can_run"),
             "test_package/conanfile.py: test() runs the program only if can_run()")


def _version_reader(tree, path):
    """The recipe's read_project_version(), executed on its own.

    Built from conanfile.py's syntax tree: its module-level imports of the
    standard library, its constant assignments (the regex) and that one
    function. No `conan` module is needed, so this runs without Conan; the
    rest of the recipe is run by the real Conan (tests/packaging/real_tools.py).
    """
    keep = []
    for node in tree.body:
        if isinstance(node, ast.Import) and all(a.name in ("os", "re") for a in node.names):
            keep.append(node)
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.startswith("_")
                                                  for t in node.targets):
            keep.append(node)
        elif isinstance(node, ast.FunctionDef) and node.name == "read_project_version":
            keep.append(node)
    namespace = {}
    exec(compile(ast.Module(body=keep, type_ignores=[]), str(path), "exec"), namespace)  # noqa: S102
    return namespace.get("read_project_version")


def check_version_reader(check, root, version, tree, tmp):
    """conanfile.py's version reader on the real CMakeLists.txt and on samples it must read or refuse."""
    try:
        reader = _version_reader(tree, root / "conanfile.py")
    except Exception as e:  # noqa: BLE001 - any error here is the finding
        check.fail("conanfile.py: read_project_version() runs on its own (only os and re)", f"{type(e).__name__}: {e}")
        return
    if not check.ok(callable(reader), "conanfile.py: read_project_version() runs on its own (only os and re)"):
        return
    got = reader(str(root / "CMakeLists.txt"))
    check.ok(got == version, f"read_project_version(CMakeLists.txt) returns project(VERSION) {version}",
             f"the recipe reads {got!r}, CMakeLists.txt says {version!r}")
    samples = {
        "upper-case PROJECT, one line": ("PROJECT(outlet VERSION 2.3.4 LANGUAGES CXX)\n", "2.3.4"),
        "commented-out call first": ("# project(outlet VERSION 9.9.9)\nproject(outlet\n  VERSION 1.2.3)\n", "1.2.3"),
        "other project only": ("project(other VERSION 1.0.0)\n", None),
        "no VERSION": ("project(outlet LANGUAGES CXX)\n", None),
    }
    for what, (text, want) in samples.items():
        sample = tmp / "CMakeLists-sample.txt"
        sample.write_text(text, encoding="utf-8")
        try:
            result, error = reader(str(sample)), None
        except ValueError as e:
            result, error = None, str(e)
        if want is None:
            check.ok(error and str(sample) in error,
                     f"read_project_version refuses a file with {what}, naming the file",
                     f"returned {result!r}" if error is None else f"message {error!r}")
        else:
            check.ok(result == want, f"read_project_version reads {what}", f"got {result!r}, error {error!r}")


def mode_conan(args):
    root = args.root
    check = Checker("conan")
    version = checked_project_version(check, root)
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    with tempfile.TemporaryDirectory(prefix="outlet-conan-check-") as tmp_name:
        tmp = Path(tmp_name)
        trees = {}
        for rel in ("conanfile.py", "test_package/conanfile.py"):
            path = root / rel
            try:
                py_compile.compile(str(path), cfile=str(tmp / (rel.replace("/", "_") + "c")), doraise=True)
                trees[rel] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
                check.ok(True, f"{rel} compiles (py_compile)")
            except (OSError, py_compile.PyCompileError, SyntaxError) as e:
                check.fail(f"{rel} compiles (py_compile)", str(e).strip())
        if "conanfile.py" in trees:
            check_recipe_ast(check, root / "conanfile.py", trees["conanfile.py"])
        if "test_package/conanfile.py" in trees:
            check_test_package_ast(check, trees["test_package/conanfile.py"])
        if "conanfile.py" in trees and version:
            check_version_reader(check, root, version, trees["conanfile.py"], tmp)
    return check.finish()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=ROOT_DEFAULT,
                        help="outlet's source root (default: two levels above this script)")
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("vcpkg-json", help="the two vcpkg ports' files")
    p.add_argument("--release", action="store_true", help="also fail on the placeholders the release step fills in")
    sub.add_parser("conan", help="conanfile.py and test_package/")
    args = parser.parse_args(argv)
    args.root = args.root.resolve()
    return {"vcpkg-json": mode_vcpkg_json, "conan": mode_conan}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
