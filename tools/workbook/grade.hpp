// ./workbook grade: run every lesson's tests over a folder of submissions, each compile and each
// test case confined by workbook-sandbox, and write a gradebook. See docs/teachers.md.
#pragma once

#include "manifest.hpp"
#include "ui.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace workbook {

struct GradeOptions {
    std::filesystem::path submissions;  // one folder per student
    std::filesystem::path out;          // where the gradebook and the feedback go
    int jobs = 2;                       // students graded at once
    std::vector<std::string> lessons;   // keys (numbers or slugs); empty: all
    bool unsafe = false;                // run without isolation (results are marked unconfined)
    std::filesystem::path extra_tests;  // the teacher's own tests: EXTRA/NN-slug/*.cpp
    int case_timeout = 30;              // seconds of wall and CPU time for one test case, at most
    int lesson_budget = 180;      // seconds for all the test cases of one lesson; then "not-run"
    std::filesystem::path build;  // where the tests and the reference are built; empty: build/grade
    // Maintainers (the mutation corpus): a JSON object, submission -> names of test cases or their
    // starts; only those cases of those submissions run, the others are "not-run". Empty: all.
    std::filesystem::path only_cases;
};

// The name a test case is selected by on Catch2's command line: every character that means
// something in a test spec is escaped. Exposed for tests.
std::string catch_test_spec(const std::string& name);

// `source` (a test file) with the title of every TEST_CASE that has an [id=...] tag left empty:
// what a cached grade must match of the tests, so that rewording a title does not regrade a class
// (the cached results are shown under the new title, found by the id). Exposed for tests.
std::string without_titles(std::string_view source);

// A path of the grading machine and the name a student's feedback gives it instead; an empty name
// makes what lies under the path relative to it (ROOT/tests/x.cpp reads tests/x.cpp).
struct PathName {
    std::string path;
    std::string shown;
};

// `text` with every path of `names`, and whatever lies under it, named as the student knows it; the
// longest path first. A path counts only as a whole name: "/a/server" is not replaced inside
// "/a/server.cpp" or "/b/a/server". Exposed for tests.
std::string relative_paths(std::string_view text, std::vector<PathName> names);

// The grading recipe a build writes for each lesson (build/.../grading/S.recipe, see
// cmake/Workbook.cmake): "key<TAB>value" lines, a list as its key repeated, the first line
// "format<TAB>1". Each value is taken whole, quotes and backslashes included. Throws on a line
// without a key, or another format. Exposed for tests.
using RecipeLines = std::map<std::string, std::vector<std::string>>;
RecipeLines parse_recipe(std::string_view text);

int cmd_grade(const std::filesystem::path& root, const Manifest& manifest, const Ui& ui,
              const GradeOptions& options);

}  // namespace workbook
