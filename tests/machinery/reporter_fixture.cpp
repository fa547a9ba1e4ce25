// Checks that fail with invisible bytes in their values, run by workbook_test.cpp with the workbook
// reporter: the records must show every byte, and keep Catch2's layout of a long comparison.
#include <catch2/catch.hpp>

#include <string>

using namespace std::string_literals;

TEST_CASE("invisible bytes in the values") {
    CHECK("a\0b"s == "ab"s);
    CHECK("\x01 ok\r"s == "ok"s);
    CHECK("tab\there\nnext"s == "x"s);
    CHECK("caf\xc3\xa9 \"quoted\" back\\slash"s == "x"s);
    CHECK(std::string(30, 'a') + "\x7f" == std::string(30, 'b'));
}
