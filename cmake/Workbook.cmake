# Lessons come from lessons/manifest.json: this file turns each entry into targets and a test.
#
# For a lesson with slug S and kind K, built from TREE/S/*.cpp and tests/S/*.cpp:
#   unit           S-tests  = the tests linked with the student's code       -> bin/S/tests
#   server, client S-program = the student's program (OUTPUT_NAME from "program") -> bin/S/<program>
#                  S-tests  = the tests, which start bin/S/<program> and probe it -> bin/S/tests
#   lesson-S       builds both; ctest runs S-tests as the test named S, labelled "lesson" and with
#                  the lesson's sanitizers ("asan", "tsan"), with the lesson's timeout.

function(workbook_resolve_tree out tree)
    if(tree STREQUAL "starter" OR tree STREQUAL "solutions")
        set(dir "${PROJECT_SOURCE_DIR}/${tree}")
    else()
        get_filename_component(dir "${tree}" ABSOLUTE BASE_DIR "${PROJECT_SOURCE_DIR}")
    endif()
    if(NOT IS_DIRECTORY "${dir}")
        message(FATAL_ERROR "WORKBOOK_TREE: '${tree}' is not a folder (looked at ${dir})")
    endif()
    set(${out} "${dir}" PARENT_SCOPE)
endfunction()

# A ctest test that fails with a message: for a lesson that cannot be built at all.
function(workbook_failing_test name message)
    add_test(NAME ${name}
             COMMAND ${CMAKE_COMMAND} -DMESSAGE=${message} -P ${PROJECT_SOURCE_DIR}/cmake/fail.cmake)
    set_tests_properties(${name} PROPERTIES LABELS "lesson")
endfunction()

function(workbook_add_lessons manifest_path tree_dir)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${manifest_path}")
    file(READ "${manifest_path}" manifest)
    string(JSON count LENGTH "${manifest}" lessons)
    math(EXPR last "${count} - 1")
    foreach(i RANGE ${last})
        string(JSON lesson GET "${manifest}" lessons ${i})
        workbook_add_lesson("${lesson}" "${tree_dir}")
    endforeach()
endfunction()

function(workbook_add_lesson lesson tree_dir)
    string(JSON slug GET "${lesson}" slug)
    string(JSON kind GET "${lesson}" kind)
    string(JSON timeout GET "${lesson}" timeout)
    set(labels lesson)
    string(JSON n_san LENGTH "${lesson}" sanitizers)
    if(n_san GREATER 0)
        math(EXPR last "${n_san} - 1")
        foreach(j RANGE ${last})
            string(JSON san GET "${lesson}" sanitizers ${j})
            list(APPEND labels ${san})
        endforeach()
    endif()

    set(code_dir "${tree_dir}/${slug}")
    set(test_dir "${PROJECT_SOURCE_DIR}/tests/${slug}")
    set(out_dir "${CMAKE_BINARY_DIR}/bin/${slug}")
    file(GLOB code CONFIGURE_DEPENDS "${code_dir}/*.cpp")
    file(GLOB tests CONFIGURE_DEPENDS "${test_dir}/*.cpp")
    if(NOT tests)
        message(WARNING "lesson ${slug}: no tests in ${test_dir}")
        workbook_failing_test(${slug} "lesson ${slug}: the workbook has no tests in ${test_dir}")
        return()
    endif()
    if(NOT code)
        workbook_failing_test(${slug} "lesson ${slug}: no .cpp file in ${code_dir}")
        return()
    endif()

    add_executable(${slug}-tests ${tests})
    set_target_properties(${slug}-tests PROPERTIES OUTPUT_NAME tests RUNTIME_OUTPUT_DIRECTORY "${out_dir}")
    target_link_libraries(${slug}-tests PRIVATE workbook_catch_main)

    if(kind STREQUAL "unit")
        add_library(${slug}-code OBJECT ${code})
        target_include_directories(${slug}-code PUBLIC "${code_dir}")
        target_link_libraries(${slug}-tests PRIVATE ${slug}-code)
        add_custom_target(lesson-${slug})
        add_dependencies(lesson-${slug} ${slug}-tests)
    elseif(kind STREQUAL "server" OR kind STREQUAL "client")
        string(JSON program GET "${lesson}" program)
        add_executable(${slug}-program ${code})
        set_target_properties(${slug}-program PROPERTIES
            OUTPUT_NAME ${program} RUNTIME_OUTPUT_DIRECTORY "${out_dir}")
        target_link_libraries(${slug}-program PRIVATE workbook_support)
        target_link_libraries(${slug}-tests PRIVATE probe)
        target_compile_definitions(${slug}-tests PRIVATE
            WORKBOOK_PROGRAM="$<TARGET_FILE:${slug}-program>")
        add_dependencies(${slug}-tests ${slug}-program)
        add_custom_target(lesson-${slug})
        add_dependencies(lesson-${slug} ${slug}-tests ${slug}-program)
    else()
        message(FATAL_ERROR "lesson ${slug}: unknown kind '${kind}' (unit, server or client)")
    endif()

    add_test(NAME ${slug} COMMAND ${slug}-tests)
    set_tests_properties(${slug} PROPERTIES LABELS "${labels}" TIMEOUT ${timeout})
endfunction()
