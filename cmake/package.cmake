# Installs the CMake package that find_package(stray) reads:
# lib/cmake/stray/{strayConfig,strayConfigVersion,StrayRunTests}.cmake, and
# the libraries stray::core, stray::gtest and stray::gtest_main with their
# target files and headers.
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

set_target_properties(stray_core PROPERTIES EXPORT_NAME core)
install(TARGETS stray_core EXPORT strayCoreTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/stray DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT strayCoreTargets NAMESPACE stray:: DESTINATION ${STRAY_PACKAGE_DIR})
if(TARGET stray_gtest)
  install(EXPORT strayGtestTargets NAMESPACE stray:: DESTINATION ${STRAY_PACKAGE_DIR})
endif()
