#include <orch/config/template.hpp>
#include <orch/util/strings.hpp>

namespace orch::config {

namespace {

const nlohmann::json* lookup(const nlohmann::json& vars, const std::string& name) {
    const nlohmann::json* cur = &vars;
    for (const auto& part : util::split(name, '.')) {
        if (!cur->is_object()) {
            return nullptr;
        }
        auto it = cur->find(part);
        if (it == cur->end()) {
            return nullptr;
        }
        cur = &*it;
    }
    return cur;
}

// Calls on_var(name, begin, end) for each {{ name }} in text.
template <class F> void scan(const std::string& text, F on_var) {
    size_t pos = 0;
    while ((pos = text.find("{{", pos)) != std::string::npos) {
        size_t close = text.find("}}", pos + 2);
        if (close == std::string::npos) {
            return;
        }
        std::string name = util::trim(std::string_view(text).substr(pos + 2, close - pos - 2));
        on_var(name, pos, close + 2);
        pos = close + 2;
    }
}

} // namespace

std::vector<std::string> variables_in(const std::string& text) {
    std::vector<std::string> out;
    scan(text, [&](const std::string& name, size_t, size_t) { out.push_back(name); });
    return out;
}

std::string render(const std::string& text, const nlohmann::json& vars,
                   std::vector<std::string>& missing) {
    std::string out;
    size_t last = 0;
    scan(text, [&](const std::string& name, size_t begin, size_t end) {
        out.append(text, last, begin - last);
        const nlohmann::json* v = lookup(vars, name);
        if (v == nullptr) {
            missing.push_back(name);
            out.append(text, begin, end - begin);
        } else if (v->is_string()) {
            out += v->get<std::string>();
        } else {
            out += v->dump();
        }
        last = end;
    });
    out.append(text, last, std::string::npos);
    return out;
}

nlohmann::json render_json(const nlohmann::json& value, const nlohmann::json& vars,
                           std::vector<std::string>& missing) {
    if (value.is_string()) {
        const auto& s = value.get_ref<const std::string&>();
        std::string t = util::trim(s);
        auto names = variables_in(t);
        if (names.size() == 1 && t.rfind("{{", 0) == 0 && t.size() >= 4 &&
            t.compare(t.size() - 2, 2, "}}") == 0 && t.find("{{", 2) == std::string::npos) {
            if (const nlohmann::json* v = lookup(vars, names[0])) {
                return *v;
            }
            missing.push_back(names[0]);
            return value;
        }
        return render(s, vars, missing);
    }
    if (value.is_array()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& el : value) {
            out.push_back(render_json(el, vars, missing));
        }
        return out;
    }
    if (value.is_object()) {
        nlohmann::json out = nlohmann::json::object();
        for (auto it = value.begin(); it != value.end(); ++it) {
            out[it.key()] = render_json(it.value(), vars, missing);
        }
        return out;
    }
    return value;
}

} // namespace orch::config
