"""Conan 2 recipe for outlet, a header-only C++17 socket library.

    conan create .                 # package this checkout and run test_package/
    conan create . -o "outlet/*:with_tls=True"   # with the TLS layer (needs openssl/[>=3 <4])
    conan create . --version=X.Y.Z # only if you must override CMakeLists.txt's version

packaging/README.md says what the release step fills in and which checks of
this file run without Conan (tests/packaging/check_packaging.py conan).
"""

import os
import re

from conan import ConanFile
from conan.errors import ConanException
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy
from conan.tools.layout import basic_layout

required_conan_version = ">=2.0"

# project(outlet VERSION x.y.z ...) in CMakeLists.txt, at the start of a line
# (so a commented-out call does not count). CMake command names are
# case-insensitive; the VERSION keyword is not.
_PROJECT_VERSION_RE = re.compile(
    r"^[ \t]*(?i:project)[ \t]*\([ \t\r\n]*outlet\b[^)]*?\bVERSION[ \t\r\n]+"
    r"([0-9]+(?:\.[0-9]+){0,3})\b",
    re.MULTILINE,
)


def read_project_version(cmakelists_path):
    """Return the version in project(outlet VERSION ...) of the given CMakeLists.txt.

    The one source of truth for outlet's version is that project() call. Uses
    only `re` and the file, so tests/packaging/check_packaging.py can call it
    without Conan installed. Raises ValueError, naming the file, when there is
    no such call.
    """
    with open(cmakelists_path, encoding="utf-8") as f:
        text = f.read()
    match = _PROJECT_VERSION_RE.search(text)
    if match is None:
        raise ValueError(
            f"no 'project(outlet VERSION <x.y.z> ...)' call found in {cmakelists_path}; "
            "outlet's version is read from there"
        )
    return match.group(1)


class OutletConan(ConanFile):
    name = "outlet"
    description = "Header-only C++17 RAII wrapper over BSD sockets and Winsock"
    license = "MIT"
    # RELEASE STEP: add `homepage` and `url` (outlet's public repository) once
    # it has one; packaging/README.md lists what else the release fills in.
    topics = ("sockets", "networking", "tcp", "udp", "winsock", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    # with_tls: the TLS layer, <outlet/tls.hpp> over OpenSSL 3. The headers
    # are the same either way (tls.hpp is always packaged); the option adds
    # the openssl requirement and the `tls` component (outlet::tls,
    # outlet-tls.pc).
    options = {"with_tls": [True, False]}
    default_options = {"with_tls": False}
    # The recipe sits next to the sources it packages; nothing is patched or
    # built, so Conan need not copy them to a build folder.
    exports_sources = "include/*", "LICENSE"
    no_copy_source = True

    def set_version(self):
        # --version on the command line wins; otherwise CMakeLists.txt decides.
        # Conan calls this only in the user's checkout (create, export,
        # install .), never for a recipe already in the cache.
        if self.version:
            return
        cmakelists = os.path.join(self.recipe_folder, "CMakeLists.txt")
        try:
            self.version = read_project_version(cmakelists)
        except (OSError, ValueError) as e:
            raise ConanException(f"outlet: cannot read the package version: {e}") from e

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        if self.options.with_tls:
            # transitive_headers: <outlet/tls.hpp> includes OpenSSL's headers.
            self.requires("openssl/[>=3 <4]", transitive_headers=True)

    def package_id(self):
        # Headers only: one package serves every os, compiler and build type,
        # with or without TLS (the option changes package_info(), not files).
        self.info.clear()

    def validate(self):
        # check_min_cppstd raises when compiler.cppstd is unset, so only check
        # a standard the profile actually names.
        if self.settings.get_safe("compiler.cppstd"):
            check_min_cppstd(self, 17)

    def package(self):
        # Headers and licence copied as they are, the conan-center way, rather
        # than running outlet's `cmake --install`: packaging needs no CMake or
        # compiler, and consumers get their CMake/pkg-config files from
        # CMakeDeps/PkgConfigDeps (the properties in package_info) anyway, so
        # outlet's own share/cmake and share/pkgconfig files would go unused.
        copy(self, "LICENSE", src=self.source_folder,
             dst=os.path.join(self.package_folder, "licenses"))
        copy(self, "*.hpp", src=os.path.join(self.source_folder, "include"),
             dst=os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.frameworkdirs = []
        self.cpp_info.resdirs = []
        # The names outlet's own CMake package and .pc files use.
        self.cpp_info.set_property("cmake_file_name", "outlet")
        if not self.options.with_tls:
            self.cpp_info.set_property("cmake_target_name", "outlet::outlet")
            self.cpp_info.set_property("pkg_config_name", "outlet")
            if self.settings.os == "Windows":
                self.cpp_info.system_libs = ["ws2_32", "iphlpapi"]
            return
        # With TLS, two components, as outlet's own package has them:
        # outlet::outlet (outlet.pc) and outlet::tls (outlet-tls.pc), which
        # links OpenSSL. The package's own umbrella target gets a name of
        # its own, so it cannot clash with outlet::outlet.
        self.cpp_info.set_property("cmake_target_name", "outlet::outlet_all")
        self.cpp_info.set_property("pkg_config_name", "outlet_all")
        core = self.cpp_info.components["core"]
        core.set_property("cmake_target_name", "outlet::outlet")
        core.set_property("pkg_config_name", "outlet")
        core.bindirs = []
        core.libdirs = []
        if self.settings.os == "Windows":
            core.system_libs = ["ws2_32", "iphlpapi"]
        tls = self.cpp_info.components["tls"]
        tls.set_property("cmake_target_name", "outlet::tls")
        tls.set_property("pkg_config_name", "outlet-tls")
        tls.bindirs = []
        tls.libdirs = []
        tls.requires = ["core", "openssl::ssl", "openssl::crypto"]
