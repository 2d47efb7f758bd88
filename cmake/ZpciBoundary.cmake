# zpci_boundary(TARGET PART part SEES part...): the parts of drivers/ (each
# a directory with its headers in include/zpci/) whose headers TARGET, the
# library of drivers/PART, may include.  The include directories already
# make a forbidden include fail to compile; the test Boundary.TARGET
# (check_boundary.cmake) keeps them that way.  It fails when
#  - a file under drivers/PART includes <zpci/X.h> of a part not in SEES;
#  - X.h of a part not in SEES is found through TARGET's include
#    directories, its own or those it passes on (a part re-exported where
#    it must not be seen);
#  - X.h of a part in SEES does not compile through them (so a probe that
#    finds nothing cannot pass).
set(ZPCI_BOUNDARY_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/check_boundary.cmake)

function(zpci_boundary target)
  cmake_parse_arguments(B "" "PART" "SEES" ${ARGN})
  set(dirs "$<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>"
           "$<TARGET_PROPERTY:${target},INTERFACE_INCLUDE_DIRECTORIES>")
  set(config ${CMAKE_CURRENT_BINARY_DIR}/boundary/${target}.cmake)
  file(GENERATE OUTPUT ${config} CONTENT
"set(TARGET ${target})
set(PART ${B_PART})
set(SEES ${B_SEES})
set(ROOT [==[${CMAKE_CURRENT_SOURCE_DIR}]==])
set(CC [==[${CMAKE_C_COMPILER}]==])
set(DIRS [==[$<REMOVE_DUPLICATES:${dirs}>]==])
set(WORK [==[${CMAKE_CURRENT_BINARY_DIR}/boundary/${target}]==])
")
  add_test(NAME Boundary.${target}
    COMMAND ${CMAKE_COMMAND} -DCONFIG=${config} -P ${ZPCI_BOUNDARY_SCRIPT})
endfunction()
