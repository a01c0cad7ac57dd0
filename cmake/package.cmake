# The CMake package that find_package(stray) reads, in two forms:
#  - installed: lib/cmake/stray/{strayConfig,strayConfigVersion,
#    StrayRunTests}.cmake with the target files of stray::core, stray::gtest
#    and stray::gtest_main, and their headers;
#  - in the build tree: the same files at the top of the build directory,
#    pointing at the built stray and libraries, so that a project can use
#    -DCMAKE_PREFIX_PATH=<stray's build directory> without an install.
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(STRAY_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/stray)
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/strayConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)

# Installed form. It is generated into a folder that find_package does not
# search, so that the build tree's prefix finds only the build-tree form.
# PACKAGE_PREFIX_DIR is set by @PACKAGE_INIT@ in the generated file.
set(STRAY_CONFIG_EXECUTABLE "\${PACKAGE_PREFIX_DIR}/${CMAKE_INSTALL_BINDIR}/stray")
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/strayConfig.cmake.in
  ${PROJECT_BINARY_DIR}/install-package/strayConfig.cmake
  INSTALL_DESTINATION ${STRAY_PACKAGE_DIR})
install(FILES
  ${PROJECT_BINARY_DIR}/install-package/strayConfig.cmake
  ${PROJECT_BINARY_DIR}/strayConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/StrayRunTests.cmake
  DESTINATION ${STRAY_PACKAGE_DIR})

set_target_properties(stray_core PROPERTIES EXPORT_NAME core)
install(TARGETS stray_core EXPORT strayCoreTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/stray DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT strayCoreTargets NAMESPACE stray:: DESTINATION ${STRAY_PACKAGE_DIR})
if(TARGET stray_gtest)
  install(EXPORT strayGtestTargets NAMESPACE stray:: DESTINATION ${STRAY_PACKAGE_DIR})
endif()

# Build-tree form. The path of the built stray is known only at generate
# time, hence file(GENERATE). A multi-config generator builds one stray per
# configuration, so there the file names the first configuration's.
set(STRAY_CONFIG_EXECUTABLE "$<TARGET_FILE:stray>")
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/strayConfig.cmake.in
  ${PROJECT_BINARY_DIR}/build-package/strayConfig.cmake.in
  INSTALL_DESTINATION ${PROJECT_BINARY_DIR}
  INSTALL_PREFIX ${PROJECT_BINARY_DIR})
get_property(stray_multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
if(stray_multi_config)
  list(GET CMAKE_CONFIGURATION_TYPES 0 stray_first_config)
  set(stray_config_condition "$<CONFIG:${stray_first_config}>")
else()
  set(stray_config_condition 1)
endif()
file(GENERATE
  OUTPUT ${PROJECT_BINARY_DIR}/strayConfig.cmake
  INPUT ${PROJECT_BINARY_DIR}/build-package/strayConfig.cmake.in
  CONDITION ${stray_config_condition})
configure_file(${CMAKE_CURRENT_LIST_DIR}/StrayRunTests.cmake ${PROJECT_BINARY_DIR}/StrayRunTests.cmake COPYONLY)
export(EXPORT strayCoreTargets NAMESPACE stray:: FILE ${PROJECT_BINARY_DIR}/strayCoreTargets.cmake)
if(TARGET stray_gtest)
  export(EXPORT strayGtestTargets NAMESPACE stray:: FILE ${PROJECT_BINARY_DIR}/strayGtestTargets.cmake)
endif()
