# What `cmake --install` puts where (paths below CMAKE_INSTALL_PREFIX, Debian's layout):
# the binary, both man pages gzip-compressed as Debian ships them, the systemd units, the
# bash completion and the example configs.
include(GNUInstallDirs)
set(UWG_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
  "systemd system unit directory (relative: to the prefix; bookworm's debhelper wants /lib/systemd/system)")
if(NOT IS_ABSOLUTE "${UWG_SYSTEMD_UNITDIR}" AND CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(UWG_SYSTEMD_UNITDIR_ABS "/${UWG_SYSTEMD_UNITDIR}")
else()
  set(UWG_SYSTEMD_UNITDIR_ABS "${UWG_SYSTEMD_UNITDIR}")
endif()

install(TARGETS uwg RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

find_program(UWG_GZIP gzip REQUIRED)
foreach(page uwg.8 uwg.conf.5)
  string(REGEX REPLACE ".*\\." "" section ${page})
  add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/man/${page}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND ${UWG_GZIP} -9n -c ${CMAKE_SOURCE_DIR}/docs/${page} > ${CMAKE_BINARY_DIR}/man/${page}.gz
    DEPENDS ${CMAKE_SOURCE_DIR}/docs/${page} VERBATIM)
  list(APPEND uwg_man_pages ${CMAKE_BINARY_DIR}/man/${page}.gz)
  install(FILES ${CMAKE_BINARY_DIR}/man/${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
add_custom_target(uwg_man ALL DEPENDS ${uwg_man_pages})

install(FILES dist/systemd/uwg@.service dist/systemd/uwg.target
  DESTINATION ${UWG_SYSTEMD_UNITDIR_ABS})
install(FILES dist/completion/uwg DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES dist/examples/server.conf dist/examples/client.conf
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/uwg/examples)
