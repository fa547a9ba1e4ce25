// The build's reader of lessons/manifest.json: cmake/Workbook.cmake compiles it when it configures
// and includes what it writes, so the build, ./workbook and the grader read the lessons through one
// parser (manifest.cpp), with the same checks and the same messages.
//
//   manifest-reader MANIFEST OUTPUT.cmake
//
// Exit status 0 with OUTPUT written; 1 with the problem on stderr.
#include <exception>
#include <iostream>

#include "files.hpp"
#include "manifest.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: manifest-reader MANIFEST OUTPUT.cmake\n";
        return 2;
    }
    try {
        workbook::write_file(argv[2], workbook::Manifest::load(argv[1]).cmake());
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
    return 0;
}
