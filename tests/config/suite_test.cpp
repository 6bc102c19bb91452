#include "support/process.hpp"

#include <doctest/doctest.h>
#include <orch/config/suite.hpp>
#include <orch/config/template.hpp>
#include <orch/core/error.hpp>

using orch::test::TempDir;

namespace {

const char* k_suite = R"(
name = "mini"
type = "classify"
dataset = "data.jsonl"
reference = "label"
choices = ["a", "b"]
[prompt]
system = "Classify."
user = "Text: {{text}}"
[[evaluators]]
kind = "equals"
value = "{{label}}"
)";

std::vector<orch::config::Task> read_all(const orch::config::Suite& s, orch::config::Problems& problems) {
    orch::config::DatasetReader reader(s);
    std::vector<orch::config::Task> out;
    orch::config::Task t;
    while (reader.next(t, problems)) {
        out.push_back(t);
    }
    return out;
}

std::string suite_error(const std::string& suite_text) {
    TempDir dir;
    dir.write("data.jsonl", "{\"text\": \"x\", \"label\": \"a\"}\n");
    try {
        orch::config::load_suite(dir.write("s.toml", suite_text));
    } catch (const orch::Error& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("config::render") {
    nlohmann::json vars = {{"name", "Ada"}, {"n", 3}, {"order", {{"id", "A-1"}}}, {"facts", {"x", "y"}}};
    std::vector<std::string> missing;
    SUBCASE("substitutes strings, numbers and dotted paths") {
        CHECK(orch::config::render("Hi {{name}}, {{ n }} items, order {{order.id}}", vars, missing) ==
              "Hi Ada, 3 items, order A-1");
        CHECK(missing.empty());
    }
    SUBCASE("reports a missing variable and leaves it visible") {
        CHECK(orch::config::render("Hi {{nmae}}", vars, missing) == "Hi {{nmae}}");
        REQUIRE(missing.size() == 1);
        CHECK(missing[0] == "nmae");
    }
    SUBCASE("a whole-value placeholder keeps the JSON type") {
        auto j = orch::config::render_json(nlohmann::json{{"facts", "{{facts}}"}, {"n", "{{n}}"}}, vars, missing);
        CHECK(j["facts"] == nlohmann::json({"x", "y"}));
        CHECK(j["n"] == 3);
    }
}

TEST_CASE("config::load_suite") {
    SUBCASE("reads prompt, evaluators and a content hash") {
        TempDir dir;
        dir.write("data.jsonl", "{\"id\": \"r1\", \"text\": \"hello\", \"label\": \"a\", \"difficulty\": 0.2}\n"
                                "{\"text\": \"bye\", \"label\": \"b\"}\n");
        auto s = orch::config::load_suite(dir.write("s.toml", k_suite));
        CHECK(s.name == "mini");
        CHECK(s.evaluators.size() == 1);
        CHECK(s.content_hash.size() == 64);
        orch::config::Problems problems;
        auto tasks = read_all(s, problems);
        CHECK(problems.empty());
        REQUIRE(tasks.size() == 2);
        CHECK(tasks[0].id == "r1");
        CHECK(tasks[0].difficulty == doctest::Approx(0.2));
        CHECK(tasks[0].messages.at(1).content == "Text: hello");
        CHECK(tasks[0].evaluators[0].params["value"] == "a");
        CHECK(tasks[1].id == "line-2");
        CHECK(tasks[1].reference == "b");
    }
    SUBCASE("the hash changes when the dataset changes") {
        TempDir dir;
        dir.write("data.jsonl", "{\"text\": \"x\", \"label\": \"a\"}\n");
        auto a = orch::config::load_suite(dir.write("s.toml", k_suite));
        dir.write("data.jsonl", "{\"text\": \"y\", \"label\": \"a\"}\n");
        auto b = orch::config::load_suite(dir.path().string() + "/s.toml");
        CHECK(a.content_hash != b.content_hash);
    }
    SUBCASE("a missing dataset file is located at the dataset key") {
        std::string text = k_suite;
        text.replace(text.find("data.jsonl"), 10, "nope.jsonl");
        std::string msg = suite_error(text);
        CHECK(msg.find("s.toml:4:11: dataset: dataset file not found") != std::string::npos);
    }
    SUBCASE("an unknown key and a wrong type are both reported") {
        std::string msg = suite_error("treshold = 0.5\n" + std::string(k_suite));
        CHECK(msg.find("treshold: unknown key") != std::string::npos);
        std::string msg2 = suite_error(std::string(k_suite).replace(std::string(k_suite).find("type = \"classify\""), 17, "type = 3"));
        CHECK(msg2.find("type: expected a string, got the integer 3") != std::string::npos);
    }
    SUBCASE("a suite without evaluators is rejected") {
        std::string text = k_suite;
        text = text.substr(0, text.find("[[evaluators]]"));
        CHECK(suite_error(text).find("evaluators: missing") != std::string::npos);
    }
}

TEST_CASE("config::DatasetReader") {
    SUBCASE("a template variable missing from a row is located at its line") {
        TempDir dir;
        dir.write("data.jsonl", "{\"text\": \"x\", \"label\": \"a\"}\n{\"txt\": \"y\", \"label\": \"b\"}\n");
        auto s = orch::config::load_suite(dir.write("s.toml", k_suite));
        orch::config::Problems problems;
        auto tasks = read_all(s, problems);
        CHECK(tasks.size() == 1);
        REQUIRE(problems.size() == 1);
        CHECK(problems.lines()[0].find("data.jsonl:2: prompt: template variable {{text}} is not in this row") !=
              std::string::npos);
    }
    SUBCASE("invalid JSON and duplicate ids are located") {
        TempDir dir;
        dir.write("data.jsonl", "{\"id\":\"a\",\"text\":\"x\",\"label\":\"a\"}\n{oops\n{\"id\":\"a\",\"text\":\"x\",\"label\":\"a\"}\n");
        auto s = orch::config::load_suite(dir.write("s.toml", k_suite));
        orch::config::Problems problems;
        read_all(s, problems);
        REQUIRE(problems.size() == 2);
        CHECK(problems.lines()[0].find("data.jsonl:2: invalid JSON") != std::string::npos);
        CHECK(problems.lines()[1].find("data.jsonl:3: id: duplicate task id \"a\"") != std::string::npos);
    }
    SUBCASE("reads OpenAI-evals rows: messages as given, ideal as the reference") {
        TempDir dir;
        dir.write("data.jsonl", R"({"input": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}], "ideal": "4"})"
                                "\n");
        std::string text = k_suite;
        text.replace(text.find("reference = \"label\"\n"), 20, "");
        text.replace(text.find("{{label}}"), 9, "{{ideal}}");
        auto s = orch::config::load_suite(dir.write("s.toml", text));
        orch::config::Problems problems;
        auto tasks = read_all(s, problems);
        CHECK(problems.empty());
        REQUIRE(tasks.size() == 1);
        CHECK(tasks[0].messages.size() == 2);
        CHECK(tasks[0].messages[1].content == "2+2?");
        CHECK(tasks[0].reference == "4");
        CHECK(tasks[0].evaluators[0].params["value"] == "4");
    }
    SUBCASE("reads CSV with a header, quoted commas and quoted newlines") {
        TempDir dir;
        dir.write("data.csv", "id,text,label,difficulty\nc1,\"hello, world\",a,0.3\nc2,\"two\nlines\",b,0.9\n");
        std::string text = k_suite;
        text.replace(text.find("data.jsonl"), 10, "data.csv");
        auto s = orch::config::load_suite(dir.write("s.toml", text));
        orch::config::Problems problems;
        auto tasks = read_all(s, problems);
        CHECK(problems.empty());
        REQUIRE(tasks.size() == 2);
        CHECK(tasks[0].messages[1].content == "Text: hello, world");
        CHECK(tasks[1].messages[1].content == "Text: two\nlines");
        CHECK(tasks[1].difficulty == doctest::Approx(0.9));
    }
    SUBCASE("a row may override the threshold and evaluators") {
        TempDir dir;
        dir.write("data.jsonl", R"({"text": "x", "label": "a", "override": {"threshold": 0.5, "evaluators": [{"kind": "contains", "value": "{{text}}"}]}})"
                                "\n");
        auto s = orch::config::load_suite(dir.write("s.toml", k_suite));
        orch::config::Problems problems;
        auto tasks = read_all(s, problems);
        REQUIRE(tasks.size() == 1);
        CHECK(tasks[0].threshold == doctest::Approx(0.5));
        REQUIRE(tasks[0].evaluators.size() == 1);
        CHECK(tasks[0].evaluators[0].kind == "contains");
        CHECK(tasks[0].evaluators[0].params["value"] == "x");
    }
}
