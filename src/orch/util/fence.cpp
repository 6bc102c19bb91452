#include <orch/util/fence.hpp>
#include <orch/util/hash.hpp>

namespace orch::util {

std::string fence(std::string_view label, std::string_view text) {
    std::string id = sha256_hex(std::string(label) + '\0' + std::string(text)).substr(0, 12);
    std::string out;
    out.reserve(text.size() + 80);
    out += "<<<";
    out += label;
    out += " id=" + id + ">>>\n";
    out += text;
    out += "\n<<<END ";
    out += label;
    out += " id=" + id + ">>>";
    return out;
}

std::optional<std::string> unfence(std::string_view prompt, std::string_view label) {
    std::string open = "<<<" + std::string(label) + " id=";
    size_t at = prompt.find(open);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    size_t id_start = at + open.size();
    size_t id_end = prompt.find(">>>", id_start);
    if (id_end == std::string_view::npos) {
        return std::nullopt;
    }
    std::string id(prompt.substr(id_start, id_end - id_start));
    std::string close = "\n<<<END " + std::string(label) + " id=" + id + ">>>";
    size_t body = id_end + 4; // past ">>>\n"
    size_t end = prompt.find(close, body);
    if (body > prompt.size() || end == std::string_view::npos) {
        return std::nullopt;
    }
    return std::string(prompt.substr(body, end - body));
}

} // namespace orch::util
