# docs/cli-reference.md is generated from the dlc tool's --help texts and
# committed (readers find it without a build); `ninja dlc-cli-reference`
# regenerates it, and a test fails when it is stale (as
# ir_reference_doc_up_to_date does for docs/ir-reference.md).
set(DLC_CLI_REFERENCE_SCRIPT ${PROJECT_SOURCE_DIR}/scripts/gen-cli-reference.sh)
add_custom_target(dlc-cli-reference
  COMMAND sh ${DLC_CLI_REFERENCE_SCRIPT} $<TARGET_FILE:dlc> ${PROJECT_SOURCE_DIR}/docs/cli-reference.md
  DEPENDS dlc
  COMMENT "Generating docs/cli-reference.md from dlc --help")
if(DLC_BUILD_TESTS)
  add_test(NAME cli_reference_doc_up_to_date
           COMMAND sh ${DLC_CLI_REFERENCE_SCRIPT} $<TARGET_FILE:dlc> --check
                   ${PROJECT_SOURCE_DIR}/docs/cli-reference.md)
endif()
