// ./workbook verify: the maintainers' proof that the workbook is sound, run by CI.
//   - every lesson is laid out in lessons/, starter/, solutions/ and tests/, with hints and TODOs;
//   - every solution passes its tests (warnings are errors) and its [pts=N] tags add up;
//   - every starter compiles cleanly and fails its tests with a message that points at a TODO;
//   - the harness's self-tests and the interoperability tests with the seed's Python pass;
//   - the solutions pass again under ASan+UBSan, and the thread lessons under TSan;
//   - a simulated student sees 0/N, fixes lesson 1, and sees 1/N with lesson 2 next.
// Its last line is the count: "N passed, M failed".
#pragma once

#include "manifest.hpp"
#include "ui.hpp"

#include <filesystem>

namespace workbook {

struct VerifyOptions {
    bool quick = false;  // skip the sanitizer builds and the student journey
};

int cmd_verify(const std::filesystem::path& root, const Manifest& manifest, const Ui& ui,
               const VerifyOptions& options);

}  // namespace workbook
