// A teacher's own tests, as `./workbook grade --extra-tests tests/grading/extra` takes them: Catch2
// test cases with [pts=N], and [hidden] for those whose details the students must not see.
//
// Lesson 01's functions run in the lesson's driver, a program of its own: the lesson's remote.hpp
// sends each call there and brings back what it returned or threw (the grader compiles these tests
// with the harness's folder on the include path, hence the path from there).
#include <catch2/catch.hpp>

#include "../01-bytes/remote.hpp"

TEST_CASE("teacher: é is two bytes", "[pts=1][id=teacher-two-bytes]") {
    CHECK(bytes::encode_utf8(U"é") == "\xc3\xa9");
}

TEST_CASE("teacher: a hidden round trip", "[pts=1][hidden][id=teacher-hidden-round-trip]") {
    CHECK(bytes::decode_utf8(bytes::encode_utf8(U"Message reçu")) == U"Message reçu");
}
