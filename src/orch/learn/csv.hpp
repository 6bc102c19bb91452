#pragma once
// An RFC 4180 CSV reader: fields separated by commas, records by line breaks (LF or CRLF);
// a quoted field may hold commas, line breaks and doubled quotes ("").
#include <istream>
#include <string>
#include <vector>

namespace orch::learn {

class CsvReader {
  public:
    // Reads from `in`, which must outlive the reader; `name` (a path) prefixes error messages.
    CsvReader(std::istream& in, std::string name);

    // The next record's fields; false at the end of the input. Blank lines are skipped, a
    // leading UTF-8 byte-order mark is ignored. Throws orch::Error(config)
    // "NAME:LINE: unterminated quoted field" when the input ends inside quotes.
    bool next(std::vector<std::string>& fields);

    // The 1-based line on which the record last returned by next() starts.
    int line() const { return m_record_line; }

  private:
    int get();

    std::istream& m_in;
    std::string m_name;
    int m_line = 1;
    int m_record_line = 0;
    bool m_started = false;
};

} // namespace orch::learn
