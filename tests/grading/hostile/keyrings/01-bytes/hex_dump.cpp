// Hostile submission for the grading self-test (tests/grading/selftest.py; tests/grading/README.md
// lists the set): the reference solution of lesson 01 with hex_dump sabotaged. Kernel keyrings are
// not namespaced: hex_dump asks for its session keyring (which, graded from a login, would be the
// teacher's), adds a key to the user keyring (which the next student's run, as the same user,
// would find) and clears the session keyring; it answers wrong if any of them worked. So its test
// cases pass only when every keyring call is refused. encode_utf8, decode_utf8 and
// count_code_points are the reference's. selftest.py fills in the @...@ placeholders.
//
// selftest.py makes the submission's utf8.cpp from solutions/01-bytes/utf8.cpp: the includes
// below are added to its own, and everything after count_code_points is replaced by the rest of
// this file.
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>
// ---- after count_code_points ----

namespace {
bool reached_a_keyring() {
    const long session = ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
    const long added = ::syscall(SYS_add_key, "user", "wb-@TOKEN@", "secret", 6, KEY_SPEC_USER_KEYRING);
    const long cleared = ::syscall(SYS_keyctl, KEYCTL_CLEAR, KEY_SPEC_SESSION_KEYRING);
    return session >= 0 || added >= 0 || cleared >= 0;
}
}  // namespace

@REFERENCE_HEX_DUMP@
std::string hex_dump(std::string_view data) {
    if (reached_a_keyring()) return "a keyring was reached";
    return reference_hex_dump(data);
}

}  // namespace bytes
