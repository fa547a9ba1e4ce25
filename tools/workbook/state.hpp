// What ./workbook remembers between runs, in .workbook/state.json (not part of the repository):
// which lessons passed last time and how many hints each lesson has shown.
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>

namespace workbook {

struct State {
    std::set<std::string> passed;            // slugs whose last run passed
    std::map<std::string, int> hints_shown;  // slug -> hints shown so far

    // A missing or unreadable file gives an empty state: it is only a convenience.
    static State load(const std::filesystem::path& file);
    // Writes atomically (a temporary file, then rename).
    void save(const std::filesystem::path& file) const;
};

}  // namespace workbook
