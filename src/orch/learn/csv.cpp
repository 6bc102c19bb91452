#include <orch/core/error.hpp>
#include <orch/learn/csv.hpp>

#include <fmt/format.h>

namespace orch::learn {

CsvReader::CsvReader(std::istream& in, std::string name) : m_in(in), m_name(std::move(name)) {}

int CsvReader::get() {
    int c = m_in.get();
    if (c == '\n') {
        ++m_line;
    }
    return c;
}

bool CsvReader::next(std::vector<std::string>& fields) {
    if (!m_started) {
        m_started = true;
        if (m_in.peek() == 0xEF) {
            char bom[3] = {};
            m_in.read(bom, 3);
            if (!(bom[1] == '\xBB' && bom[2] == '\xBF')) {
                m_in.clear();
                m_in.seekg(0);
            }
        }
    }
    while (true) {
        fields.clear();
        m_record_line = m_line;
        std::string cur;
        bool quoted = false; // inside a quoted field
        bool any = false;    // the record has content (not a blank line)
        int c = get();
        if (c == std::char_traits<char>::eof()) {
            return false;
        }
        for (;; c = get()) {
            if (c == std::char_traits<char>::eof()) {
                if (quoted) {
                    throw Error(ErrorKind::config, fmt::format("{}:{}: unterminated quoted field",
                                                               m_name, m_record_line));
                }
                break;
            }
            char ch = static_cast<char>(c);
            if (quoted) {
                if (ch == '"') {
                    if (m_in.peek() == '"') {
                        get();
                        cur += '"';
                    } else {
                        quoted = false;
                    }
                } else {
                    cur += ch;
                }
                continue;
            }
            if (ch == '"') {
                quoted = true;
                any = true;
            } else if (ch == ',') {
                fields.push_back(std::move(cur));
                cur.clear();
                any = true;
            } else if (ch == '\n') {
                break;
            } else if (ch == '\r' && m_in.peek() == '\n') {
                continue; // CRLF: the LF ends the record
            } else {
                cur += ch;
                any = true;
            }
        }
        if (!any) {
            continue; // a blank line
        }
        fields.push_back(std::move(cur));
        return true;
    }
}

} // namespace orch::learn
