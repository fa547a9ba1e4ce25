// Reading and writing the workbook's own files (state, feedback, gradebooks, restored starters),
// every write checked: a full disk or a read-only folder is an error that says which file, never a
// file silently left empty and reported as written.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace workbook {

// A file the workbook could not write (or read when it must), with the path and the reason.
struct FileError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The whole file; empty when it does not exist or cannot be read.
std::string read_file(const std::filesystem::path& path);

// Writes `text` to a file beside `path`, then renames it over `path`: the file is either whole or
// as it was. Creates the folders on the way. Throws FileError (a full disk: "No space left on
// device").
void write_file(const std::filesystem::path& path, std::string_view text);

}  // namespace workbook
