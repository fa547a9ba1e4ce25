// frame_decoder: feeds your FrameDecoder (frames.cpp) the pieces it is given and prints what came
// out of each, so that the tests (and you) can see it decode a stream cut anywhere. This file is
// the workbook's: you do not need to change it.
//
// One session per line of stdin, each with a new FrameDecoder: the pieces of the stream in hex,
// separated by spaces ("-" is an empty piece). For each piece, one line:
//     piece I: P P ...     the payloads of the frames that piece completed, in hex ("-" for an
//                          empty payload); nothing after the colon if it completed none
// then "pending N" (pending() after the last piece), or "error WHAT" if feed() threw (the session
// ends there), and last "end". For example, "00000002 6869 0000" prints
//     piece 1:
//     piece 2: 6869
//     piece 3:
//     pending 2
//     end
// A line that is not pieces in hex is answered "bad-request WHY".
#include <cstdio>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "frames.hpp"

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool from_hex(const std::string& text, std::string& bytes) {
    bytes.clear();
    if (text == "-") return true;
    if (text.size() % 2 != 0) return false;
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int high = hex_digit(text[i]);
        const int low = hex_digit(text[i + 1]);
        if (high < 0 || low < 0) return false;
        bytes.push_back(static_cast<char>(high * 16 + low));
    }
    return true;
}

std::string to_hex(const std::string& bytes) {
    if (bytes.empty()) return "-";
    std::string text;
    char two[3];
    for (const char c : bytes) {
        std::snprintf(two, sizeof two, "%02x", static_cast<unsigned char>(c));
        text += two;
    }
    return text;
}

}  // namespace

constexpr const char* usage =
    "usage: frame_decoder < PIECES\n"
    "Feeds your FrameDecoder (frames.cpp) the pieces of a stream and prints what came out.\n"
    "One session per line of stdin, each with a new FrameDecoder: the pieces in hex, separated by\n"
    "spaces (\"-\" is an empty piece). For each piece, \"piece I:\" and the payloads it completed\n"
    "(in hex, \"-\" for an empty one); then \"pending N\" or \"error WHAT\"; then \"end\".\n"
    "Example: printf '0000000568 656c 6c6f000000\\n' | frame_decoder\n";

int main(int argc, char** argv) {
    if (argc > 1) {
        const bool help = std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h";
        (help ? std::cout : std::cerr) << usage;
        return help ? 0 : 2;
    }
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream words(line);
        std::vector<std::string> pieces;
        std::string word;
        std::string bytes;
        bool readable = true;
        while (words >> word) {
            readable = readable && from_hex(word, bytes);
            pieces.push_back(bytes);
        }
        if (!readable) {
            std::cout << "bad-request not pieces in hex" << std::endl;
            continue;
        }
        framing::FrameDecoder decoder;
        try {
            for (std::size_t i = 0; i < pieces.size(); ++i) {
                std::cout << "piece " << i + 1 << ":";
                for (const std::string& payload : decoder.feed(pieces[i])) {
                    std::cout << " " << to_hex(payload);
                }
                std::cout << "\n";
            }
            std::cout << "pending " << decoder.pending() << "\n";
        } catch (const std::exception& e) {
            std::cout << "\nerror " << e.what() << "\n";
        }
        std::cout << "end" << std::endl;
    }
}
