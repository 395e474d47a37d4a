#!/usr/bin/env python3
"""outlet's vcpkg port and Conan recipe, run through the real vcpkg and Conan.

Each mode is one CTest test (tests/CMakeLists.txt registers them):

  vcpkg-overlay-install    vcpkg install outlet --overlay-ports=packaging/vcpkg/overlay-ports:
                           it must succeed with post-build validation run and
                           print no warning; the installed tree is then checked
  vcpkg-classic-consumer   a project using vcpkg's toolchain file in classic mode
                           finds that installed outlet (find_package(outlet CONFIG
                           REQUIRED)), builds and runs a TCP round trip
  vcpkg-manifest-consumer  the same project in manifest mode (its vcpkg.json asks
                           for outlet; the toolchain installs it from the overlay)
  conan-create             conan create <source> with test_package/; then the
                           package's files, and what CMakeDeps/PkgConfigDeps make
                           of it for Linux and for Windows (ws2_32)
  conan-cppstd14           conan create with compiler.cppstd=14 is refused by the
                           recipe's validate(); with 17 it is accepted
  vcpkg-tls-feature        vcpkg install "outlet[tls]" with a stand-in openssl port
                           (packaging/vcpkg_openssl_standin: the system's OpenSSL 3;
                           the offline vcpkg tree has no openssl port): the TLS
                           package files are installed, and a consumer of
                           find_package(outlet COMPONENTS tls) builds and runs.
                           Skipped while the source tree has no <outlet/tls.hpp>
  conan-create-tls         conan create -o with_tls=True against a stand-in
                           openssl/3.0.0 recipe (packaging/openssl_standin: the
                           system's OpenSSL 3; the offline Conan has no remote):
                           test_package, then outlet::tls / outlet-tls.pc from
                           CMakeDeps / PkgConfigDeps, built and run

Every run is offline and private: vcpkg's install, build, package and download
folders, Conan's home (CONAN_HOME) and HOME itself point into --work, so
nothing is written to the user's home, the vcpkg root or the source tree, and
two build trees can run these at once.

A tool that is not given (--vcpkg/--conan empty or *-NOTFOUND) makes the test
print why and exit 77, which CTest reports as skipped; with --require it fails
instead (CMake: OUTLET_REQUIRE_PACKAGING_TOOLS=ON).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

SKIP = 77
COMMAND_TIMEOUT = 240  # seconds per tool or build command; CTest allows each test 300


class Failure(Exception):
    pass


def log(text):
    print(text, flush=True)


def run(command, env, cwd, what, expect_success=True):
    """Runs one command, prints its output, returns (exit code, output)."""
    log(f"\n---- {what}\n$ {' '.join(str(c) for c in command)}")
    try:
        result = subprocess.run([str(c) for c in command], env=env, cwd=str(cwd), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        raise Failure(f"{what}: no result after {COMMAND_TIMEOUT} s") from e
    except OSError as e:
        raise Failure(f"{what}: cannot run {command[0]}: {e}") from e
    log(result.stdout.rstrip())
    if expect_success and result.returncode != 0:
        raise Failure(f"{what} failed with exit code {result.returncode}")
    return result.returncode, result.stdout


def check(condition, what):
    if not condition:
        raise Failure(what)
    log(f"ok    {what}")


def private_env(work, tool_env):
    """The environment for a tool: HOME and caches inside work, no metrics, no downloads of tools."""
    env = dict(os.environ)
    home = work / "home"
    home.mkdir(parents=True, exist_ok=True)
    env["HOME"] = str(home)
    env["XDG_CACHE_HOME"] = str(work / "cache")
    for name in ("VCPKG_BINARY_SOURCES", "VCPKG_DEFAULT_BINARY_CACHE", "VCPKG_DEFAULT_TRIPLET",
                 "VCPKG_DEFAULT_HOST_TRIPLET", "VCPKG_OVERLAY_PORTS", "VCPKG_OVERLAY_TRIPLETS",
                 "VCPKG_FEATURE_FLAGS", "CONAN_HOME", "CONAN_DEFAULT_PROFILE"):
        env.pop(name, None)
    env.update(tool_env)
    return env


def warning_lines(text):
    return [line for line in text.splitlines() if re.search(r"warn", line, re.IGNORECASE)]


def file_set(folder, pattern="*"):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob(pattern) if p.is_file())


# ---------------------------------------------------------------------------
# vcpkg
# ---------------------------------------------------------------------------
class Vcpkg:
    """The vcpkg executable with private folders under work."""

    def __init__(self, args, work):
        self.exe = args.vcpkg
        self.work = work
        self.env = private_env(work, {"VCPKG_DISABLE_METRICS": "1", "VCPKG_FORCE_SYSTEM_BINARIES": "1"})
        code, out = run([self.exe, "z-print-config"], self.env, work, "vcpkg z-print-config")
        try:
            config = json.loads(out[out.index("{"):])
            self.root = Path(config["vcpkg-root"])
            self.triplet = config["default-triplet"]
        except (ValueError, KeyError) as e:
            raise Failure(f"vcpkg z-print-config gave no vcpkg-root and default-triplet: {e}") from e
        self.toolchain = self.root / "scripts/buildsystems/vcpkg.cmake"
        check(self.toolchain.is_file(), f"the vcpkg root {self.root} has scripts/buildsystems/vcpkg.cmake")
        self.overlay_ports = args.source / "packaging/vcpkg/overlay-ports"
        self.triplets = work / "triplets"
        self.write_offline_triplet()
        self.folders = {
            "--x-buildtrees-root": work / "buildtrees",
            "--x-packages-root": work / "packages",
            "--downloads-root": work / "downloads",
        }

    def write_offline_triplet(self):
        # The stock Linux triplets fix ELF RPATHs with patchelf, which vcpkg
        # downloads. A header-only port installs no ELF file, so the overlay
        # triplet is the stock one with that step off: nothing to download.
        stock = next((p for p in (self.root / "triplets" / f"{self.triplet}.cmake",
                                  self.root / "triplets/community" / f"{self.triplet}.cmake") if p.is_file()), None)
        check(stock is not None, f"vcpkg has a triplet file for its default triplet {self.triplet}")
        self.triplets.mkdir(parents=True, exist_ok=True)
        text = stock.read_text(encoding="utf-8")
        text += "\n# outlet's tests: no patchelf download (a header-only package has no ELF file).\n"
        text += "set(VCPKG_FIXUP_ELF_RPATH OFF)\n"
        (self.triplets / f"{self.triplet}.cmake").write_text(text, encoding="utf-8")

    def folder_options(self):
        return [f"{k}={v}" for k, v in self.folders.items()] + ["--binarysource=clear"]


def cmake_toolchain_args(args):
    result = ["-G", args.generator, f"-DCMAKE_CXX_COMPILER={args.cxx}", "-DCMAKE_BUILD_TYPE=Release"]
    if args.make_program:
        result.append(f"-DCMAKE_MAKE_PROGRAM={args.make_program}")
    return result


def build_and_run_consumer(args, vcpkg, source, build, prefix, extra):
    """Configures the vcpkg consumer project with vcpkg's toolchain file, builds it and runs it."""
    shutil.rmtree(build, ignore_errors=True)
    run([args.cmake, "-S", source, "-B", build, *cmake_toolchain_args(args),
         f"-DCMAKE_TOOLCHAIN_FILE={vcpkg.toolchain}", f"-DVCPKG_TARGET_TRIPLET={vcpkg.triplet}",
         f"-DOUTLET_CONSUMER_MAIN={args.source / 'tests/cmake_consumer/main.cpp'}",
         f"-DOUTLET_EXPECTED_VERSION={args.version}", f"-DOUTLET_EXPECTED_PREFIX={prefix}", *extra],
        vcpkg.env, vcpkg.work, "configure the consumer with vcpkg's toolchain file")
    run([args.cmake, "--build", build], vcpkg.env, vcpkg.work, "build the consumer")
    name = "consumer.exe" if os.name == "nt" else "consumer"
    program = next((p for p in (build / name, build / "Release" / name) if p.is_file()), build / name)
    _, out = run([program], vcpkg.env, vcpkg.work, "run the consumer")
    check(f"consumer: outlet {args.version} round trip ok" in out,
          f"the consumer ran a round trip with outlet {args.version} from vcpkg")


def installed_tree_checks(args, prefix):
    """What vcpkg installed for outlet: the headers, the CMake package in share/outlet, licence, usage."""
    source_headers = file_set(args.source / "include", "*.hpp")
    check(source_headers and file_set(prefix / "include", "*.hpp") == source_headers,
          f"vcpkg installed all {len(source_headers)} headers and no other ones")
    for name in ("outletConfig.cmake", "outletConfigVersion.cmake", "outletTargets.cmake", "copyright", "usage"):
        check((prefix / "share/outlet" / name).is_file(), f"vcpkg installed share/outlet/{name}")
    check(not (prefix / "share/cmake").exists(), "no share/cmake left (the config was moved to share/outlet)")
    version_file = (prefix / "share/outlet/outletConfigVersion.cmake").read_text(encoding="utf-8")
    check(f'set(PACKAGE_VERSION "{args.version}")' in version_file,
          f"share/outlet/outletConfigVersion.cmake says {args.version}")
    check((prefix / "share/outlet/copyright").read_text(encoding="utf-8")
          == (args.source / "LICENSE").read_text(encoding="utf-8"), "share/outlet/copyright is LICENSE")
    check((prefix / "share/outlet/usage").read_text(encoding="utf-8")
          == (args.source / "packaging/vcpkg/overlay-ports/outlet/usage").read_text(encoding="utf-8"),
          "share/outlet/usage is the port's usage file")
    pcs = [p for p in ("share/pkgconfig/outlet.pc", "lib/pkgconfig/outlet.pc") if (prefix / p).is_file()]
    check(len(pcs) == 1, f"one outlet.pc is installed ({pcs})")


def mode_vcpkg_overlay_install(args):
    work = args.work
    shutil.rmtree(work, ignore_errors=True)  # vcpkg does not notice source edits: always start afresh
    work.mkdir(parents=True)
    vcpkg = Vcpkg(args, work)
    installed = work / "installed"
    _, out = run([vcpkg.exe, "install", "outlet", f"--triplet={vcpkg.triplet}",
                  f"--overlay-ports={vcpkg.overlay_ports}", f"--overlay-triplets={vcpkg.triplets}",
                  f"--x-install-root={installed}", *vcpkg.folder_options()],
                 vcpkg.env, work, "vcpkg install outlet from the overlay port")
    # vcpkg reports post-build problems as warnings and still exits 0.
    warnings = warning_lines(out)
    check(not warnings, "vcpkg printed no warning" + (": " + " | ".join(warnings) if warnings else ""))
    outlet_part = out[out.find(f"Building outlet:{vcpkg.triplet}"):]
    check(f"Building outlet:{vcpkg.triplet}" in out and "-- Performing post-build validation" in outlet_part
          and "Skipping post-build validation" not in outlet_part,
          "vcpkg ran its post-build validation on outlet")
    installed_tree_checks(args, installed / vcpkg.triplet)


def mode_vcpkg_classic_consumer(args):
    # Uses what vcpkg-overlay-install left in the same work folder (a CTest fixture).
    work = args.work
    vcpkg = Vcpkg(args, work)
    installed = work / "installed"
    check((installed / vcpkg.triplet / "share/outlet/outletConfig.cmake").is_file(),
          f"outlet is installed in {installed} (the vcpkg overlay install test ran first)")
    source = work / "consumer-src"
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(args.source / "tests/packaging/vcpkg_consumer", source,
                    ignore=shutil.ignore_patterns("vcpkg.json"))  # classic mode: no manifest
    build_and_run_consumer(args, vcpkg, source, work / "consumer-build", installed / vcpkg.triplet,
                           ["-DVCPKG_MANIFEST_MODE=OFF", f"-DVCPKG_INSTALLED_DIR={installed}"])


def mode_vcpkg_manifest_consumer(args):
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    vcpkg = Vcpkg(args, work)
    source = work / "consumer-src"
    shutil.copytree(args.source / "tests/packaging/vcpkg_consumer", source)
    installed = work / "installed"
    build = work / "consumer-build"
    build_and_run_consumer(args, vcpkg, source, build, installed / vcpkg.triplet,
                           ["-DVCPKG_MANIFEST_MODE=ON", f"-DVCPKG_INSTALLED_DIR={installed}",
                            f"-DVCPKG_OVERLAY_PORTS={vcpkg.overlay_ports}",
                            f"-DVCPKG_OVERLAY_TRIPLETS={vcpkg.triplets}",
                            "-DVCPKG_INSTALL_OPTIONS=" + ";".join(vcpkg.folder_options())])
    manifest_log = build / "vcpkg-manifest-install.log"
    text = manifest_log.read_text(encoding="utf-8") if manifest_log.is_file() else ""
    check(f"outlet:{vcpkg.triplet}" in text, f"the toolchain's vcpkg install built outlet ({manifest_log})")
    warnings = warning_lines(text)
    check(not warnings,
          "vcpkg's manifest install printed no warning" + (": " + " | ".join(warnings) if warnings else ""))
    installed_tree_checks(args, installed / vcpkg.triplet)


# ---------------------------------------------------------------------------
# Conan
# ---------------------------------------------------------------------------
class Conan:
    def __init__(self, args, work):
        self.exe = args.conan
        self.work = work
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        tool_env = {"CONAN_HOME": str(work / "conan-home")}
        if args.cxx:
            tool_env["CXX"] = args.cxx  # the compiler outlet's build uses; profile detect reads it
        self.env = private_env(work, tool_env)
        run([self.exe, "profile", "detect"], self.env, work, "conan profile detect")
        self.conf = []
        if args.generator in ("Ninja", "Unix Makefiles"):
            self.conf = ["-c", f"tools.cmake.cmaketoolchain:generator={args.generator}"]

    def run(self, arguments, what, expect_success=True):
        return run([self.exe, *arguments], self.env, self.work, what, expect_success)


def mode_conan_create(args):
    conan = Conan(args, args.work)
    # conan create builds test_package/ inside the folder it is given; a copy
    # keeps the source tree clean.
    test_folder = args.work / "test_package"
    shutil.copytree(args.source / "test_package", test_folder,
                    ignore=shutil.ignore_patterns("build", "CMakeUserPresets.json"))
    _, out = conan.run(["create", args.source, f"--test-folder={test_folder}", *conan.conf],
                       "conan create with test_package")
    warnings = [line for line in out.splitlines() if line.startswith("WARN") or "CMake Warning" in line]
    check(not warnings, "conan create printed no warning" + (": " + " | ".join(warnings) if warnings else ""))
    check(f"outlet/{args.version}: Exported" in out, f"the recipe exported outlet/{args.version} "
          "(the version read from CMakeLists.txt)")
    check("openssl" not in out.lower(), "without with_tls, nothing requires openssl")
    check(re.search(rf"^outlet {re.escape(args.version)}: sent 'o' and got 'k' back over 127\.0\.0\.1:\d+$", out,
                    re.MULTILINE), "test_package built against the package and ran its round trip")

    folder = re.search(rf"^outlet/{re.escape(args.version)}: Package folder (.+)$", out, re.MULTILINE)
    check(folder, "conan create named the package folder")
    package = Path(folder.group(1).strip())
    headers = ["include/" + h for h in file_set(args.source / "include", "*.hpp")]
    expected = sorted(headers + ["licenses/LICENSE", "conaninfo.txt", "conanmanifest.txt"])
    have = file_set(package)
    missing, extra = sorted(set(expected) - set(have)), sorted(set(have) - set(expected))
    check(have == expected, f"the package holds the {len(headers)} headers, licenses/LICENSE and Conan's "
          "two files, nothing else" + (f" (missing {missing}, extra {extra})" if missing or extra else ""))

    # What consumers' generators make of package_info(), for Linux and Windows.
    for os_name in ("Linux", "Windows"):
        out_dir = args.work / f"deps-{os_name}"
        conan.run(["install", f"--requires=outlet/{args.version}", "-s", f"os={os_name}", "-g", "CMakeDeps",
                   "-g", "PkgConfigDeps", f"--output-folder={out_dir}"],
                  f"conan install outlet for os={os_name} with CMakeDeps and PkgConfigDeps")
        check((out_dir / "outlet-config.cmake").is_file(), f"{os_name}: CMakeDeps wrote outlet-config.cmake")
        cmake_text = "\n".join(p.read_text(encoding="utf-8") for p in out_dir.glob("outlet*.cmake"))
        check("outlet::outlet" in cmake_text, f"{os_name}: CMakeDeps declares the target outlet::outlet")
        pc = out_dir / "outlet.pc"
        check(pc.is_file(), f"{os_name}: PkgConfigDeps wrote outlet.pc")
        pc_text = pc.read_text(encoding="utf-8")
        libs = re.search(r"^Libs:(.*)$", pc_text, re.MULTILINE)
        libs = libs.group(1) if libs else ""
        if os_name == "Windows":
            check("-lws2_32" in libs and "-liphlpapi" in libs, f"Windows: outlet.pc links ws2_32 and iphlpapi (Libs:{libs})")
        else:
            check("ws2_32" not in libs and "-l" not in libs, f"Linux: outlet.pc links no library (Libs:{libs})")


def mode_conan_create_tls(args):
    conan = Conan(args, args.work)
    conan.run(["remote", "disable", "*"], "no remote: openssl must come from the stand-in")
    conan.run(["export", args.source / "tests/packaging/openssl_standin", "--version", "3.0.0"],
              "export the stand-in openssl/3.0.0 (the system's OpenSSL 3)")
    test_folder = args.work / "test_package"
    shutil.copytree(args.source / "test_package", test_folder,
                    ignore=shutil.ignore_patterns("build", "CMakeUserPresets.json"))
    tls = ["-o", "outlet/*:with_tls=True", "--build=missing:openssl/*"]
    # --build=missing builds outlet (conan create always does) and the stand-in openssl.
    _, out = conan.run(["create", args.source, f"--test-folder={test_folder}", *tls, "--build=missing", *conan.conf],
                       "conan create with with_tls=True and test_package")
    warnings = [line for line in out.splitlines() if (line.startswith("WARN") or "CMake Warning" in line)
                and "openssl/3.0.0" not in line and "No files in this package" not in line]
    check(not warnings, "conan create printed no warning (the stand-in's empty package aside)"
          + (": " + " | ".join(warnings) if warnings else ""))
    check(re.search(r"^\s*openssl/3\.0\.0#", out, re.MULTILINE), "with_tls=True requires openssl (3.0.0, the stand-in)")
    check(re.search(rf"^outlet {re.escape(args.version)}: sent 'o' and got 'k' back over 127\.0\.0\.1:\d+$", out,
                    re.MULTILINE), "test_package built against the package (outlet::outlet, a component now) and ran")

    for os_name in ("Linux", "Windows"):
        out_dir = args.work / f"deps-{os_name}"
        conan.run(["install", f"--requires=outlet/{args.version}", *tls, "-s", f"os={os_name}",
                   "-g", "CMakeDeps", "-g", "PkgConfigDeps", f"--output-folder={out_dir}"],
                  f"conan install outlet with with_tls=True for os={os_name} with CMakeDeps and PkgConfigDeps")
        cmake_text = "\n".join(p.read_text(encoding="utf-8") for p in out_dir.glob("outlet*.cmake"))
        for target in ("outlet::outlet", "outlet::tls"):
            check(target in cmake_text, f"{os_name}: CMakeDeps declares the target {target}")
        pcs = {}
        for name in ("outlet", "outlet-tls"):
            pc = out_dir / f"{name}.pc"
            check(pc.is_file(), f"{os_name}: PkgConfigDeps wrote {name}.pc")
            pcs[name] = pc.read_text(encoding="utf-8")
        requires = re.search(r"^Requires:(.*)$", pcs["outlet-tls"], re.MULTILINE)
        requires = requires.group(1).split() if requires else []
        check({"outlet", "libssl", "libcrypto"} <= set(requires),
              f"{os_name}: outlet-tls.pc requires outlet, libssl and libcrypto (Requires: {' '.join(requires)})")
        libs = re.search(r"^Libs:(.*)$", pcs["outlet"], re.MULTILINE)
        libs = libs.group(1) if libs else ""
        if os_name == "Windows":
            check("-lws2_32" in libs and "-liphlpapi" in libs, f"Windows: outlet.pc links ws2_32 and iphlpapi (Libs:{libs})")
        else:
            check("-l" not in libs, f"Linux: outlet.pc links no library (Libs:{libs})")

    deps = args.work / "deps-Linux"
    build = args.work / "consumer-build"
    run([args.cmake, "-S", args.source / "tests/packaging/tls_consumer", "-B", build, *cmake_toolchain_args(args),
         f"-DCMAKE_PREFIX_PATH={deps}",
         f"-DOUTLET_CONSUMER_MAIN={args.source / 'tests/cmake_consumer/main_tls.cpp'}"],
        conan.env, args.work, "configure a find_package(outlet COMPONENTS tls) consumer with CMakeDeps' files")
    run([args.cmake, "--build", build], conan.env, args.work, "build the consumer")
    _, out = run([build / "consumer"], conan.env, args.work, "run the consumer")
    check(f"consumer: outlet {args.version} with OpenSSL 3" in out, "the consumer linked outlet::tls and ran")

    pkg_config = shutil.which("pkg-config") or shutil.which("pkgconf")
    if pkg_config:
        env = dict(conan.env, PKG_CONFIG_PATH=str(deps))
        _, flags = run([pkg_config, "--cflags", "--libs", "outlet-tls"], env, args.work,
                       "pkg-config --cflags --libs outlet-tls (PkgConfigDeps' files)")
        check("-lssl" in flags.split() and "-lcrypto" in flags.split(), "outlet-tls's flags link -lssl and -lcrypto")
        program = args.work / "consumer-pc"
        run([args.cxx or "c++", "-std=c++17", args.source / "tests/cmake_consumer/main_tls.cpp", *flags.split(),
             "-o", program], env, args.work, "compile the consumer with outlet-tls's flags")
        _, out = run([program], env, args.work, "run it")
        check(f"consumer: outlet {args.version} with OpenSSL 3" in out, "the pkg-config consumer ran")
    else:
        log("(no pkg-config: the pkg-config consumer is left out)")


def mode_vcpkg_tls_feature(args):
    if not (args.source / "include/outlet/tls.hpp").is_file():
        print(f"outlet-test-skipped: vcpkg-tls-feature: {args.source} has no include/outlet/tls.hpp yet")
        return SKIP
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    vcpkg = Vcpkg(args, work)
    installed = work / "installed"
    standin = args.source / "tests/packaging/vcpkg_openssl_standin"
    _, out = run([vcpkg.exe, "install", "outlet[tls]", f"--triplet={vcpkg.triplet}",
                  f"--overlay-ports={vcpkg.overlay_ports}", f"--overlay-ports={standin}",
                  f"--overlay-triplets={vcpkg.triplets}", f"--x-install-root={installed}", *vcpkg.folder_options()],
                 vcpkg.env, work, "vcpkg install outlet[tls] (openssl: the stand-in port)")
    warnings = warning_lines(out)
    check(not warnings, "vcpkg printed no warning" + (": " + " | ".join(warnings) if warnings else ""))
    prefix = installed / vcpkg.triplet
    for name in ("share/outlet/outletTlsTargets.cmake", "share/pkgconfig/outlet-tls.pc", "include/outlet/tls.hpp"):
        check((prefix / name).is_file(), f"vcpkg installed {name}")
    build = work / "consumer-build"
    run([args.cmake, "-S", args.source / "tests/packaging/tls_consumer", "-B", build, *cmake_toolchain_args(args),
         f"-DCMAKE_TOOLCHAIN_FILE={vcpkg.toolchain}", f"-DVCPKG_TARGET_TRIPLET={vcpkg.triplet}",
         "-DVCPKG_MANIFEST_MODE=OFF", f"-DVCPKG_INSTALLED_DIR={installed}",
         f"-DOUTLET_CONSUMER_MAIN={args.source / 'tests/cmake_consumer/main_tls.cpp'}"],
        vcpkg.env, work, "configure a find_package(outlet COMPONENTS tls) consumer with vcpkg's toolchain file")
    run([args.cmake, "--build", build], vcpkg.env, work, "build the consumer")
    _, out = run([build / "consumer"], vcpkg.env, work, "run the consumer")
    check(f"consumer: outlet {args.version} with OpenSSL 3" in out, "the consumer linked outlet::tls and ran")


def mode_conan_cppstd14(args):
    conan = Conan(args, args.work)
    code, out = conan.run(["create", args.source, "--test-folder=", "-s", "compiler.cppstd=14"],
                          "conan create with compiler.cppstd=14 (must be refused)", expect_success=False)
    check(code != 0, f"conan create with compiler.cppstd=14 failed (exit {code})")
    check(re.search(rf"outlet/{re.escape(args.version)}: Invalid: .*cppstd \(14\) is lower than the required "
                    r"C\+\+ standard \(17\)", out),
          "the recipe's validate() refused it: cppstd 14 is lower than the required 17")
    conan.run(["create", args.source, "--test-folder=", "-s", "compiler.cppstd=17"],
              "conan create with compiler.cppstd=17 (accepted)")
    check(True, "the same command with compiler.cppstd=17 succeeds")


MODES = {
    "vcpkg-overlay-install": ("vcpkg", mode_vcpkg_overlay_install),
    "vcpkg-classic-consumer": ("vcpkg", mode_vcpkg_classic_consumer),
    "vcpkg-manifest-consumer": ("vcpkg", mode_vcpkg_manifest_consumer),
    "conan-create": ("conan", mode_conan_create),
    "conan-cppstd14": ("conan", mode_conan_cppstd14),
    "vcpkg-tls-feature": ("vcpkg", mode_vcpkg_tls_feature),
    "conan-create-tls": ("conan", mode_conan_create_tls),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("--source", type=Path, required=True, help="outlet's source tree")
    parser.add_argument("--work", type=Path, required=True, help="this test's scratch folder (emptied)")
    parser.add_argument("--version", required=True, help="project(VERSION) of outlet")
    parser.add_argument("--vcpkg", default="", help="the vcpkg executable (empty or *-NOTFOUND: none)")
    parser.add_argument("--conan", default="", help="the conan executable (empty or *-NOTFOUND: none)")
    parser.add_argument("--require", action="store_true", help="a missing tool fails the test instead of skipping it")
    parser.add_argument("--cmake", default="cmake")
    parser.add_argument("--generator", default="Ninja")
    parser.add_argument("--cxx", default="")
    parser.add_argument("--make-program", default="")
    args = parser.parse_args(argv)
    args.source = args.source.resolve()
    args.work = args.work.resolve()

    tool, function = MODES[args.mode]
    path = getattr(args, tool)
    if not path or path.endswith("NOTFOUND"):
        cache_var = f"OUTLET_{tool.upper()}_EXECUTABLE"
        reason = (f"no {tool} found: put it on PATH or give it to CMake as {cache_var} "
                  "(../shared/tools/packaging/setup.sh sets up both offline)")
        if args.require:
            print(f"FAIL  {args.mode}: OUTLET_REQUIRE_PACKAGING_TOOLS is ON, but {reason}", file=sys.stderr)
            return 1
        print(f"outlet-test-skipped: {args.mode}: {reason}")
        return SKIP
    try:
        if function(args) == SKIP:
            return SKIP
    except Failure as e:
        print(f"FAIL  {args.mode}: {e}", file=sys.stderr)
        return 1
    log(f"{args.mode}: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
