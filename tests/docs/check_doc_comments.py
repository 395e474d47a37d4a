#!/usr/bin/env python3
"""Every public declaration in include/outlet carries a /// comment.

Asks clang for the AST of <outlet/outlet.hpp> and, where OpenSSL's headers
are installed, <outlet/tls.hpp> (JSON), walks namespace outlet
(not outlet::detail) and reports each declaration that has no doc comment:
classes, structs, enums and their enumerators, functions, public members,
type aliases and variables. Out-of-line definitions are skipped (the comment
belongs on the declaration). Public macros (#define OUTLET_... in the
top-level headers) need a /// line too.

One comment covers a run of adjacent overloads of the same name, as in the
headers' habit of documenting a call once above its throwing and
std::error_code forms.

Usage: check_doc_comments.py [--clang clang++] [--include DIR]
Exits 0 when nothing is missing, 1 otherwise, 77 when clang is not installed.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

CHECKED_KINDS = {
    "CXXRecordDecl", "ClassTemplateDecl", "EnumDecl", "EnumConstantDecl",
    "FunctionDecl", "FunctionTemplateDecl", "CXXMethodDecl", "CXXConstructorDecl",
    "CXXDestructorDecl", "CXXConversionDecl", "FieldDecl", "TypeAliasDecl",
    "TypedefDecl", "VarDecl",
}
# Members whose meaning is fixed by the language; a comment would say nothing.
EXEMPT_NAMES = {"operator=", "~"}


def has_doc(node):
    return any(child.get("kind") == "FullComment" for child in node.get("inner", []))


def location_file(node, current):
    loc = node.get("loc", {})
    for key in ("spellingLoc", "expansionLoc"):
        if key in loc and "file" in loc[key]:
            return loc[key]["file"]
    return loc.get("file", current)


def location_line(node):
    loc = node.get("loc", {})
    for key in ("spellingLoc", "expansionLoc"):
        if key in loc and "line" in loc[key]:
            return loc[key]["line"]
    return loc.get("line", "?")


class Walker:
    def __init__(self, include_dir):
        self.include_dir = os.path.realpath(include_dir)
        self.file = None
        self.line = None
        self.missing = []
        self.checked = 0
        self.previous = None  # (scope, name, documented) of the last checked sibling

    def track(self, node):
        # clang's JSON writes a location field only when it changes, in the
        # order spelling, expansion: the last one written is where the
        # declaration is (a macro's expansion, e.g. OUTLET_ABI_NAMESPACE,
        # is in the file that uses it, not in the file defining the macro).
        loc = node.get("loc", {})
        for key in ("spellingLoc", "expansionLoc", None):
            part = loc.get(key) if key else loc
            if isinstance(part, dict):
                if "file" in part:
                    self.file = part["file"]
                if "line" in part:
                    self.line = part["line"]
        rng = node.get("range", {})
        for end in ("begin", "end"):
            part = rng.get(end, {})
            for key in ("spellingLoc", "expansionLoc", None):
                sub = part.get(key) if key else part
                if isinstance(sub, dict) and "file" in sub:
                    self.file = sub["file"]

    def public_file(self):
        if not self.file:
            return False
        path = os.path.realpath(self.file)
        return path.startswith(self.include_dir + os.sep) and os.sep + "detail" + os.sep not in path

    def walk(self, node, scope, access_public):
        self.track(node)
        kind = node.get("kind")
        name = node.get("name", "")
        if kind == "NamespaceDecl":
            if name in ("detail",) or name.startswith("__"):
                return
            for child in node.get("inner", []):
                self.walk(child, scope + [name], True)
            return
        if "outlet" not in scope:
            for child in node.get("inner", []):
                if child.get("kind") in ("NamespaceDecl", "LinkageSpecDecl"):
                    self.walk(child, scope, True)
                else:
                    self.track(child)
            return
        if node.get("isImplicit") or not access_public:
            self.skip(node)
            return
        if kind == "FriendDecl" and self.public_file():
            # A friend function defined in the class (operator==, ...) is
            # public API; its comment sits on the friend declaration.
            functions = [c for c in node.get("inner", []) if c.get("kind") in ("FunctionDecl", "FunctionTemplateDecl")]
            for function in functions:
                fname = function.get("name", "")
                self.checked += 1
                documented = has_doc(node) or has_doc(function) or (
                    self.previous is not None and self.previous[:2] == (scope, fname) and self.previous[2])
                self.previous = (scope, fname, documented)
                if not documented:
                    self.missing.append((self.file, self.line, "friend", "::".join(scope + [fname])))
            self.skip(node)
            return
        if kind in CHECKED_KINDS and self.public_file():
            out_of_line = "previousDecl" in node and kind in (
                "CXXMethodDecl", "CXXConstructorDecl", "CXXDestructorDecl",
                "CXXConversionDecl", "FunctionDecl", "FunctionTemplateDecl", "VarDecl")
            record_forward = kind == "CXXRecordDecl" and not node.get("completeDefinition")
            if not out_of_line and not record_forward and name not in EXEMPT_NAMES \
                    and not name.startswith("~") and not self.is_special(node):
                self.checked += 1
                documented = has_doc(node) or (
                    self.previous is not None and self.previous[:2] == (scope, name)
                    and self.previous[2])
                self.previous = (scope, name, documented)
                if not documented:
                    self.missing.append((self.file, self.line, kind, "::".join(scope + [name])))
            else:
                self.previous = None
        if kind in ("CXXRecordDecl", "ClassTemplateDecl", "EnumDecl"):
            default_public = node.get("tagUsed") != "class"
            access = default_public
            for child in node.get("inner", []):
                if child.get("kind") == "AccessSpecDecl":
                    self.track(child)
                    access = child.get("access") == "public"
                    continue
                if child.get("kind") == "CXXRecordDecl" and child.get("isImplicit"):
                    self.track(child)
                    continue  # the injected class name
                self.walk(child, scope + [name], access if kind != "EnumDecl" else True)
        else:
            for child in node.get("inner", []):
                self.track(child)
                self.skip(child)

    def skip(self, node):
        for child in node.get("inner", []):
            self.track(child)
            self.skip(child)

    @staticmethod
    def is_special(node):
        # Defaulted/deleted copy and move members say what they are in code.
        if node.get("kind") not in ("CXXConstructorDecl", "CXXMethodDecl"):
            return False
        return node.get("explicitlyDeleted") or node.get("explicitlyDefaulted") in ("default", "deleted")


def check_macros(include_dir):
    missing = []
    for entry in sorted(os.listdir(include_dir)):
        if not entry.endswith(".hpp"):
            continue
        path = os.path.join(include_dir, entry)
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"\s*#\s*define\s+(OUTLET_\w+)", line)
            if not m or m.group(1).endswith("_HPP") or m.group(1).startswith("OUTLET_DETAIL_"):
                continue
            previous = lines[i - 1].strip() if i else ""
            if not previous.startswith("///") and "///" not in line:
                missing.append((path, i + 1, "macro", m.group(1)))
    return missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clang", default="clang++")
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--include", default=os.path.join(here, "..", "..", "include"))
    args = parser.parse_args()
    clang = shutil.which(args.clang)
    if not clang:
        print(f"outlet-test-skipped: {args.clang} not found")
        return 77
    include_dir = os.path.join(os.path.realpath(args.include), "outlet")
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "all.cpp")
        with open(source, "w") as f:
            # <outlet/tls.hpp> too, where OpenSSL's headers are installed.
            f.write("#include <outlet/outlet.hpp>\n"
                    "#if __has_include(<openssl/ssl.h>)\n#include <outlet/tls.hpp>\n#endif\n")
        dump = subprocess.run(
            [clang, "-std=c++17", "-fsyntax-only", "-I", os.path.realpath(args.include),
             "-Xclang", "-ast-dump=json", source],
            check=True, stdout=subprocess.PIPE).stdout
    walker = Walker(os.path.realpath(args.include))
    walker.walk(json.loads(dump), [], True)
    missing = walker.missing + check_macros(include_dir)
    # A walk that broke (a new clang JSON layout, say) must not pass by
    # checking nothing: outlet has well over this many public declarations.
    minimum = 200
    if walker.checked < minimum:
        print(f"only {walker.checked} public declarations found (expected at least {minimum}): "
              "the AST walk is broken")
        return 1
    for file, line, kind, name in missing:
        print(f"{os.path.relpath(file)}:{line}: no /// comment on {kind} {name}")
    print(f"{walker.checked} public declarations checked, {len(missing)} without a /// comment")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
