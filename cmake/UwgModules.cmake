# cmake/UwgModules.cmake - one static library per module folder, and what it may include.
#
# uwg_sees(TARGET DIR...) gives TARGET a private header tree in the build directory holding
# symbolic links to the headers of exactly those folders (each folder alone: "core" does not
# bring "core/ip"). The source root is on no include path, so `#include "core/wg.h"` from a
# module that does not see core fails to compile, naming the header. Headers are globbed
# with CONFIGURE_DEPENDS: a new one is linked at the next build.
function(uwg_sees target)
  set(root ${CMAKE_BINARY_DIR}/sees/${target})
  file(REMOVE_RECURSE ${root})
  foreach(dir ${ARGN})
    file(GLOB headers CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${dir}/*.h)
    file(MAKE_DIRECTORY ${root}/${dir})
    foreach(h ${headers})
      get_filename_component(n ${h} NAME)
      file(CREATE_LINK ${h} ${root}/${dir}/${n} SYMBOLIC)
    endforeach()
  endforeach()
  target_include_directories(${target} PRIVATE ${root})
endfunction()

# uwg_module(NAME DIR SEES DIR... [LINKS LIB...]): DIR/*.c (not main.c, not subfolders) as a
# static library linking only LINKS, compiled against the headers of SEES.
function(uwg_module name dir)
  cmake_parse_arguments(M "" "" "SEES;LINKS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${dir}/*.c)
  list(FILTER srcs EXCLUDE REGEX "/main\\.c$")
  add_library(${name} STATIC ${srcs})
  target_link_libraries(${name} PRIVATE uwg_warnings ${M_LINKS})
  target_link_libraries(${name} INTERFACE ${M_LINKS})
  uwg_sees(${name} ${M_SEES})
endfunction()
