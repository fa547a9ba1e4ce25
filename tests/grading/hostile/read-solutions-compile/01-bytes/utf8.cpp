// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): instead of code of its own, it includes the reference solution, by its absolute
// path and by relative paths that walk up from this file and from every include folder. The
// compiler must not see the solutions: this lesson must end as a compile error, the #error below.
// selftest.py fills in the @...@ placeholders when it copies this file.
#if __has_include("@WORKBOOK_ROOT@/solutions/01-bytes/utf8.cpp")
#include "@WORKBOOK_ROOT@/solutions/01-bytes/utf8.cpp"
#elif __has_include("../solutions/01-bytes/utf8.cpp")
#include "../solutions/01-bytes/utf8.cpp"
#elif __has_include("../../solutions/01-bytes/utf8.cpp")
#include "../../solutions/01-bytes/utf8.cpp"
#elif __has_include("../../../solutions/01-bytes/utf8.cpp")
#include "../../../solutions/01-bytes/utf8.cpp"
#elif __has_include("../../../../solutions/01-bytes/utf8.cpp")
#include "../../../../solutions/01-bytes/utf8.cpp"
#elif __has_include("../../../../../solutions/01-bytes/utf8.cpp")
#include "../../../../../solutions/01-bytes/utf8.cpp"
#elif __has_include("../../../../../../solutions/01-bytes/utf8.cpp")
#include "../../../../../../solutions/01-bytes/utf8.cpp"
#else
#error "hostile submission: the reference solution is out of reach"
#endif
