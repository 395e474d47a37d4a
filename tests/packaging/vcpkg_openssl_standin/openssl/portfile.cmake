# A stand-in `openssl` port for outlet's offline packaging tests (real_tools.py
# vcpkg-tls-feature): the offline vcpkg tree has no openssl port, and this
# one installs nothing, leaving find_package(OpenSSL 3) to find the system's
# OpenSSL 3 (Debian: libssl-dev). A test double: it proves outlet's port
# asks for openssl with the tls feature and packages the TLS files, not that
# vcpkg's own openssl port builds.
set(VCPKG_POLICY_EMPTY_PACKAGE enabled)
