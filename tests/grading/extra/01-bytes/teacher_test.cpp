// A teacher's own tests, as `./workbook grade --extra-tests tests/grading/extra` takes them: Catch2
// test cases with [pts=N], and [hidden] for those whose details the students must not see.
#include <catch2/catch.hpp>

#include "utf8.hpp"

TEST_CASE("teacher: é is two bytes", "[pts=1]") {
    CHECK(bytes::encode_utf8(U"é") == "\xc3\xa9");
}

TEST_CASE("teacher: a hidden round trip", "[pts=1][hidden]") {
    CHECK(bytes::decode_utf8(bytes::encode_utf8(U"Message reçu")) == U"Message reçu");
}
