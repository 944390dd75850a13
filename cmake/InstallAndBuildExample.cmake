# ctest install_and_build_example (cmake -P): what a user of the package
# does, from scratch:
#   1. cmake --install the build tree into a fresh prefix;
#   2. configure and build examples/cpp against that prefix only
#      (find_package(dlc); no path into the source or build tree);
#   3. run both programs and the installed dlc tool, checking their output.
# Inputs: -DBUILD_DIR -DSOURCE_DIR -DWORK_DIR [-DCXX_COMPILER] [-DLAUNCHER]
foreach(v BUILD_DIR SOURCE_DIR WORK_DIR)
  if(NOT ${v})
    message(FATAL_ERROR "install_and_build_example: -D${v}= is required")
  endif()
endforeach()

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

function(expect_match what output regex)
  if(NOT output MATCHES "${regex}")
    message(FATAL_ERROR "${what}: output does not match '${regex}':\n${output}")
  endif()
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

run_step("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# Only the public headers are installed.
file(GLOB_RECURSE headers RELATIVE ${prefix}/include ${prefix}/include/*)
foreach(h ${headers})
  if(NOT h MATCHES "^dlc/[A-Za-z]+\\.h$")
    message(FATAL_ERROR "installed header outside the public set: include/${h}")
  endif()
endforeach()
foreach(f include/dlc/dlc.h bin/dlc lib/cmake/dlc/dlcConfig.cmake lib/cmake/dlc/dlcConfigVersion.cmake
          lib/cmake/dlc/dlcTargets.cmake)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()

set(configure ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/cpp -B ${WORK_DIR}/build -G Ninja
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
if(CXX_COMPILER)
  list(APPEND configure -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()
if(LAUNCHER)
  list(APPEND configure -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()
run_step("configuring examples/cpp" ${configure})
run_step("building examples/cpp" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)

set(mlp ${SOURCE_DIR}/examples/models/mlp.onnx)
run_step("run_model" ${WORK_DIR}/build/run_model ${mlp})
expect_match("run_model" "${step_output}" "input  0 'input': tensor<4x784xf32>")
expect_match("run_model" "${step_output}" "output 0 'probs': tensor<4x10xf32>")
expect_match("run_model" "${step_output}" "stats: [0-9]+ kernels")
expect_match("run_model" "${step_output}" "output 0 'probs' tensor<4x10xf32>: [-0-9.e]+ ")
run_step("run_model --device host" ${WORK_DIR}/build/run_model ${mlp} --device host)
expect_match("run_model --device host" "${step_output}" "device: host")

run_step("build_graph" ${WORK_DIR}/build/build_graph)
expect_match("build_graph" "${step_output}" "matches the hand-written loops")

# A failure reaches the program as the tool's message and exit code.
execute_process(COMMAND ${WORK_DIR}/build/run_model ${WORK_DIR}/missing.onnx
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "missing.onnx: no such model file")
  message(FATAL_ERROR "run_model on a missing file: exit ${rc}, stderr: ${err}")
endif()

run_step("the installed dlc tool" ${prefix}/bin/dlc compile ${mlp})
expect_match("dlc compile" "${step_output}" "compiled .*mlp.onnx")
message(STATUS "install_and_build_example: OK (${prefix})")
