# Warning set from docs/style: every target links uwg_warnings.
add_library(uwg_warnings INTERFACE)
target_compile_options(uwg_warnings INTERFACE
  -Wall -Wextra -Wpedantic
  -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition
  -Wformat=2 -Wimplicit-fallthrough -Wvla -Wundef -Wcast-qual
  -Wpointer-arith -Wnull-dereference -Wframe-larger-than=16384
  $<$<C_COMPILER_ID:GNU>:-Wduplicated-cond -Wlogical-op>
  $<$<C_COMPILER_ID:Clang>:-Wcomma -Wassign-enum>
  $<$<BOOL:${UWG_WERROR}>:-Werror>)
