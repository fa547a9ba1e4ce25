#include "manifest.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "files.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <stdexcept>

namespace workbook {
namespace {

using nlohmann::json;

// Reads `key` from `entry`, saying which lesson and which field is wrong if it is not there.
template <typename T>
T field(const json& entry, const char* key, const std::string& where) {
    if (!entry.contains(key))
        throw std::runtime_error(fmt::format("{}: missing \"{}\"", where, key));
    try {
        return entry.at(key).get<T>();
    } catch (const json::exception&) {
        throw std::runtime_error(fmt::format("{}: \"{}\" has the wrong type", where, key));
    }
}

template <typename T>
T field_or(const json& entry, const char* key, const std::string& where, T fallback) {
    return entry.contains(key) ? field<T>(entry, key, where) : fallback;
}

std::optional<int> leading_number(std::string_view text) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end == text.data()) return std::nullopt;
    return value;
}

}  // namespace

std::vector<Hint> parse_hints(std::string_view markdown) {
    std::vector<Hint> hints;
    bool in_code = false;
    std::size_t from = 0;
    while (from < markdown.size()) {
        std::size_t end = markdown.find('\n', from);
        if (end == std::string_view::npos) end = markdown.size();
        const std::string_view line = markdown.substr(from, end - from);
        from = end + 1;
        if (line.starts_with("```")) in_code = !in_code;
        if (!in_code && line.starts_with("## ")) {
            hints.push_back({std::string(line.substr(3)), ""});
        } else if (!hints.empty()) {
            hints.back().text += line;
            hints.back().text += '\n';
        }
    }
    for (Hint& hint : hints) {
        const auto first = hint.text.find_first_not_of('\n');
        hint.text.erase(0, first == std::string::npos ? hint.text.size() : first);
        while (hint.text.ends_with("\n\n")) hint.text.pop_back();
    }
    return hints;
}

std::string Lesson::number() const {
    return slug.substr(0, slug.find('-'));
}

std::filesystem::path Lesson::tests_binary(const std::filesystem::path& build) const {
    return build / "bin" / slug / "tests";
}

std::filesystem::path Lesson::program_binary(const std::filesystem::path& build) const {
    return build / "bin" / slug / program;
}

Manifest Manifest::load(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error(fmt::format("cannot read {}", file.string()));
    json doc;
    try {
        doc = json::parse(in);
    } catch (const json::parse_error& e) {
        throw std::runtime_error(fmt::format("{} is not valid JSON: {}", file.string(), e.what()));
    }
    if (!doc.contains("format_version") || !doc["format_version"].is_number_integer())
        throw std::runtime_error(
            fmt::format("{}: expected \"format_version\": {}", file.string(), manifest_format));
    if (const int version = doc["format_version"].get<int>(); version != manifest_format)
        throw std::runtime_error(fmt::format("{}: format_version {}, and this workbook reads {}",
                                             file.string(), version, manifest_format));
    if (!doc.contains("lessons") || !doc["lessons"].is_array())
        throw std::runtime_error(fmt::format("{}: expected a \"lessons\" array", file.string()));

    Manifest manifest;
    for (const json& entry : doc["lessons"]) {
        const std::string where =
            fmt::format("{} (lesson {})", file.string(), manifest.lessons.size() + 1);
        Lesson lesson;
        lesson.slug = field<std::string>(entry, "slug", where);
        lesson.title = field<std::string>(entry, "title", where);
        lesson.kind = field<std::string>(entry, "kind", where);
        lesson.files = field<std::vector<std::string>>(entry, "files", where);
        lesson.points = field<int>(entry, "points", where);
        lesson.timeout = field<int>(entry, "timeout", where);
        lesson.sanitizers = field_or<std::vector<std::string>>(entry, "sanitizers", where, {});
        lesson.program = field_or<std::string>(entry, "program", where, "");
        if (!leading_number(lesson.slug))
            throw std::runtime_error(where +
                                     ": the slug must start with its number, as in 01-bytes");
        if (lesson.kind != "unit" && lesson.kind != "server" && lesson.kind != "client")
            throw std::runtime_error(where + ": kind must be unit, server or client");
        if (lesson.program.empty())
            throw std::runtime_error(
                where + ": a lesson names its \"program\" (a unit lesson's is \"driver\")");
        if (lesson.files.empty()) throw std::runtime_error(where + ": \"files\" is empty");
        if (entry.contains("hints"))
            throw std::runtime_error(
                fmt::format("{}: hints are written in lessons/{}/hints.md, not in the manifest",
                            where, lesson.slug));
        lesson.hints = parse_hints(read_file(file.parent_path() / lesson.slug / "hints.md"));
        manifest.lessons.push_back(std::move(lesson));
    }
    return manifest;
}

const Lesson* Manifest::find(std::string_view key) const {
    const auto number = leading_number(key);
    for (const Lesson& lesson : lessons) {
        if (lesson.slug == key) return &lesson;
        if (number && key.find_first_not_of("0123456789") == std::string_view::npos &&
            leading_number(lesson.slug) == number)
            return &lesson;
        const auto dash = lesson.slug.find('-');
        if (dash != std::string::npos && std::string_view(lesson.slug).substr(dash + 1) == key)
            return &lesson;
    }
    return nullptr;
}

}  // namespace workbook
