# Lessons come from lessons/manifest.json: this file turns each entry into targets and a test.
#
# For a lesson with slug S and kind K, built from TREE/S/*.cpp and tests/S/*.cpp:
#   unit           S-program = the student's code and the lesson's driver (tests/S/driver/*.cpp,
#                  a main() that calls the student's functions) -> bin/S/<program>, "driver"
#                  S-tests  = the tests, which start the driver and judge what it prints: the
#                  student's code never runs inside the process that writes the verdict
#   server, client S-program = the student's program (OUTPUT_NAME from "program") -> bin/S/<program>
#                  S-tests  = the tests, which start bin/S/<program> and probe it -> bin/S/tests
#   lesson-S       builds both; ctest runs S-tests as the test named S, labelled "lesson" and with
#                  the lesson's sanitizers ("asan", "tsan"), with the lesson's timeout.
#
# A lesson whose sanitizers include "tsan" has its program built with ThreadSanitizer in every build
# that is not already sanitized (a student's ./workbook test, grade): a data race fails the lesson.
# The tests themselves are not instrumented; they read the program's reports (checks.hpp).

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
    string(JSON version ERROR_VARIABLE no_version GET "${manifest}" format_version)
    if(no_version OR NOT version STREQUAL "1")
        message(FATAL_ERROR "${manifest_path}: this build reads \"format_version\": 1, not '${version}'")
    endif()
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

    # The tests' objects on their own, so that a grader can link them with each student's code
    # without compiling the tests again (see workbook_grading_recipe).
    add_library(${slug}-test-objects OBJECT ${tests})
    target_link_libraries(${slug}-test-objects PUBLIC Catch2::Catch2 probe)
    add_executable(${slug}-tests)
    set_target_properties(${slug}-tests PROPERTIES OUTPUT_NAME tests RUNTIME_OUTPUT_DIRECTORY "${out_dir}")
    target_link_libraries(${slug}-tests PRIVATE ${slug}-test-objects workbook_catch_main)

    string(JSON program ERROR_VARIABLE no_program GET "${lesson}" program)
    if(no_program)
        message(FATAL_ERROR "lesson ${slug}: the manifest names no \"program\" (a unit lesson's is \"driver\")")
    endif()
    if(NOT kind MATCHES "^(unit|server|client)$")
        message(FATAL_ERROR "lesson ${slug}: unknown kind '${kind}' (unit, server or client)")
    endif()
    if(kind STREQUAL "unit")
        file(GLOB driver CONFIGURE_DEPENDS "${test_dir}/driver/*.cpp")
        if(NOT driver)
            workbook_failing_test(${slug} "lesson ${slug}: the workbook has no driver in ${test_dir}/driver")
            return()
        endif()
    endif()

    if(kind STREQUAL "unit")
        # The driver's objects on their own, so that a grader links them with each student's code.
        add_library(${slug}-driver-objects OBJECT ${driver})
        target_include_directories(${slug}-driver-objects PRIVATE "${code_dir}")
        # The tests may include the lesson's headers (the contract), never its code.
        target_include_directories(${slug}-test-objects PRIVATE "${code_dir}")
        target_link_libraries(${slug}-driver-objects PUBLIC CLI11::CLI11 fmt::fmt Threads::Threads)
        workbook_lesson_sanitizer(${slug} sanitize_flags)
        if(sanitize_flags)
            target_compile_options(${slug}-driver-objects PRIVATE ${sanitize_flags})
        endif()
    endif()

    workbook_lesson_program(${slug}-program ${slug} ${kind} ${program} "${code_dir}" "${out_dir}")
    target_compile_definitions(${slug}-test-objects PRIVATE
        WORKBOOK_PROGRAM="$<TARGET_FILE:${slug}-program>")
    add_dependencies(${slug}-tests ${slug}-program)
    add_custom_target(lesson-${slug})
    add_dependencies(lesson-${slug} ${slug}-tests ${slug}-program)

    # The same program built from a second tree (WORKBOOK_CHECK_TREE, the solutions preset's
    # "starter"), beside the first in bin/S/check/: ./workbook verify runs the lesson's tests on it
    # (WORKBOOK_PROGRAM names it), so the untouched starters are checked without a second build of
    # the harness and the tests.
    if(WORKBOOK_CHECK_TREE_DIR)
        file(GLOB check_code CONFIGURE_DEPENDS "${WORKBOOK_CHECK_TREE_DIR}/${slug}/*.cpp")
        if(check_code)
            workbook_lesson_program(${slug}-check-program ${slug} ${kind} ${program}
                                    "${WORKBOOK_CHECK_TREE_DIR}/${slug}" "${out_dir}/check")
        endif()
    endif()

    add_test(NAME ${slug} COMMAND ${slug}-tests)
    set_tests_properties(${slug} PROPERTIES LABELS "${labels}" TIMEOUT ${timeout})
    workbook_grading_recipe(${slug} ${kind})
endfunction()

# TARGET: lesson SLUG's program (a unit lesson's driver), named PROGRAM, from CODE_DIR/*.cpp, in OUT_DIR.
function(workbook_lesson_program target slug kind program code_dir out_dir)
    file(GLOB code CONFIGURE_DEPENDS "${code_dir}/*.cpp")
    add_executable(${target} ${code})
    set_target_properties(${target} PROPERTIES OUTPUT_NAME ${program} RUNTIME_OUTPUT_DIRECTORY "${out_dir}")
    if(NOT kind STREQUAL "unit")
        target_link_libraries(${target} PRIVATE workbook_support)
        return()
    endif()
    target_include_directories(${target} PRIVATE "${code_dir}")
    target_link_libraries(${target} PRIVATE ${slug}-driver-objects)
    workbook_lesson_sanitizer(${slug} sanitize_flags)
    if(sanitize_flags)
        target_compile_options(${target} PRIVATE ${sanitize_flags})
        target_link_options(${target} PRIVATE ${sanitize_flags})
        # gold links a ThreadSanitizer program in half the time of the default linker (0.1 s of
        # each save); where there is no gold, the default linker does it.
        include(CheckLinkerFlag)
        check_linker_flag(CXX -fuse-ld=gold WORKBOOK_HAS_GOLD)
        if(WORKBOOK_HAS_GOLD)
            target_link_options(${target} PRIVATE -fuse-ld=gold)
        endif()
    endif()
    # The lesson's own headers (the contract, the same in starter/ and solutions/: verify checks),
    # precompiled: the standard headers they include (<thread>, <mutex>, <functional>...) are most
    # of the time a save takes to compile, under ThreadSanitizer more so. The student's file
    # includes them anyway, so what compiles here compiles without it (as the grader compiles it).
    file(GLOB contract CONFIGURE_DEPENDS "${code_dir}/*.hpp")
    if(contract)
        target_precompile_headers(${target} PRIVATE ${contract})
    endif()
endfunction()

# The flags lesson S's program is built with on top of the build's own: ThreadSanitizer for a lesson
# that asks for it ("tsan"), unless the whole build is already sanitized (TSan and ASan cannot be
# mixed; the tsan build has it everywhere).
function(workbook_lesson_sanitizer slug out)
    set(flags "")
    file(READ "${PROJECT_SOURCE_DIR}/lessons/manifest.json" manifest)
    string(JSON count LENGTH "${manifest}" lessons)
    math(EXPR last "${count} - 1")
    foreach(i RANGE ${last})
        string(JSON s GET "${manifest}" lessons ${i} slug)
        if(s STREQUAL slug)
            string(JSON sanitizers ERROR_VARIABLE none GET "${manifest}" lessons ${i} sanitizers)
            if(NOT none AND sanitizers MATCHES "\"tsan\"" AND WORKBOOK_SANITIZE STREQUAL "")
                # -g1: line tables only, enough for its reports, and 0.2 s less to compile.
                set(flags -fsanitize=thread -fno-omit-frame-pointer -g1)
            endif()
        endif()
    endforeach()
    set(${out} "${flags}" PARENT_SCOPE)
endfunction()

# build/.../grading/S.recipe: how to build lesson S from a student's files with the objects this build
# already made — the compiler and its flags, the include folders, the tests' objects, Catch2's main
# and the libraries to link, and the libraries the tests preload into a program (probe::Faults), which
# the sandbox must show. ./workbook grade reads it, so a class is graded without compiling the tests
# once per student. One "key<TAB>value" per line, a list as its key repeated: a value is taken whole
# to the end of its line, so a path with a quote, a backslash or a space needs no escaping (JSON
# written by string concatenation did); only a line break cannot be carried, and is refused here.
function(workbook_grading_recipe slug kind)
    get_directory_property(options COMPILE_OPTIONS)
    string(TOUPPER "${CMAKE_BUILD_TYPE}" type)
    separate_arguments(type_flags UNIX_COMMAND "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${type}}")
    set(flags -std=c++20 ${options} ${type_flags})
    # A warning in a student's code is never a compile error in grading, whichever build grades it
    # (verify grades with the solutions' build, which treats warnings as errors).
    list(REMOVE_ITEM flags -Werror)
    foreach(value IN ITEMS "${CMAKE_CXX_COMPILER}" "${PROJECT_SOURCE_DIR}" "${CMAKE_BINARY_DIR}"
                           "${WORKBOOK_TREE_DIR}" ${flags})
        if(value MATCHES "[\r\n]")
            message(FATAL_ERROR "A path or flag holds a line break, which the grading recipe cannot carry: ${value}")
        endif()
    endforeach()
    set(t "\t")
    set(n "\n")
    list(JOIN flags "${n}flags${t}" flag_lines)
    set(program_lines "")
    if(kind STREQUAL "unit")
        workbook_lesson_sanitizer(${slug} sanitize_flags)
        list(JOIN sanitize_flags "${n}program_flags${t}" sanitize_lines)
        set(program_lines "program_objects${t}$<JOIN:$<TARGET_OBJECTS:${slug}-driver-objects>,${n}program_objects${t}>
program_flags${t}${sanitize_lines}
")
    endif()
    file(GENERATE OUTPUT "${CMAKE_BINARY_DIR}/grading/${slug}.recipe" CONTENT "format${t}1
compiler${t}${CMAKE_CXX_COMPILER}
flags${t}${flag_lines}
include${t}${PROJECT_SOURCE_DIR}/support
test_objects${t}$<JOIN:$<TARGET_OBJECTS:${slug}-test-objects>,${n}test_objects${t}>
main_objects${t}$<JOIN:$<TARGET_OBJECTS:workbook_catch_main>,${n}main_objects${t}>
test_libraries${t}$<TARGET_FILE:probe>
test_libraries${t}$<TARGET_LINKER_FILE:fmt::fmt>
test_libraries${t}-pthread
program_libraries${t}$<TARGET_FILE:workbook_support>
program_libraries${t}$<TARGET_LINKER_FILE:fmt::fmt>
program_libraries${t}-pthread
${program_lines}tests_binary${t}$<TARGET_FILE:${slug}-tests>
harness_include${t}${PROJECT_SOURCE_DIR}/tests/harness
lesson_include${t}${WORKBOOK_TREE_DIR}/${slug}
reference_program${t}$<TARGET_FILE:${slug}-program>
preload_libraries${t}$<TARGET_FILE:workbook_faults>
")
endfunction()
