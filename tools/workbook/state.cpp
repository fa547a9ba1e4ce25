#include "state.hpp"

#include "files.hpp"

#include <nlohmann/json.hpp>

namespace workbook {

State State::load(const std::filesystem::path& file) {
    State state;
    const nlohmann::json doc =
        nlohmann::json::parse(read_file(file), nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) return state;
    if (doc.contains("passed") && doc["passed"].is_array())
        for (const auto& slug : doc["passed"])
            if (slug.is_string()) state.passed.insert(slug.get<std::string>());
    if (doc.contains("hints_shown") && doc["hints_shown"].is_object())
        for (const auto& [slug, count] : doc["hints_shown"].items())
            if (count.is_number_integer()) state.hints_shown[slug] = count.get<int>();
    return state;
}

void State::save(const std::filesystem::path& file) const {
    const nlohmann::json doc = {{"passed", passed}, {"hints_shown", hints_shown}};
    write_file(file, doc.dump(2) + "\n");
}

}  // namespace workbook
