# The Debian package (scripts/package.sh; docs/OPERATIONS.md "Package"): CPack's DEB generator
# makes build/flint_<version>_<arch>.deb with /usr/bin/flint, the systemd unit, the conffile
# /etc/flint/flint.toml, the operator docs, and maintainer scripts that create the `flint`
# system user. Only the binary is installed from the build: `cmake --install` does not build
# every target first (the tests and benchmarks are not shipped).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS flint RUNTIME DESTINATION bin)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/flint.service DESTINATION /lib/systemd/system)  # Debian 12 policy: units in /lib
install(FILES ${PROJECT_SOURCE_DIR}/packaging/flint.toml DESTINATION /etc/flint
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${PROJECT_SOURCE_DIR}/docs/OPERATIONS.md ${PROJECT_SOURCE_DIR}/docs/CONFIGURATION.md
        DESTINATION share/doc/flint)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME flint)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "flint maintainers <flint@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "ACME certificate authority (RFC 8555)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # flint_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # shared library dependencies from dpkg-shlibdeps
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, publicsuffix")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
