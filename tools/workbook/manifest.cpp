#include "manifest.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "files.hpp"

#include <algorithm>
#include <cctype>
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

std::filesystem::path Lesson::program_binary(const std::filesystem::path& build,
                                             const std::string& name) const {
    return build / "bin" / slug / name;
}

namespace {

bool is_name(std::string_view text, std::string_view first, std::string_view rest) {
    return !text.empty() && first.find(text.front()) != std::string_view::npos &&
           text.find_first_not_of(rest) == std::string_view::npos;
}

constexpr std::string_view lower = "abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view lower_digits = "abcdefghijklmnopqrstuvwxyz0123456789";

Program read_program(const json& entry, const std::string& where) {
    if (!entry.is_object())
        throw std::runtime_error(where + ": a program is an object with a \"name\"");
    Program p;
    p.name = field<std::string>(entry, "name", where);
    p.files = field<std::vector<std::string>>(entry, "files", where);
    p.options = field_or<std::vector<std::string>>(entry, "options", where, {});
    // The name becomes a file in bin/<slug>/, a target and an environment variable.
    if (!is_name(p.name, lower, fmt::format("{}_", lower_digits)) || p.name == "tests" ||
        p.name == "check" || p.name == "programs")
        throw std::runtime_error(fmt::format(
            "{}: program name '{}': lower-case letters, digits and _, starting with a letter "
            "(and not tests, check or programs)",
            where, p.name));
    const std::string here = fmt::format("{} (program {})", where, p.name);
    bool code = false;
    for (const std::string& file : p.files) {
        if (!is_name(file, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
                     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ||
            !(file.ends_with(".cpp") || file.ends_with(".hpp")))
            throw std::runtime_error(fmt::format(
                "{}: file '{}': a .cpp or .hpp in the lesson's folder (letters, digits, _ . -)",
                here, file));
        code = code || file.ends_with(".cpp");
    }
    if (!code) throw std::runtime_error(here + ": \"files\" holds no .cpp file");
    for (const std::string& option : p.options)
        if (option.empty() || option.find_first_of("\n\r") != std::string::npos)
            throw std::runtime_error(fmt::format(
                "{}: option '{}': one line, as in \"--workers N\" or \"MESSAGE\"", here, option));
    return p;
}

}  // namespace

std::string Program::environment_variable() const {
    std::string upper = name;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return "WORKBOOK_PROGRAM_" + upper;
}

std::vector<std::string> Lesson::program_variables(const std::filesystem::path& dir) const {
    std::vector<std::string> variables;
    for (const Program& p : programs)
        variables.push_back(p.environment_variable() + "=" + (dir / p.name).string());
    if (programs.size() == 1)
        variables.push_back("WORKBOOK_PROGRAM=" + (dir / programs.front().name).string());
    return variables;
}

const Program* Lesson::program(std::string_view name) const {
    for (const Program& p : programs)
        if (p.name == name) return &p;
    return nullptr;
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
        if (!entry.is_object()) throw std::runtime_error(where + ": a lesson is an object");
        Lesson lesson;
        lesson.slug = field<std::string>(entry, "slug", where);
        lesson.title = field<std::string>(entry, "title", where);
        lesson.kind = field<std::string>(entry, "kind", where);
        lesson.points = field<int>(entry, "points", where);
        lesson.timeout = field<int>(entry, "timeout", where);
        lesson.sanitizers = field_or<std::vector<std::string>>(entry, "sanitizers", where, {});
        if (!leading_number(lesson.slug) ||
            !is_name(lesson.slug, "0123456789", fmt::format("{}-", lower_digits)))
            throw std::runtime_error(
                where +
                ": the slug is its number, then lower-case words joined by -, as in 01-bytes");
        for (const Lesson& earlier : manifest.lessons)
            if (earlier.slug == lesson.slug || earlier.number() == lesson.number())
                throw std::runtime_error(
                    fmt::format("{}: {} has the number of {}", where, lesson.slug, earlier.slug));
        if (lesson.kind != "unit" && lesson.kind != "server" && lesson.kind != "client")
            throw std::runtime_error(where + ": kind must be unit, server or client");
        if (lesson.points < 0 || lesson.timeout <= 0)
            throw std::runtime_error(where + ": points >= 0 and timeout > 0 (seconds)");
        for (const std::string& s : lesson.sanitizers)
            if (s != "asan" && s != "tsan")
                throw std::runtime_error(
                    fmt::format("{}: sanitizer '{}': \"asan\" or \"tsan\"", where, s));
        for (const char* gone : {"program", "files"})
            if (entry.contains(gone))
                throw std::runtime_error(fmt::format(
                    "{}: \"{}\" was format 1; a lesson lists its \"programs\", each with a "
                    "\"name\" and \"files\"",
                    where, gone));
        if (!entry.contains("programs") || !entry["programs"].is_array() ||
            entry["programs"].empty())
            throw std::runtime_error(where +
                                     ": \"programs\": at least one, as in [{\"name\": \"server\", "
                                     "\"files\": [\"server.cpp\"]}]");
        for (const json& p : entry["programs"]) {
            Program program = read_program(p, where);
            if (lesson.program(program.name))
                throw std::runtime_error(
                    fmt::format("{}: two programs are called {}", where, program.name));
            for (const std::string& f : program.files)
                if (std::find(lesson.files.begin(), lesson.files.end(), f) == lesson.files.end())
                    lesson.files.push_back(f);
            lesson.programs.push_back(std::move(program));
        }
        if (lesson.kind == "unit" && lesson.programs.size() != 1)
            throw std::runtime_error(where +
                                     ": a unit lesson has one program, the driver of its code");
        if (entry.contains("hints"))
            throw std::runtime_error(
                fmt::format("{}: hints are written in lessons/{}/hints.md, not in the manifest",
                            where, lesson.slug));
        lesson.hints = parse_hints(read_file(file.parent_path() / lesson.slug / "hints.md"));
        manifest.lessons.push_back(std::move(lesson));
    }
    return manifest;
}

std::string Manifest::cmake() const {
    // Every value was checked above to be a name without spaces, quotes, ; or $: written as is.
    std::string out = "# Written by the workbook's manifest reader from lessons/manifest.json.\n";
    std::vector<std::string> slugs;
    for (const Lesson& l : lessons) slugs.push_back(l.slug);
    out += fmt::format("set(WORKBOOK_LESSONS \"{}\")\n", fmt::join(slugs, ";"));
    for (const Lesson& l : lessons) {
        const std::string v = "WORKBOOK_LESSON_" + l.slug;
        std::vector<std::string> names;
        for (const Program& p : l.programs) names.push_back(p.name);
        out += fmt::format("set({}_KIND \"{}\")\n", v, l.kind);
        out += fmt::format("set({}_TIMEOUT \"{}\")\n", v, l.timeout);
        out += fmt::format("set({}_SANITIZERS \"{}\")\n", v, fmt::join(l.sanitizers, ";"));
        out += fmt::format("set({}_PROGRAMS \"{}\")\n", v, fmt::join(names, ";"));
        for (const Program& p : l.programs) {
            std::vector<std::string> code;
            for (const std::string& f : p.files)
                if (f.ends_with(".cpp")) code.push_back(f);
            out +=
                fmt::format("set({}_PROGRAM_{}_FILES \"{}\")\n", v, p.name, fmt::join(code, ";"));
        }
    }
    return out;
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
