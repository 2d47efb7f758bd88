# FindSystemC: locate the Accellera SystemC library (with TLM-2.0).
#
# Debian's libsystemc-dev ships pkg-config files but no CMake package, so
# this asks pkg-config and exposes the result as the imported target
# SystemC::SystemC.  The TLM-2.0 headers come with the same package.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_SYSTEMC QUIET systemc)
endif()

find_path(SystemC_INCLUDE_DIR systemc HINTS ${PC_SYSTEMC_INCLUDE_DIRS})
find_path(SystemC_TLM_INCLUDE_DIR tlm HINTS ${PC_SYSTEMC_INCLUDE_DIRS})
find_library(SystemC_LIBRARY systemc HINTS ${PC_SYSTEMC_LIBRARY_DIRS})
set(SystemC_VERSION ${PC_SYSTEMC_VERSION})

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(SystemC
  REQUIRED_VARS SystemC_LIBRARY SystemC_INCLUDE_DIR SystemC_TLM_INCLUDE_DIR
  VERSION_VAR SystemC_VERSION)

if(SystemC_FOUND AND NOT TARGET SystemC::SystemC)
  add_library(SystemC::SystemC UNKNOWN IMPORTED)
  set_target_properties(SystemC::SystemC PROPERTIES
    IMPORTED_LOCATION "${SystemC_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SystemC_INCLUDE_DIR}"
    INTERFACE_COMPILE_FEATURES cxx_std_17)
endif()
mark_as_advanced(SystemC_INCLUDE_DIR SystemC_TLM_INCLUDE_DIR SystemC_LIBRARY)
