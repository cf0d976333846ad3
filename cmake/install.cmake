# cmake/install.cmake: `cmake --install` puts the header, libmpk.so (and its LD_PRELOAD name),
# the tools, a pkg-config file and a CMake package (find_package(libmpk) -> libmpk::mpk).
include(CMakePackageConfigHelpers)

install(TARGETS mpk_preload EXPORT libmpkTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
# The prefix is read at install time (cmake --install --prefix may differ from the configured one).
install(CODE "execute_process(COMMAND \${CMAKE_COMMAND} -E create_symlink libmpk.so.0
              \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/libmpk_preload.so\")")
install(FILES ${PROJECT_SOURCE_DIR}/include/mpk.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# Relocatable: paths relative to where the .pc file is installed.
file(RELATIVE_PATH MPK_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
configure_file(${PROJECT_SOURCE_DIR}/cmake/libmpk.pc.in ${PROJECT_BINARY_DIR}/libmpk.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/libmpk.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(EXPORT libmpkTargets NAMESPACE libmpk:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/libmpk)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/libmpkConfig.cmake.in
  ${PROJECT_BINARY_DIR}/libmpkConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/libmpk)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/libmpkConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/libmpkConfig.cmake ${PROJECT_BINARY_DIR}/libmpkConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/libmpk)
