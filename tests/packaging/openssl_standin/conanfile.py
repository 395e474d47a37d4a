"""A stand-in `openssl` Conan package for outlet's offline packaging tests.

The offline Conan here has no remote, so `openssl/[>=3 <4]`, which outlet's
recipe requires with with_tls=True, cannot be downloaded. This recipe packages
nothing: it describes the system's OpenSSL 3 (Debian: libssl-dev, headers in
/usr/include, libraries on the linker's default path) with the names and
components conan-center's openssl recipe gives its package (OpenSSL::SSL and
OpenSSL::Crypto, libssl.pc and libcrypto.pc), so outlet's with_tls path can
be run for real against it:

    conan export tests/packaging/openssl_standin --version 3.0.0
    conan create . -o "outlet/*:with_tls=True"

It is a test double, not a way to use OpenSSL in production.
"""

from conan import ConanFile


class OpensslSystemStandin(ConanFile):
    name = "openssl"
    description = "Test stand-in: the system's OpenSSL 3, with conan-center's names"
    license = "Apache-2.0"
    package_type = "shared-library"
    settings = "os", "arch", "compiler", "build_type"

    def package_id(self):
        self.info.clear()

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "OpenSSL")
        self.cpp_info.set_property("cmake_find_mode", "both")
        self.cpp_info.set_property("pkg_config_name", "openssl")
        crypto = self.cpp_info.components["crypto"]
        crypto.set_property("cmake_target_name", "OpenSSL::Crypto")
        crypto.set_property("pkg_config_name", "libcrypto")
        crypto.system_libs = ["crypto"]
        ssl = self.cpp_info.components["ssl"]
        ssl.set_property("cmake_target_name", "OpenSSL::SSL")
        ssl.set_property("pkg_config_name", "libssl")
        ssl.system_libs = ["ssl"]
        ssl.requires = ["crypto"]
        for component in (crypto, ssl):
            component.includedirs = []
            component.libdirs = []
            component.bindirs = []
