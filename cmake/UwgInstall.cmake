# What `cmake --install` puts where (paths below CMAKE_INSTALL_PREFIX, Debian's layout):
# the binary, both man pages gzip-compressed as Debian ships them, the systemd units, the
# bash completion and the example configs.
include(GNUInstallDirs)
set(UWG_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
  "systemd system unit directory: absolute, or relative to the prefix, where the prefix /usr means / (bookworm's debhelper and lintian want /lib/systemd/system)")

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

# Decided when installing, not when configuring, so that `cmake --install --prefix DIR`
# puts the units under DIR too (file(INSTALL) adds DESTDIR and the install manifest).
install(CODE "
  set(_uwg_unitdir \"${UWG_SYSTEMD_UNITDIR}\")
  if(NOT IS_ABSOLUTE \"\${_uwg_unitdir}\")
    if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
      set(_uwg_unitdir \"/\${_uwg_unitdir}\")
    else()
      set(_uwg_unitdir \"\${CMAKE_INSTALL_PREFIX}/\${_uwg_unitdir}\")
    endif()
  endif()
  file(INSTALL DESTINATION \"\${_uwg_unitdir}\" TYPE FILE FILES
    \"${CMAKE_SOURCE_DIR}/dist/systemd/uwg@.service\"
    \"${CMAKE_SOURCE_DIR}/dist/systemd/uwg.target\")
")
install(FILES dist/completion/uwg DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES dist/examples/server.conf dist/examples/client.conf
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/uwg/examples)
