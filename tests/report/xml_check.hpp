#pragma once
// A small XML well-formedness check for tests: one root element, tags nested and closed,
// attributes quoted and unique, entity references valid, no stray '<' or '&', comments
// without "--". Not a validating parser; enough to catch an escaping mistake.
#include <cctype>
#include <set>
#include <string>
#include <vector>

namespace orch::test {

namespace xml_detail {

inline bool name_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
inline bool name_char(char c) {
    return name_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}

// Checks the text between markup for '&' that does not start a valid reference.
inline std::string check_text(const std::string& t, std::size_t at) {
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '<') {
            return "stray '<' at byte " + std::to_string(at + i);
        }
        if (t[i] != '&') {
            continue;
        }
        std::size_t semi = t.find(';', i);
        if (semi == std::string::npos) {
            return "unterminated entity at byte " + std::to_string(at + i);
        }
        std::string ref = t.substr(i + 1, semi - i - 1);
        static const std::set<std::string> named = {"amp", "lt", "gt", "quot", "apos"};
        bool numeric = ref.size() > 1 && ref[0] == '#';
        if (numeric) {
            bool hex = ref[1] == 'x';
            for (std::size_t k = hex ? 2 : 1; k < ref.size(); ++k) {
                if (!(hex ? std::isxdigit(static_cast<unsigned char>(ref[k]))
                          : std::isdigit(static_cast<unsigned char>(ref[k])))) {
                    numeric = false;
                }
            }
        }
        if (!numeric && named.count(ref) == 0) {
            return "bad entity &" + ref + "; at byte " + std::to_string(at + i);
        }
        i = semi;
    }
    return "";
}

} // namespace xml_detail

// "" when doc is well-formed, else the first problem.
inline std::string xml_problem(const std::string& doc) {
    using namespace xml_detail;
    std::vector<std::string> stack;
    bool root_seen = false;
    std::size_t i = 0;
    if (doc.rfind("<?xml", 0) == 0) {
        i = doc.find("?>");
        if (i == std::string::npos) {
            return "unterminated XML declaration";
        }
        i += 2;
    }
    while (i < doc.size()) {
        std::size_t lt = doc.find('<', i);
        std::string text = doc.substr(i, lt == std::string::npos ? std::string::npos : lt - i);
        if (auto p = check_text(text, i); !p.empty()) {
            return p;
        }
        if (stack.empty() && text.find_first_not_of(" \t\r\n") != std::string::npos) {
            return "text outside the root element at byte " + std::to_string(i);
        }
        if (lt == std::string::npos) {
            break;
        }
        i = lt;
        if (doc.compare(i, 4, "<!--") == 0) {
            std::size_t end = doc.find("-->", i + 4);
            if (end == std::string::npos) {
                return "unterminated comment";
            }
            if (doc.substr(i + 4, end - i - 4).find("--") != std::string::npos) {
                return "'--' inside a comment";
            }
            i = end + 3;
            continue;
        }
        bool closing = doc.compare(i, 2, "</") == 0;
        std::size_t k = i + (closing ? 2 : 1);
        if (k >= doc.size() || !name_start(doc[k])) {
            return "bad tag name at byte " + std::to_string(k);
        }
        std::size_t name_end = k;
        while (name_end < doc.size() && name_char(doc[name_end])) {
            ++name_end;
        }
        std::string name = doc.substr(k, name_end - k);
        k = name_end;
        if (closing) {
            while (k < doc.size() && std::isspace(static_cast<unsigned char>(doc[k]))) {
                ++k;
            }
            if (k >= doc.size() || doc[k] != '>') {
                return "bad closing tag </" + name;
            }
            if (stack.empty() || stack.back() != name) {
                return "</" + name + "> closes " +
                       (stack.empty() ? "nothing" : "<" + stack.back() + ">");
            }
            stack.pop_back();
            i = k + 1;
            continue;
        }
        std::set<std::string> attrs;
        bool self_closing = false;
        while (true) {
            std::size_t before = k;
            while (k < doc.size() && std::isspace(static_cast<unsigned char>(doc[k]))) {
                ++k;
            }
            if (k >= doc.size()) {
                return "unterminated tag <" + name;
            }
            if (doc[k] == '>') {
                ++k;
                break;
            }
            if (doc.compare(k, 2, "/>") == 0) {
                self_closing = true;
                k += 2;
                break;
            }
            if (k == before) {
                return "attributes of <" + name + "> need white space between them";
            }
            std::size_t an = k;
            if (!name_start(doc[k])) {
                return "bad attribute name in <" + name + "> at byte " + std::to_string(k);
            }
            while (k < doc.size() && name_char(doc[k])) {
                ++k;
            }
            std::string attr = doc.substr(an, k - an);
            if (!attrs.insert(attr).second) {
                return "duplicate attribute " + attr + " in <" + name + ">";
            }
            if (k >= doc.size() || doc[k] != '=') {
                return "attribute " + attr + " of <" + name + "> has no value";
            }
            ++k;
            if (k >= doc.size() || (doc[k] != '"' && doc[k] != '\'')) {
                return "attribute " + attr + " of <" + name + "> is not quoted";
            }
            char q = doc[k];
            std::size_t close = doc.find(q, k + 1);
            if (close == std::string::npos) {
                return "unterminated value of " + attr;
            }
            if (auto p = check_text(doc.substr(k + 1, close - k - 1), k + 1); !p.empty()) {
                return "attribute " + attr + ": " + p;
            }
            k = close + 1;
        }
        if (stack.empty()) {
            if (root_seen) {
                return "a second root element <" + name + ">";
            }
            root_seen = true;
        }
        if (!self_closing) {
            stack.push_back(name);
        }
        i = k;
    }
    if (!stack.empty()) {
        return "<" + stack.back() + "> is never closed";
    }
    return root_seen ? "" : "no root element";
}

} // namespace orch::test
