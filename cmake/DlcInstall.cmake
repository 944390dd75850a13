# `cmake --install build --prefix P` installs
#   P/include/dlc/*.h              the public headers (nothing internal)
#   P/lib/libdlc.so*               the library (SONAME libdlc.so.MAJOR)
#   P/bin/dlc                      the command-line tool
#   P/lib/cmake/dlc/               the package: find_package(dlc) gives dlc::dlc
# A consumer needs nothing else: libdlc's own dependencies (MLIR/LLVM 16,
# ONNX, protobuf) are shared system libraries it finds through its RUNPATH,
# so the package calls no find_dependency.
include(CMakePackageConfigHelpers)

set(DLC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/dlc)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/dlc DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(TARGETS dlc_shared EXPORT dlcTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
set_target_properties(dlc PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
install(TARGETS dlc RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT dlcTargets NAMESPACE dlc:: DESTINATION ${DLC_INSTALL_CMAKEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/dlcConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/dlcConfig.cmake
  INSTALL_DESTINATION ${DLC_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR)
# 0.x: a new minor version may change the API, so only the same minor matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/dlcConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/dlcConfig.cmake ${PROJECT_BINARY_DIR}/cmake/dlcConfigVersion.cmake
        DESTINATION ${DLC_INSTALL_CMAKEDIR})

if(DLC_BUILD_TESTS)
  add_test(NAME install_and_build_example
           COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
                   -DWORK_DIR=${PROJECT_BINARY_DIR}/install-test -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
                   -DLAUNCHER=${CCACHE_PROGRAM}
                   -P ${PROJECT_SOURCE_DIR}/cmake/InstallAndBuildExample.cmake)
  set_tests_properties(install_and_build_example PROPERTIES TIMEOUT 600)
  add_test(NAME libdlc_exports_only_the_api
           COMMAND ${CMAKE_COMMAND} -DLIBRARY=$<TARGET_FILE:dlc_shared> -DNM=${CMAKE_NM}
                   -P ${PROJECT_SOURCE_DIR}/cmake/CheckExports.cmake)
endif()
