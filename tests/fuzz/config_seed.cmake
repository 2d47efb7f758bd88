# The configuration fuzzer's seed: the full default file, every key, as
# `zpcisim config dump` prints it.  cmake -DZPCISIM=program -DOUT=file -P this
set(ENV{SC_COPYRIGHT_MESSAGE} DISABLE)
execute_process(COMMAND ${ZPCISIM} config dump OUTPUT_FILE ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${ZPCISIM} config dump failed: ${rc}")
endif()
