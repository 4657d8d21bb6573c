# flint_library(NAME [DIR dir] SOURCES ... [DEPS ...] [PRIVATE_DEPS ...]): one static library per
# module, named flint_<NAME>, whose headers live in src/<DIR> (default: the src/ directory of the
# calling CMakeLists.txt, else NAME).
#
# DEPS are what the module's public headers include: they become PUBLIC links, so a consumer
# gets them too. PRIVATE_DEPS are used by its .cc files only: a consumer links them but does not
# see their headers. The build enforces this: each module's headers are reachable only as
# "<dir>/x.h" through its own include root (build/include/<NAME>/<dir> -> src/<dir>), which
# propagates along PUBLIC links only. So a module that includes a header of a module it does not
# link (or reaches only through someone's PRIVATE link), e.g. wfe including "ca/...", does not
# compile: DESIGN.md's "never" edges are checked by the compiler.
function(flint_library name)
  cmake_parse_arguments(ARG "" "DIR" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  if(NOT ARG_DIR)
    cmake_path(GET CMAKE_CURRENT_SOURCE_DIR PARENT_PATH parent)
    if(parent STREQUAL "${PROJECT_SOURCE_DIR}/src")
      cmake_path(GET CMAKE_CURRENT_SOURCE_DIR FILENAME ARG_DIR)
    else()
      set(ARG_DIR ${name})
    endif()
  endif()
  if(NOT IS_DIRECTORY ${PROJECT_SOURCE_DIR}/src/${ARG_DIR})
    message(FATAL_ERROR "flint_library(${name}): no directory src/${ARG_DIR}; pass DIR")
  endif()
  set(root ${PROJECT_BINARY_DIR}/include/${name})
  file(MAKE_DIRECTORY ${root})
  if(NOT EXISTS ${root}/${ARG_DIR})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${ARG_DIR} ${root}/${ARG_DIR} SYMBOLIC)
  endif()
  add_library(flint_${name} STATIC ${ARG_SOURCES})
  target_include_directories(flint_${name} PUBLIC ${root})
  target_compile_options(flint_${name} PRIVATE -Wall -Wextra $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
  if(FLINT_WERROR)
    target_compile_options(flint_${name} PRIVATE -Werror)
  endif()
  target_link_libraries(flint_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# flint_test(NAME SOURCES ... DEPS ...): a GoogleTest executable registered with CTest. Tests
# see the whole source tree (fixtures may wire real implementations of any module).
function(flint_test name)
  if(NOT FLINT_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE -Wall -Wextra -Werror $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  add_test(NAME ${name} COMMAND ${name})
endfunction()
