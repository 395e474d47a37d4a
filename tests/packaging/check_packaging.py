#!/usr/bin/env python3
"""Offline checks of outlet's vcpkg port and Conan recipe (Python 3 stdlib only).

Neither vcpkg nor Conan can be installed on outlet's machines, so these checks
test what can be tested without them. Each mode is one CTest test:

  check_packaging.py vcpkg-json
      Both vcpkg.json files (packaging/vcpkg/ports/outlet and
      packaging/vcpkg/overlay-ports/outlet) parse, have the fields a port
      needs, and say the version of CMakeLists.txt's project(); both port
      folders hold portfile.cmake and usage; each portfile makes the calls a
      header-only port makes; the usage file's CMake lines appear in README.md.
      With --release, the placeholders the release step fills in are errors.

  check_packaging.py conan
      conanfile.py and test_package/conanfile.py compile; the recipe's
      attributes and calls are checked from its syntax tree; then the recipe is
      imported with a stand-in `conan` package (written to a temporary folder,
      see STAND_IN_CONAN) and its version reading, validate(), package() and
      package_info() are run against this checkout.

  check_packaging.py config-path --prefix P
      P is a `cmake --install` prefix of outlet. The CONFIG_PATH that each
      portfile gives vcpkg_cmake_config_fixup exists in P and holds outlet's
      CMake package, written in the form whose relative prefix vcpkg's fixup
      rewrites; P/share/pkgconfig/outlet.pc exists and is relocatable.

  check_packaging.py vcpkg-emulate --source S --work W [--port overlay|registry|both] [--windows]
      Runs a portfile under tests/packaging/vcpkg_emulator.cmake: an
      EMULATION of the vcpkg helpers (our own minimal stand-ins, not vcpkg),
      then checks the package layout and builds test_package/ against it.

Every mode prints one line per check and exits 0 when all pass, 1 when any
fails (each failure quoted on a FAIL line), 2 on a usage error.
"""

import argparse
import ast
import importlib.util
import json
import py_compile
import re
import shutil
import subprocess
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


def config_path_of(portfile_text):
    """CONFIG_PATH given to vcpkg_cmake_config_fixup, its default share/<PACKAGE_NAME|outlet>, or None if not called."""
    args = _cmake_call(_strip_cmake_comments(portfile_text), "vcpkg_cmake_config_fixup")
    if args is None:
        return None
    words = [w.strip('"') for w in args.split()]
    if "CONFIG_PATH" in words and words.index("CONFIG_PATH") + 1 < len(words):
        return words[words.index("CONFIG_PATH") + 1]
    if "PACKAGE_NAME" in words and words.index("PACKAGE_NAME") + 1 < len(words):
        return "share/" + words[words.index("PACKAGE_NAME") + 1]
    return "share/outlet"


def usage_cmake_lines(text):
    """The CMake command lines of a vcpkg usage file (indented `command(...)` lines)."""
    return [line.strip() for line in text.splitlines()
            if re.match(r"^\s+[A-Za-z_][A-Za-z0-9_]*\(.*\)\s*$", line)]


def check_portfile(check, kind, port_dir, root, text):
    body = _strip_cmake_comments(text)
    label = f"{kind} portfile.cmake"
    check.ok(re.search(r"set\(\s*VCPKG_BUILD_TYPE\s+release\s*\)", body), f"{label}: set(VCPKG_BUILD_TYPE release)",
             "headers only: vcpkg should build the release configuration only")
    configure = _cmake_call(body, "vcpkg_cmake_configure")
    if check.ok(configure is not None, f"{label}: calls vcpkg_cmake_configure"):
        check.ok(re.search(r'SOURCE_PATH\s+"?\$\{SOURCE_PATH\}"?', configure),
                 f"{label}: vcpkg_cmake_configure(SOURCE_PATH ${{SOURCE_PATH}})", f"got: {configure.split()[:2]}")
        for option in ("-DOUTLET_BUILD_TESTS=OFF", "-DOUTLET_BUILD_EXAMPLES=OFF", "-DOUTLET_BUILD_BENCH=OFF"):
            check.ok(option in configure.split(), f"{label}: configures with {option}")
    check.ok(_cmake_call(body, "vcpkg_cmake_install") is not None, f"{label}: calls vcpkg_cmake_install()")
    check.ok(config_path_of(text) == "share/cmake/outlet",
             f"{label}: vcpkg_cmake_config_fixup(CONFIG_PATH share/cmake/outlet)",
             f"CONFIG_PATH is {config_path_of(text)!r}; outlet installs its package to share/cmake/outlet")
    check.ok(_cmake_call(body, "vcpkg_fixup_pkgconfig") is not None, f"{label}: calls vcpkg_fixup_pkgconfig()")
    copyright_args = _cmake_call(body, "vcpkg_install_copyright")
    check.ok(copyright_args is not None and re.search(r"FILE_LIST\s+\"?\$\{SOURCE_PATH\}/LICENSE\"?", copyright_args),
             f"{label}: vcpkg_install_copyright(FILE_LIST ${{SOURCE_PATH}}/LICENSE)", f"got: {copyright_args!r}")
    check.ok(re.search(r'file\(\s*INSTALL\s+"?\$\{CMAKE_CURRENT_LIST_DIR\}/usage"?\s+DESTINATION\s+'
                       r'"?\$\{CURRENT_PACKAGES_DIR\}/share/\$\{PORT\}"?\s*\)', body),
             f"{label}: installs usage to share/${{PORT}}")
    order = [body.find(name) for name in ("vcpkg_cmake_configure", "vcpkg_cmake_install(",
                                          "vcpkg_cmake_config_fixup", "vcpkg_fixup_pkgconfig")]
    check.ok(-1 not in order and order == sorted(order),
             f"{label}: configure, install, config fixup, pkgconfig fixup in that order")

    from_github = _cmake_call(body, "vcpkg_from_github")
    if kind == "registry":
        if check.ok(from_github is not None, f"{label}: gets the source with vcpkg_from_github"):
            for arg in ("OUT_SOURCE_PATH", "REPO", "REF", "SHA512", "HEAD_REF"):
                check.ok(re.search(rf"\b{arg}\b", from_github), f"{label}: vcpkg_from_github has {arg}")
    else:
        check.ok(from_github is None and not re.search(r"vcpkg_(download_distfile|from_git\w*)\s*\(", body),
                 f"{label}: downloads nothing", "the overlay port must build the local tree offline")
        m = re.search(r'get_filename_component\(\s*SOURCE_PATH\s+"\$\{CMAKE_CURRENT_LIST_DIR\}/([^"]*)"\s+ABSOLUTE\s*\)', body)
        if check.ok(m, f"{label}: SOURCE_PATH is relative to CMAKE_CURRENT_LIST_DIR"):
            resolved = (port_dir / m.group(1)).resolve()
            check.ok(resolved == root.resolve(), f"{label}: SOURCE_PATH resolves to the source root",
                     f"'{m.group(1)}' from {port_dir} is {resolved}, not {root.resolve()}")


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
        check_portfile(check, kind, port_dir, root, portfile_text)
        if args.release:
            check_release_placeholders(check, kind, manifest, portfile_text)

    if len(manifests) == 2:
        a, b = manifests["registry"], manifests["overlay"]
        for key in ("name", "license", *[f for f in VERSION_FIELDS if f in a or f in b]):
            check.ok(a.get(key) == b.get(key), f"both vcpkg.json files agree on {key}",
                     f"registry {a.get(key)!r}, overlay {b.get(key)!r}")
    return check.finish()


# ---------------------------------------------------------------------------
# conan
# ---------------------------------------------------------------------------
# A stand-in for the few names the recipes import from Conan 2. Our own code,
# written to the temporary folder by the check; it imitates only what the
# check calls (settings, cpp_info.set_property/system_libs, copy()'s fnmatch
# semantics, check_min_cppstd's comparison). It is not Conan.
STAND_IN_CONAN = {
    "conan/__init__.py": '''
class _Settings:
    def __init__(self, values):
        self._values = dict(values)
    def get_safe(self, name, default=None):
        return self._values.get(name, default)
    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._values.get(name)

class _CppInfo:
    def __init__(self):
        self.properties = {}
        self.includedirs = ["include"]
        self.bindirs = ["bin"]
        self.libdirs = ["lib"]
        self.frameworkdirs = []
        self.resdirs = []
        self.system_libs = []
    def set_property(self, name, value):
        self.properties[name] = value

class _Info:
    def __init__(self):
        self.cleared = False
    def clear(self):
        self.cleared = True

class ConanFile:
    name = None
    version = None
    def __init__(self, settings=None):
        self.settings = _Settings(settings or {})
        self.info = _Info()
        self.cpp_info = _CppInfo()
        self.recipe_folder = None
        self.source_folder = None
        self.package_folder = None
''',
    "conan/errors.py": '''
class ConanException(Exception):
    pass

class ConanInvalidConfiguration(ConanException):
    pass
''',
    "conan/tools/__init__.py": "",
    "conan/tools/build.py": '''
from conan.errors import ConanInvalidConfiguration
calls = []

def check_min_cppstd(conanfile, cppstd, gnu_extensions=False):
    calls.append(int(cppstd))
    current = conanfile.settings.get_safe("compiler.cppstd")
    if current is None:
        raise ConanInvalidConfiguration("The compiler.cppstd is not defined for this configuration")
    year = lambda s: (lambda n: n + (1900 if n >= 90 else 2000))(int(str(s).replace("gnu", "")))
    if year(current) < year(cppstd):
        raise ConanInvalidConfiguration(f"Current cppstd ({current}) is lower than the required C++ standard ({cppstd}).")

def can_run(conanfile):
    return True
''',
    "conan/tools/files.py": '''
import fnmatch, os, shutil

def copy(conanfile, pattern, src, dst, keep_path=True, excludes=None):
    copied = []
    for folder, _, files in os.walk(src):
        for name in files:
            rel = os.path.relpath(os.path.join(folder, name), src)
            if fnmatch.fnmatch(rel, pattern):
                target = os.path.join(dst, rel if keep_path else name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(os.path.join(folder, name), target)
                copied.append(target)
    return copied

def load(conanfile, path, encoding="utf-8"):
    with open(path, encoding=encoding) as f:
        return f.read()
''',
    "conan/tools/layout.py": '''
def basic_layout(conanfile, src_folder=".", build_folder=None):
    pass

def cmake_layout(conanfile, *args, **kwargs):
    pass
''',
    "conan/tools/cmake.py": '''
from conan.tools.layout import cmake_layout

class CMake:
    def __init__(self, conanfile):
        pass
    def configure(self, *args, **kwargs):
        pass
    def build(self, *args, **kwargs):
        pass
    def install(self, *args, **kwargs):
        pass

class CMakeToolchain(CMake):
    def generate(self):
        pass

class CMakeDeps(CMakeToolchain):
    pass
''',
}


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
        props = {_const(c.args[0]): _const(c.args[1]) for c in _calls(pi, "set_property") if len(c.args) == 2}
        for key, want in (("cmake_file_name", "outlet"), ("cmake_target_name", "outlet::outlet"),
                          ("pkg_config_name", "outlet")):
            check.ok(props.get(key) == want, f'conanfile.py: package_info() sets {key} = "{want}"',
                     f"got {props.get(key)!r}")
        source = ast.unparse(pi)
        for dirs in ("bindirs", "libdirs"):
            check.ok(re.search(rf"self\.cpp_info\.{dirs}\s*=\s*\[\]", source),
                     f"conanfile.py: package_info() sets cpp_info.{dirs} = []")
        ws2 = [n for n in ast.walk(pi) if isinstance(n, ast.Constant) and n.value == "ws2_32"]
        check.ok(ws2 and _under_if_mentioning(pi, ws2[0], "Windows"),
                 "conanfile.py: package_info() adds ws2_32 to system_libs on Windows")
    check.ok(any(isinstance(n, ast.FunctionDef) and n.name == "read_project_version" for n in tree.body),
             "conanfile.py: has the module-level read_project_version(path)")


def check_test_package_ast(check, tree, root):
    cls = _recipe_class(tree)
    if not check.ok(cls is not None, "test_package/conanfile.py: defines a ConanFile subclass"):
        return
    attrs = {k: _const(v) for k, v in _class_attrs(cls).items()}
    check.ok(attrs.get("test_type") == "explicit", 'test_package/conanfile.py: test_type = "explicit"',
             f"got {attrs.get('test_type')!r}")
    generators = attrs.get("generators") or ()
    check.ok({"CMakeDeps", "CMakeToolchain"} <= set(generators),
             "test_package/conanfile.py: generators CMakeDeps and CMakeToolchain", f"got {generators!r}")
    methods = _methods(cls)
    reqs = _calls(methods["requirements"], "requires") if "requirements" in methods else []
    check.ok(any(c.args and ast.unparse(c.args[0]) == "self.tested_reference_str" for c in reqs),
             "test_package/conanfile.py: requirements() requires self.tested_reference_str")
    check.ok("test" in methods and _calls(methods["test"], "can_run"),
             "test_package/conanfile.py: test() runs the program only if can_run()")
    cml = (root / "test_package/CMakeLists.txt")
    cml_text = _strip_cmake_comments(cml.read_text(encoding="utf-8")) if cml.is_file() else ""
    check.ok(re.search(r"find_package\(\s*outlet\s+CONFIG\s+REQUIRED\s*\)", cml_text),
             "test_package/CMakeLists.txt: find_package(outlet CONFIG REQUIRED)")
    check.ok("outlet::outlet" in cml_text, "test_package/CMakeLists.txt: links outlet::outlet")
    cpp = root / "test_package/test_package.cpp"
    cpp_text = cpp.read_text(encoding="utf-8") if cpp.is_file() else ""
    check.ok("#include <outlet/outlet.hpp>" in cpp_text and "OUTLET_VERSION_STRING" in cpp_text,
             "test_package/test_package.cpp: includes outlet/outlet.hpp and prints OUTLET_VERSION_STRING")


def _import_file(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_recipe_runtime(check, root, version, tmp):
    """Import conanfile.py against the stand-in conan package and run its methods on this checkout."""
    stand_in = tmp / "stand_in"
    for rel, text in STAND_IN_CONAN.items():
        (stand_in / rel).parent.mkdir(parents=True, exist_ok=True)
        (stand_in / rel).write_text(text.lstrip(), encoding="utf-8")
    sys.path.insert(0, str(stand_in))
    try:
        recipe = _import_file("outlet_conanfile", root / "conanfile.py")
        _import_file("outlet_test_package_conanfile", root / "test_package/conanfile.py")
    except Exception as e:  # noqa: BLE001 - any import error is the finding
        check.fail("conanfile.py and test_package/conanfile.py import (with the stand-in conan)",
                   f"{type(e).__name__}: {e}")
        return
    check.ok(True, "conanfile.py and test_package/conanfile.py import (with the stand-in conan)")
    from conan.errors import ConanException, ConanInvalidConfiguration  # the stand-in's
    import conan.tools.build as stand_in_build

    # The recipe's version reader, on the real CMakeLists.txt and on ones it must handle or refuse.
    got = recipe.read_project_version(str(root / "CMakeLists.txt"))
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
            result, error = recipe.read_project_version(str(sample)), None
        except ValueError as e:
            result, error = None, str(e)
        if want is None:
            check.ok(error and str(sample) in error, f"read_project_version refuses a file with {what}, naming the file",
                     f"returned {result!r}" if error is None else f"message {error!r}")
        else:
            check.ok(result == want, f"read_project_version reads {what}", f"got {result!r}, error {error!r}")

    OutletConan = next((v for v in vars(recipe).values()
                        if isinstance(v, type) and v.__module__ == recipe.__name__ and hasattr(v, "package_info")), None)
    if not check.ok(OutletConan is not None, "conanfile.py: the recipe class is found after import"):
        return

    conanfile = OutletConan()
    conanfile.recipe_folder = str(root)
    conanfile.set_version()
    check.ok(conanfile.version == version, f"set_version() sets {version} from CMakeLists.txt", f"got {conanfile.version!r}")
    conanfile = OutletConan()
    conanfile.version = "7.7.7"
    conanfile.recipe_folder = str(root)
    conanfile.set_version()
    check.ok(conanfile.version == "7.7.7", "set_version() keeps a --version given on the command line",
             f"got {conanfile.version!r}")
    conanfile = OutletConan()
    conanfile.recipe_folder = str(tmp / "nowhere")
    try:
        conanfile.set_version()
        check.fail("set_version() fails clearly without CMakeLists.txt", f"it set version {conanfile.version!r}")
    except ConanException as e:
        check.ok("CMakeLists.txt" in str(e), "set_version() fails clearly without CMakeLists.txt", f"message: {e}")

    conanfile = OutletConan()
    conanfile.package_id()
    check.ok(conanfile.info.cleared, "package_id() clears the package id")

    for cppstd, accepted in ((None, True), ("17", True), ("gnu20", True), ("14", False), ("11", False)):
        conanfile = OutletConan({"compiler.cppstd": cppstd} if cppstd else {})
        stand_in_build.calls.clear()
        try:
            conanfile.validate()
            result = True
        except ConanInvalidConfiguration:
            result = False
        check.ok(result == accepted, f"validate() {'accepts' if accepted else 'refuses'} compiler.cppstd={cppstd}")
        if cppstd:
            check.ok(stand_in_build.calls == [17], f"validate() asks check_min_cppstd for 17 (cppstd={cppstd})",
                     f"calls {stand_in_build.calls}")

    conanfile = OutletConan()
    conanfile.source_folder = str(root)
    conanfile.package_folder = str(tmp / "package")
    conanfile.package()
    pkg = tmp / "package"
    want = sorted(p.relative_to(root / "include").as_posix() for p in (root / "include").rglob("*.hpp"))
    have = sorted(p.relative_to(pkg / "include").as_posix() for p in (pkg / "include").rglob("*.hpp")) \
        if (pkg / "include").is_dir() else []
    check.ok(want and have == want, f"package() copies all {len(want)} headers to include/",
             f"missing {sorted(set(want) - set(have))}, extra {sorted(set(have) - set(want))}")
    check.ok((pkg / "licenses/LICENSE").is_file(), "package() copies LICENSE to licenses/")
    others = sorted(p.relative_to(pkg).as_posix() for p in pkg.rglob("*")
                    if p.is_file() and not p.relative_to(pkg).as_posix().startswith(("include/", "licenses/")))
    check.ok(not others, "package() puts nothing else in the package", f"also: {others}")

    for os_name, libs in (("Linux", []), ("Macos", []), ("Windows", ["ws2_32"])):
        conanfile = OutletConan({"os": os_name})
        conanfile.package_info()
        info = conanfile.cpp_info
        check.ok(list(info.system_libs) == libs, f"package_info() on {os_name}: system_libs {libs}",
                 f"got {info.system_libs}")
        if os_name == "Linux":
            check.ok(info.properties.get("cmake_file_name") == "outlet"
                     and info.properties.get("cmake_target_name") == "outlet::outlet"
                     and info.properties.get("pkg_config_name") == "outlet",
                     "package_info(): CMake file outlet, target outlet::outlet, pkg-config outlet",
                     f"got {info.properties}")
            check.ok(info.bindirs == [] and info.libdirs == [] and info.includedirs == ["include"],
                     "package_info(): headers only (include/, no bin/ or lib/)",
                     f"bindirs {info.bindirs}, libdirs {info.libdirs}, includedirs {info.includedirs}")


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
            check_test_package_ast(check, trees["test_package/conanfile.py"], root)
        if len(trees) == 2 and version:
            saved_modules = {k: v for k, v in sys.modules.items() if k == "conan" or k.startswith("conan.")}
            saved_path = list(sys.path)
            try:
                check_recipe_runtime(check, root, version, tmp)
            finally:
                for k in [k for k in sys.modules if k == "conan" or k.startswith("conan.")]:
                    del sys.modules[k]
                sys.modules.update(saved_modules)
                sys.path[:] = saved_path
    return check.finish()


# ---------------------------------------------------------------------------
# config-path
# ---------------------------------------------------------------------------
def mode_config_path(args):
    root, prefix = args.root, args.prefix
    check = Checker("config-path")
    version = checked_project_version(check, root)
    if not check.ok(prefix.is_dir(), f"install prefix {prefix} exists"):
        return check.finish()
    for kind, rel in PORT_DIRS.items():
        portfile = root / rel / "portfile.cmake"
        try:
            config_path = config_path_of(portfile.read_text(encoding="utf-8"))
        except OSError as e:
            check.fail(f"{rel}/portfile.cmake is readable", str(e))
            continue
        if not check.ok(config_path, f"{kind} portfile calls vcpkg_cmake_config_fixup"):
            continue
        config_dir = prefix / config_path
        if not check.ok(config_dir.is_dir(), f"{kind} port's CONFIG_PATH {config_path} is a directory in {prefix}",
                        f"{config_dir} does not exist; `cmake --install` put outletConfig.cmake in "
                        f"{sorted(str(p.parent.relative_to(prefix)) for p in prefix.rglob('outletConfig.cmake'))}"):
            continue
        for name in ("outletConfig.cmake", "outletConfigVersion.cmake", "outletTargets.cmake"):
            check.ok((config_dir / name).is_file(), f"{config_path}/{name} exists")

    # The same directory for both ports, so check its contents once.
    config_dir = prefix / "share/cmake/outlet"
    depth = len(Path("share/cmake/outlet").parts)
    targets = config_dir / "outletTargets.cmake"
    if targets.is_file():
        text = targets.read_text(encoding="utf-8")
        ups = re.search(r'get_filename_component\(_IMPORT_PREFIX "\$\{CMAKE_CURRENT_LIST_FILE\}" PATH\)'
                        r'((?:\s*get_filename_component\(_IMPORT_PREFIX "\$\{_IMPORT_PREFIX\}" PATH\))*)', text)
        levels = len(re.findall("get_filename_component", ups.group(1))) if ups else None
        check.ok(levels == depth, f"outletTargets.cmake finds its prefix {depth} levels up, in the form "
                 "vcpkg_cmake_config_fixup rewrites",
                 f"found {levels!r} levels; vcpkg's prefix correction expects chained "
                 "get_filename_component(_IMPORT_PREFIX ... PATH) lines")
        check.ok(str(prefix) not in text, "outletTargets.cmake holds no absolute path to the prefix")
    config = config_dir / "outletConfig.cmake"
    if config.is_file():
        text = config.read_text(encoding="utf-8")
        check.ok(re.search(r'get_filename_component\(PACKAGE_PREFIX_DIR "\$\{CMAKE_CURRENT_LIST_DIR\}/'
                           + r"\.\./" * depth + r'" ABSOLUTE\)', text),
                 "outletConfig.cmake computes PACKAGE_PREFIX_DIR in the form vcpkg_cmake_config_fixup rewrites")
    config_version = config_dir / "outletConfigVersion.cmake"
    if config_version.is_file():
        m = re.search(r'set\(PACKAGE_VERSION "([^"]*)"\)', config_version.read_text(encoding="utf-8"))
        check.ok(m and m.group(1) == version, f"outletConfigVersion.cmake says version {version}",
                 f"got {m.group(1) if m else None!r} (an old install in {prefix}?)")

    pc = prefix / "share/pkgconfig/outlet.pc"
    if check.ok(pc.is_file(), "share/pkgconfig/outlet.pc exists (where vcpkg_fixup_pkgconfig looks)"):
        text = pc.read_text(encoding="utf-8")
        check.ok(re.search(r"^prefix=\$\{pcfiledir\}/\.\./\.\.\s*$", text, flags=re.M),
                 "outlet.pc: prefix is relative to the .pc file (${pcfiledir}/../..)",
                 f"prefix line: {re.findall(r'^prefix=.*$', text, flags=re.M)}")
        check.ok(re.search(rf"^Version: {re.escape(version or '')}\s*$", text, flags=re.M),
                 f"outlet.pc: Version: {version}")
        check.ok(re.search(r"^Libs:\s*$", text, flags=re.M) or re.search(r"^Libs:\s*-lws2_32\s*$", text, flags=re.M),
                 "outlet.pc: Libs is empty (or -lws2_32 for Windows)",
                 f"got {re.findall(r'^Libs:.*$', text, flags=re.M)}")
        check.ok(str(prefix) not in text, "outlet.pc holds no absolute path to the prefix")
    return check.finish()


# ---------------------------------------------------------------------------
# vcpkg-emulate
# ---------------------------------------------------------------------------
def mode_vcpkg_emulate(args):
    root = args.root
    check = Checker("vcpkg-emulate")
    source = args.source.resolve()
    emulator = root / "tests/packaging/vcpkg_emulator.cmake"
    cmake = shutil.which("cmake")
    if not check.ok(cmake, "cmake is on PATH"):
        return check.finish()
    ports = ["overlay", "registry"] if args.port == "both" else [args.port]
    if "registry" in ports:
        # Before the release step, the registry port must stop at its placeholder, saying why.
        work = args.work.resolve() / "registry-placeholder"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        result = subprocess.run(
            [cmake, f"-DPORT_DIR={source / PORT_DIRS['registry']}", f"-DSOURCE={source}", f"-DWORK={work}",
             "-DKEEP_PLACEHOLDERS=ON", "-P", str(emulator)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        placeholder = re.search(r'set\(OUTLET_RELEASE_REPO "([^"]*)"\)',
                                (source / PORT_DIRS["registry"] / "portfile.cmake").read_text(encoding="utf-8"))
        if placeholder and re.search(r"[<>]", placeholder.group(1)):
            check.ok(result.returncode != 0 and "no release repository yet" in result.stdout,
                     "registry port with its placeholder repository stops before downloading, saying why",
                     f"exit {result.returncode}; output ends: {result.stdout[-600:]}")
    for kind in ports:
        work = args.work.resolve() / (kind + ("-windows" if args.windows else ""))
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        command = [cmake, f"-DPORT_DIR={source / PORT_DIRS[kind]}", f"-DSOURCE={source}", f"-DWORK={work}",
                   f"-DTARGET_WINDOWS={'ON' if args.windows else 'OFF'}", "-P", str(emulator)]
        print(f"\n---- {kind} port: {' '.join(command)}", flush=True)
        log = work / "emulator.log"
        with open(log, "w", encoding="utf-8") as out:
            result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, text=True)
        text = log.read_text(encoding="utf-8")
        for line in text.splitlines():
            if line.startswith(("-- emulator: ok", "-- emulator: FAIL")):
                print("   ", line[len("-- emulator: "):])
        if result.returncode != 0:
            tail = "\n".join(text.splitlines()[-25:])
            check.fail(f"{kind} port runs under the emulator and its package checks pass",
                       f"cmake -P exited {result.returncode}; log {log}; last lines:\n{tail}")
        else:
            check.ok(True, f"{kind} port runs under the emulator and its package checks pass")
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
    p = sub.add_parser("config-path", help="the ports' CONFIG_PATH against a `cmake --install` prefix")
    p.add_argument("--prefix", type=Path, required=True)
    p = sub.add_parser("vcpkg-emulate", help="run a portfile under tests/packaging/vcpkg_emulator.cmake (an emulation)")
    p.add_argument("--source", type=Path, required=True, help="outlet's source tree (holds the ports)")
    p.add_argument("--work", type=Path, required=True, help="scratch folder; emptied per port")
    p.add_argument("--port", choices=("overlay", "registry", "both"), default="both")
    p.add_argument("--windows", action="store_true",
                   help="emulate a Windows triplet with the MinGW-w64 toolchain (cmake/toolchains/mingw-w64.cmake)")
    args = parser.parse_args(argv)
    args.root = args.root.resolve()
    if args.mode == "config-path":
        args.prefix = args.prefix.resolve()
    return {"vcpkg-json": mode_vcpkg_json, "conan": mode_conan,
            "config-path": mode_config_path, "vcpkg-emulate": mode_vcpkg_emulate}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
