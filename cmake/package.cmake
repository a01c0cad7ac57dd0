# Installs the CMake package that find_package(stray) reads:
# lib/cmake/stray/{strayConfig,strayConfigVersion,StrayRunTests}.cmake.
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(STRAY_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/stray)
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/strayConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/strayConfig.cmake
  INSTALL_DESTINATION ${STRAY_PACKAGE_DIR}
  PATH_VARS CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/strayConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/strayConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/strayConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/StrayRunTests.cmake
  DESTINATION ${STRAY_PACKAGE_DIR})
