# ctest libdlc_exports_only_the_api (cmake -P -DLIBRARY=path -DNM=nm): the
# dynamic symbols libdlc.so defines in namespace dlc are the public API's
# classes and functions (include/dlc), nothing internal (dlc::rt, dlc::driver,
# the dialect ...). Template instances of MLIR/LLVM that mention dlc types
# are MLIR's (api/libdlc.map says why they stay exported).
execute_process(COMMAND ${NM} -D --defined-only -C ${LIBRARY} OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} failed on ${LIBRARY}")
endif()
set(public "Error|Status|Tensor|Float16|BFloat16|Model|GraphBuilder|Attribute|TensorSpec|Executable|Session")
set(functions "compile|tryCompile|loadExecutable|tryLoadExecutable|readTensorFile|writeTensorFile|version|dtypeSize|dtypeName|deviceName|shapeString")
string(REPLACE "\n" ";" lines "${symbols}")
set(bad "")
set(found_compile OFF)
foreach(line ${lines})
  # "ADDRESS TYPE NAME"
  string(REGEX REPLACE "^[0-9a-f]+ [A-Za-z] " "" name "${line}")
  string(REGEX REPLACE "^(typeinfo name for|typeinfo for|vtable for) " "" name "${name}")
  string(REPLACE "[abi:cxx11]" "" name "${name}")
  if(name MATCHES "^dlc::compile\\(")
    set(found_compile ON)
  endif()
  if(name MATCHES "^dlc::" AND NOT name MATCHES "^dlc::(${public})(::|\\(|$)"
     AND NOT name MATCHES "^dlc::(${functions})\\(")
    string(APPEND bad "  ${name}\n")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "libdlc.so exports internal symbols:\n${bad}")
endif()
if(NOT found_compile)
  message(FATAL_ERROR "libdlc.so does not export dlc::compile: the version script hides the API")
endif()
