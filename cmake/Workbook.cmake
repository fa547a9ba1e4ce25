# Lessons come from lessons/manifest.json: this file turns each entry into targets and a test. The
# manifest is read by the workbook's own parser (tools/workbook/manifest.cpp, the one ./workbook and
# the grader use), compiled here when the build is configured: see workbook_read_manifest.
#
# For a lesson with slug S and kind K, built from TREE/S/ and tests/S/*.cpp, each of its programs P
# (the manifest's "programs": a name and the files it is built from):
#   S-P            the program, from its .cpp files -> bin/S/P. A unit lesson has one, its driver:
#                  the student's code and the lesson's driver (tests/S/driver/*.cpp, a main() that
#                  calls the student's functions); a server or client is linked with support/
#   S-programs     all of them
#   S-tests        the tests, which start the programs and probe them -> bin/S/tests: the student's
#                  code never runs inside the process that writes the verdict. A test finds program
#                  P as probe::program_under_test("P"): $WORKBOOK_PROGRAM_P (upper-case), else
#                  bin/S/P; a lesson with one program also as program_under_test()
#   lesson-S       builds both; ctest runs S-tests as the test named S, labelled "lesson" and with
#                  the lesson's sanitizers ("asan", "tsan"), with the lesson's timeout.
#
# A lesson whose sanitizers include "tsan" has its programs built with ThreadSanitizer in every
# build that is not already sanitized (a student's ./workbook test, grade): a data race fails the
# lesson. The tests themselves are not instrumented; they read the program's reports (checks.hpp).

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

# The manifest reader (tools/workbook/manifest_reader.cpp with manifest.cpp), compiled once per build
# folder and again when its sources change; OUT is its path.
function(workbook_manifest_reader out)
    set(dir "${PROJECT_SOURCE_DIR}/tools/workbook")
    set(reader "${CMAKE_BINARY_DIR}/manifest-reader/manifest-reader")
    set(sources "${dir}/manifest_reader.cpp" "${dir}/manifest.cpp" "${dir}/files.cpp")
    set(stale FALSE)
    foreach(source IN LISTS sources ITEMS "${dir}/manifest.hpp" "${dir}/files.hpp")
        if("${source}" IS_NEWER_THAN "${reader}")
            set(stale TRUE)
        endif()
    endforeach()
    if(stale)
        message(STATUS "Compiling the manifest reader")
        try_compile(built "${CMAKE_BINARY_DIR}/manifest-reader/build"
                    SOURCES ${sources}
                    CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${dir}"
                    LINK_LIBRARIES fmt::fmt nlohmann_json::nlohmann_json
                    CXX_STANDARD 20
                    CXX_STANDARD_REQUIRED ON
                    OUTPUT_VARIABLE log
                    COPY_FILE "${reader}")
        if(NOT built)
            message(FATAL_ERROR "The manifest reader (tools/workbook/manifest_reader.cpp) does not compile:\n${log}")
        endif()
    endif()
    set(${out} "${reader}" PARENT_SCOPE)
endfunction()

# Reads MANIFEST_PATH with the manifest reader into variables of the caller's scope:
#   WORKBOOK_LESSONS                          the slugs, in order
#   WORKBOOK_LESSON_<S>_KIND, _TIMEOUT, _SANITIZERS, _PROGRAMS (names)
#   WORKBOOK_LESSON_<S>_PROGRAM_<P>_FILES     its .cpp files
# A manifest the workbook refuses stops the configure with the reader's message.
macro(workbook_read_manifest manifest_path)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${manifest_path}")
    workbook_manifest_reader(_workbook_reader)
    string(MD5 _workbook_key "${manifest_path}")
    set(_workbook_out "${CMAKE_BINARY_DIR}/manifest-reader/${_workbook_key}.cmake")
    execute_process(COMMAND "${_workbook_reader}" "${manifest_path}" "${_workbook_out}"
                    RESULT_VARIABLE _workbook_status ERROR_VARIABLE _workbook_error)
    if(NOT _workbook_status EQUAL 0)
        message(FATAL_ERROR "${_workbook_error}")
    endif()
    include("${_workbook_out}")
endmacro()

# Every lesson of MANIFEST_PATH, its tests in LESSONS_ROOT/tests/<slug>/, its code in TREE_DIR/<slug>/
# (and, with WORKBOOK_CHECK_TREE, CHECK_TREE_DIR/<slug>/).
function(workbook_add_lessons manifest_path lessons_root tree_dir check_tree_dir)
    workbook_read_manifest("${manifest_path}")
    foreach(slug IN LISTS WORKBOOK_LESSONS)
        workbook_add_lesson(${slug} "${lessons_root}" "${tree_dir}" "${check_tree_dir}")
    endforeach()
endfunction()

function(workbook_add_lesson slug lessons_root tree_dir check_tree_dir)
    set(v WORKBOOK_LESSON_${slug})
    set(kind ${${v}_KIND})
    set(programs ${${v}_PROGRAMS})
    set(sanitizers ${${v}_SANITIZERS})
    set(labels lesson ${sanitizers})
    # ThreadSanitizer for the programs of a lesson that asks for it, unless the whole build is
    # already sanitized (TSan and ASan cannot be mixed; the tsan build has it everywhere).
    # -g1: line tables only, enough for its reports, and 0.2 s less to compile.
    set(sanitize_flags "")
    if("tsan" IN_LIST sanitizers AND WORKBOOK_SANITIZE STREQUAL "")
        set(sanitize_flags -fsanitize=thread -fno-omit-frame-pointer -g1)
    endif()

    set(code_dir "${tree_dir}/${slug}")
    set(test_dir "${lessons_root}/tests/${slug}")
    set(out_dir "${CMAKE_BINARY_DIR}/bin/${slug}")
    file(GLOB tests CONFIGURE_DEPENDS "${test_dir}/*.cpp")
    if(NOT tests)
        message(WARNING "lesson ${slug}: no tests in ${test_dir}")
        workbook_failing_test(${slug} "lesson ${slug}: the workbook has no tests in ${test_dir}")
        return()
    endif()
    foreach(program IN LISTS programs)
        foreach(file IN LISTS ${v}_PROGRAM_${program}_FILES)
            if(NOT EXISTS "${code_dir}/${file}")
                workbook_failing_test(${slug} "lesson ${slug}: no ${file} in ${code_dir}")
                return()
            endif()
        endforeach()
    endforeach()

    # The tests' objects on their own, so that a grader can link them with each student's code
    # without compiling the tests again (see workbook_grading_recipe).
    add_library(${slug}-test-objects OBJECT ${tests})
    target_link_libraries(${slug}-test-objects PUBLIC Catch2::Catch2 probe)
    target_compile_definitions(${slug}-test-objects PRIVATE WORKBOOK_PROGRAMS_DIR="${out_dir}")
    add_executable(${slug}-tests)
    set_target_properties(${slug}-tests PROPERTIES OUTPUT_NAME tests RUNTIME_OUTPUT_DIRECTORY "${out_dir}")
    target_link_libraries(${slug}-tests PRIVATE ${slug}-test-objects workbook_catch_main)

    if(kind STREQUAL "unit")
        file(GLOB driver CONFIGURE_DEPENDS "${test_dir}/driver/*.cpp")
        if(NOT driver)
            workbook_failing_test(${slug} "lesson ${slug}: the workbook has no driver in ${test_dir}/driver")
            return()
        endif()
        # The driver's objects on their own, so that a grader links them with each student's code.
        add_library(${slug}-driver-objects OBJECT ${driver})
        target_include_directories(${slug}-driver-objects PRIVATE "${code_dir}")
        # The tests may include the lesson's headers (the contract), never its code.
        target_include_directories(${slug}-test-objects PRIVATE "${code_dir}")
        target_link_libraries(${slug}-driver-objects PUBLIC CLI11::CLI11 fmt::fmt Threads::Threads)
        if(sanitize_flags)
            target_compile_options(${slug}-driver-objects PRIVATE ${sanitize_flags})
        endif()
    endif()

    add_custom_target(${slug}-programs)
    add_custom_target(lesson-${slug})
    add_dependencies(lesson-${slug} ${slug}-tests ${slug}-programs)
    list(LENGTH programs n_programs)
    foreach(program IN LISTS programs)
        set(files ${${v}_PROGRAM_${program}_FILES})
        workbook_lesson_program(${slug}-${program} ${slug} ${kind} ${program} "${code_dir}" "${files}"
                                "${out_dir}" "${sanitize_flags}")
        add_dependencies(${slug}-programs ${slug}-${program})
        if(n_programs EQUAL 1)
            target_compile_definitions(${slug}-test-objects PRIVATE
                WORKBOOK_PROGRAM="$<TARGET_FILE:${slug}-${program}>")
        endif()
    endforeach()
    add_dependencies(${slug}-tests ${slug}-programs)

    # The same programs built from a second tree (WORKBOOK_CHECK_TREE, the solutions preset's
    # "starter"), beside the first in bin/S/check/: ./workbook verify runs the lesson's tests on
    # them (WORKBOOK_PROGRAM_<P> names each), so the untouched starters are checked without a
    # second build of the harness and the tests.
    if(check_tree_dir)
        add_custom_target(${slug}-check)
        foreach(program IN LISTS programs)
            set(files ${${v}_PROGRAM_${program}_FILES})
            set(present TRUE)
            foreach(file IN LISTS files)
                if(NOT EXISTS "${check_tree_dir}/${slug}/${file}")
                    set(present FALSE)
                endif()
            endforeach()
            if(present)
                workbook_lesson_program(${slug}-check-${program} ${slug} ${kind} ${program}
                                        "${check_tree_dir}/${slug}" "${files}" "${out_dir}/check"
                                        "${sanitize_flags}")
                add_dependencies(${slug}-check ${slug}-check-${program})
            endif()
        endforeach()
    endif()

    # The same programs under AddressSanitizer and UndefinedBehaviorSanitizer, for a lesson that
    # asks for it ("asan") in a build that is not sanitized, with WORKBOOK_ASAN_PROGRAMS (the
    # solutions preset): bin/S/asan/P, target S-asan. ./workbook verify runs the lesson's tests on
    # them (WORKBOOK_PROGRAM_P): the tests and the harness need no sanitized build of their own.
    if("asan" IN_LIST sanitizers AND WORKBOOK_SANITIZE STREQUAL "" AND WORKBOOK_ASAN_PROGRAMS)
        set(asan_flags -fsanitize=address,undefined -fno-omit-frame-pointer
                       -fno-sanitize-recover=all -g1)
        if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
            list(APPEND asan_flags -Wno-maybe-uninitialized)  # see CMakeLists.txt
        endif()
        if(kind STREQUAL "unit")
            add_library(${slug}-asan-driver-objects OBJECT ${driver})
            target_include_directories(${slug}-asan-driver-objects PRIVATE "${code_dir}")
            target_link_libraries(${slug}-asan-driver-objects PUBLIC CLI11::CLI11 fmt::fmt Threads::Threads)
            target_compile_options(${slug}-asan-driver-objects PRIVATE ${asan_flags})
        endif()
        add_custom_target(${slug}-asan)
        foreach(program IN LISTS programs)
            set(files ${${v}_PROGRAM_${program}_FILES})
            list(TRANSFORM files PREPEND "${code_dir}/")
            add_executable(${slug}-asan-${program} ${files})
            set_target_properties(${slug}-asan-${program} PROPERTIES
                OUTPUT_NAME ${program} RUNTIME_OUTPUT_DIRECTORY "${out_dir}/asan")
            target_include_directories(${slug}-asan-${program} PRIVATE "${code_dir}")
            target_compile_options(${slug}-asan-${program} PRIVATE ${asan_flags})
            target_link_options(${slug}-asan-${program} PRIVATE -fsanitize=address,undefined)
            if(kind STREQUAL "unit")
                target_link_libraries(${slug}-asan-${program} PRIVATE ${slug}-asan-driver-objects)
            else()
                target_link_libraries(${slug}-asan-${program} PRIVATE workbook_support)
            endif()
            add_dependencies(${slug}-asan ${slug}-asan-${program})
        endforeach()
    endif()

    add_test(NAME ${slug} COMMAND ${slug}-tests)
    set_tests_properties(${slug} PROPERTIES LABELS "${labels}" TIMEOUT ${${v}_TIMEOUT})
    workbook_grading_recipe(${slug} ${kind} "${sanitize_flags}" "${code_dir}")
endfunction()

# TARGET: lesson SLUG's program (a unit lesson's driver), named PROGRAM, from FILES in CODE_DIR, in
# OUT_DIR, with SANITIZE_FLAGS on top of the build's own (a thread lesson's: ThreadSanitizer).
function(workbook_lesson_program target slug kind program code_dir files out_dir sanitize_flags)
    list(TRANSFORM files PREPEND "${code_dir}/")
    add_executable(${target} ${files})
    set_target_properties(${target} PROPERTIES OUTPUT_NAME ${program} RUNTIME_OUTPUT_DIRECTORY "${out_dir}")
    target_include_directories(${target} PRIVATE "${code_dir}")
    if(kind STREQUAL "unit")
        target_link_libraries(${target} PRIVATE ${slug}-driver-objects)
    else()
        # The option parser is the workbook's, built without the sanitizer: it runs before any
        # thread starts, so there is nothing in it for ThreadSanitizer to see.
        target_link_libraries(${target} PRIVATE workbook_support)
    endif()
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
    # (A server lesson without a sanitizer compiles fast enough without: one precompiled header per
    # program would cost more than it saves.)
    if(NOT kind STREQUAL "unit" AND NOT sanitize_flags)
        return()
    endif()
    file(GLOB contract CONFIGURE_DEPENDS "${code_dir}/*.hpp")
    if(contract)
        target_precompile_headers(${target} PRIVATE ${contract})
    endif()
endfunction()

# build/.../grading/S.recipe: how to build lesson S from a student's files with the objects this build
# already made — the compiler and its flags, the include folders, the tests' objects, Catch2's main
# and the libraries to link, and the libraries the tests preload into a program (probe::Faults), which
# the sandbox must show. ./workbook grade reads it, so a class is graded without compiling the tests
# once per student. One "key<TAB>value" per line, a list as its key repeated: a value is taken whole
# to the end of its line, so a path with a quote, a backslash or a space needs no escaping (JSON
# written by string concatenation did); only a line break cannot be carried, and is refused here.
function(workbook_grading_recipe slug kind sanitize_flags code_dir)
    get_directory_property(options COMPILE_OPTIONS)
    string(TOUPPER "${CMAKE_BUILD_TYPE}" type)
    separate_arguments(type_flags UNIX_COMMAND "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${type}}")
    set(flags -std=c++20 ${options} ${type_flags})
    # A warning in a student's code is never a compile error in grading, whichever build grades it
    # (verify grades with the solutions' build, which treats warnings as errors).
    list(REMOVE_ITEM flags -Werror)
    foreach(value IN ITEMS "${CMAKE_CXX_COMPILER}" "${PROJECT_SOURCE_DIR}" "${CMAKE_BINARY_DIR}"
                           "${code_dir}" ${flags})
        if(value MATCHES "[\r\n]")
            message(FATAL_ERROR "A path or flag holds a line break, which the grading recipe cannot carry: ${value}")
        endif()
    endforeach()
    set(t "\t")
    set(n "\n")
    list(JOIN flags "${n}flags${t}" flag_lines)
    set(program_lines "")
    if(sanitize_flags)
        list(JOIN sanitize_flags "${n}program_flags${t}" sanitize_lines)
        set(program_lines "program_flags${t}${sanitize_lines}
")
    endif()
    if(kind STREQUAL "unit")
        set(program_lines "${program_lines}program_objects${t}$<JOIN:$<TARGET_OBJECTS:${slug}-driver-objects>,${n}program_objects${t}>
")
    endif()
    file(GENERATE OUTPUT "${CMAKE_BINARY_DIR}/grading/${slug}.recipe" CONTENT "format${t}2
compiler${t}${CMAKE_CXX_COMPILER}
flags${t}${flag_lines}
include${t}${PROJECT_SOURCE_DIR}/support
include${t}${PROJECT_SOURCE_DIR}/tools/os
test_objects${t}$<JOIN:$<TARGET_OBJECTS:${slug}-test-objects>,${n}test_objects${t}>
main_objects${t}$<JOIN:$<TARGET_OBJECTS:workbook_catch_main>,${n}main_objects${t}>
test_libraries${t}$<TARGET_FILE:probe>
test_libraries${t}$<TARGET_FILE:workbook_os>
test_libraries${t}$<TARGET_LINKER_FILE:fmt::fmt>
test_libraries${t}-pthread
program_libraries${t}$<TARGET_FILE:workbook_support>
program_libraries${t}$<TARGET_LINKER_FILE:fmt::fmt>
program_libraries${t}-pthread
${program_lines}tests_binary${t}$<TARGET_FILE:${slug}-tests>
harness_include${t}${PROJECT_SOURCE_DIR}/tests/harness
lesson_include${t}${code_dir}
reference_programs${t}${CMAKE_BINARY_DIR}/bin/${slug}
preload_libraries${t}$<TARGET_FILE:workbook_faults>
")
endfunction()
